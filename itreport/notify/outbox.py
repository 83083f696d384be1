"""At most once per content: every email is claimed in ``raw.outbox`` before it is sent and marked sent after.

The claim is an ``insert … on conflict`` on (kind, key, content sha256), so of two DAGs, retries or workers
sending the same email at the same moment exactly one gets the row and sends; the other gets nothing. A send
that raised is marked ``failed`` and the next run claims it again; a claim whose worker died before it could
mark the row stays ``claimed`` (it may have gone out) and is reported by the audit instead of being resent.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import psycopg

from itreport.config.secrets import redact_text
from itreport.notify.sender import EmailSender

log = logging.getLogger(__name__)


ONCE_PER_KEY = "once-per-key"


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"  # sent before, or claimed by a sender that may have sent it
    FAILED = "failed"


@dataclass(frozen=True)
class OutgoingEmail:
    """One email as the outbox sees it. ``key`` says what it is about (a message hash, a period, a unit's period
    and reminder step…); with ``kind`` and the content digest it names the email once and for all."""

    kind: str
    key: str
    to: tuple[str, ...]
    subject: str
    html: str
    files: tuple[Path, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    once_per_key: bool = False  # True: one email about ``key`` ever, whatever its content (a reply per message)

    @property
    def claim_digest(self) -> str:
        """What the claim is keyed on besides kind and key: the content, or ``ONCE_PER_KEY``."""
        return ONCE_PER_KEY if self.once_per_key else self.content_sha256

    @property
    def content_sha256(self) -> str:
        digest = hashlib.sha256()
        for part in (self.subject, self.html, *sorted(self.to)):
            digest.update(part.encode("utf-8") + b"\x00")
        for path in self.files:
            digest.update(path.name.encode("utf-8") + b"\x00" + path.read_bytes() + b"\x00")
        return digest.hexdigest()


_CLAIM = """
insert into raw.outbox (kind, key, content_sha256, recipients, subject, state)
values (%s, %s, %s, %s, %s, 'claimed')
on conflict (kind, key, content_sha256) do update
    set state = 'claimed', claimed_at = now(), error = null
    where raw.outbox.state = 'failed'
returning state
"""


def claim(conn: psycopg.Connection, email: OutgoingEmail, digest: str | None = None) -> bool:
    """True when this caller now owns the email (new, or its last send failed); False when another has it."""
    row = conn.execute(
        _CLAIM,
        (email.kind, email.key, digest or email.claim_digest, ", ".join(email.to), email.subject),
    ).fetchone()
    return row is not None


def send_once(conn: psycopg.Connection, email: OutgoingEmail, sender: EmailSender, *, from_email: str) -> Outcome:
    """Claim, send, record. ``conn`` must be in autocommit mode so the claim is visible at once to others.
    A send that raises is recorded as failed and the error raised again (the task retries, or the next run)."""
    digest = email.claim_digest
    if not claim(conn, email, digest):
        return Outcome.ALREADY_SENT
    try:
        sender.send_email_smtp(
            to=list(email.to),
            subject=email.subject,
            html_content=email.html,
            from_email=from_email,
            files=[str(path) for path in email.files],
            custom_headers=dict(email.headers) or None,
        )
    except Exception as error:
        _finish(conn, email, digest, "failed", redact_text(f"{type(error).__name__}: {error}"))
        raise
    _finish(conn, email, digest, "sent", None)
    return Outcome.SENT


def _finish(conn: psycopg.Connection, email: OutgoingEmail, digest: str, state: str, error: str | None) -> None:
    conn.execute(
        "update raw.outbox set state = %s, error = %s, sent_at = case when %s = 'sent' then now() end "
        "where kind = %s and key = %s and content_sha256 = %s",
        (state, error, state, email.kind, email.key, digest),
    )


def state_of(conn: psycopg.Connection, email: OutgoingEmail) -> str | None:
    """The outbox state of ``email`` (claimed, sent, failed), or None when nobody claimed it."""
    row = conn.execute(
        "select state from raw.outbox where kind = %s and key = %s and content_sha256 = %s",
        (email.kind, email.key, email.claim_digest),
    ).fetchone()
    return row[0] if row else None


def sent_before(conn: psycopg.Connection, kind: str, key: str) -> Sequence[tuple[str, str]]:
    """(content sha256, state) of every email of ``kind`` about ``key`` claimed so far."""
    return conn.execute(
        "select content_sha256, state from raw.outbox where kind = %s and key = %s order by claimed_at", (kind, key)
    ).fetchall()
