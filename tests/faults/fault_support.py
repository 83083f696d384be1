"""Helpers of the fault-injection suite: a scratch warehouse and home per test, mail written as a hostile or
unlucky sender would, a real SMTP server on loopback whose received messages are counted, and the ledger
invariant every fault test ends with."""

from __future__ import annotations

import dataclasses
import email.policy
import hashlib
import smtplib
import struct
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlparse

import psycopg

from ingestion.domain.registry import default_registry
from ingestion.mailbox.maildir import PROCESSED

MX_HOST = "mx.baocao-cntt.gov.example"
JULY = date(2009, 7, 1)
RECEIVED = datetime(2009, 7, 10, 3, 0, tzinfo=UTC)


def scratch(settings, home: Path, database: str):
    """A scratch warehouse and home (:func:`support.scratch.scratch_settings`), replies sent however old the mail."""
    from support.scratch import scratch_settings  # here: the killed worker's script imports this module alone

    return scratch_settings(settings, home, database, notify_max_age_days=None)


def database_name(request) -> str:
    """A scratch database name of the test (its node id hashed: parametrised ids hold any character)."""
    return "faults_" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16]


def address(unit_code: str = "P02") -> str:
    return default_registry().get(unit_code).contact_email


def message(
    sender: str,
    subject: str = "Báo cáo CNTT tháng 7",
    *,
    body: str = "Kính gửi Bộ, đơn vị gửi báo cáo.",
    attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
    received: datetime = RECEIVED,
    message_id: str | None = None,
) -> bytes:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Received"] = f"from mail.agency.example by {MX_HOST}; {format_datetime(received)}"
    msg["From"] = sender
    msg["To"] = "baocao.cntt@mic.gov.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(received)
    msg["Message-ID"] = message_id or f"<{abs(hash((sender, subject, body)))}@agency.example>"
    msg.set_content(body)
    for name, payload, mime in attachments:
        main, sub = mime.split("/")
        msg.add_attachment(payload, maintype=main, subtype=sub, filename=name)
    return msg.as_bytes()


def form_docx(tmp: Path, unit_code: str = "P02", period: date = JULY, values: dict[str, str] | None = None) -> bytes:
    """The real report form of ``unit_code``, filled with ``values`` (blank: every required value missing)."""
    from ingestion.documents.form import build_form

    return build_form(default_registry().get(unit_code), period, values or {})


def deliver(maildir: Path, name: str, raw: bytes, folder: str = "new") -> Path:
    """Put ``raw`` in the Maildir as a mail server would (tmp/ then rename)."""
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    tmp = maildir / "tmp" / name
    tmp.write_bytes(raw)
    target = maildir / folder / name
    tmp.replace(target)
    return target


def tnef(files: list[tuple[str, bytes]]) -> bytes:
    """A winmail.dat (TNEF) holding ``files``: signature, key, then per file attAttachRendData, attAttachTitle
    and attAttachData, each attribute with its checksum (the layout Outlook writes)."""

    def attribute(level: int, attr_id: int, data: bytes) -> bytes:
        checksum = sum(data) & 0xFFFF
        return struct.pack("<BII", level, attr_id, len(data)) + data + struct.pack("<H", checksum)

    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += attribute(1, 0x00089006, struct.pack("<I", 0x00010000))  # attTnefVersion
    for name, payload in files:
        out += attribute(2, 0x00069002, b"\x01\x00" + b"\x00" * 12)  # attAttachRendData: a new attachment
        out += attribute(2, 0x00018010, name.encode("latin-1") + b"\x00")  # attAttachTitle
        out += attribute(2, 0x0006800F, payload)  # attAttachData
    return out


class SmtpSender:
    """Sends through a real SMTP server with smtplib (what Airflow's SmtpHook does), to ``smtp://host:port``."""

    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 25
        self.calls = 0

    def send_email_smtp(self, *, to, subject, html_content, from_email, files, custom_headers=None) -> None:
        self.calls += 1
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = from_email, ", ".join(to), subject
        for key, value in (custom_headers or {}).items():
            msg[key] = value
        msg.set_content(html_content, subtype="html")
        for path in files:
            msg.add_attachment(Path(path).read_bytes(), maintype="text", subtype="csv", filename=Path(path).name)
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            smtp.send_message(msg)


@contextmanager
def smtp_server(outbox: Path, port: int | None = None) -> Iterator[str]:
    """The product's own SMTP sink on loopback (aiosmtpd), writing every received message to ``outbox``."""
    from itreport.demo.smtp_sink import running_sink

    with running_sink(outbox, port=port) as url:
        yield url


def received_emails(outbox: Path) -> list[EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for path in sorted(outbox.glob("*.eml"))
    ]


@dataclasses.dataclass
class Ledger:
    mailbox: int
    archived: int
    states: Counter[str]
    reasons: Counter[str]
    replies: int
    reply_rows_per_message: int


def ledger(settings) -> Ledger:
    maildir = settings.maildir
    folders = [folder / sub for folder in (maildir, maildir / PROCESSED) for sub in ("new", "cur")]  # filed or not
    mailbox = {p.read_bytes() for folder in folders if folder.is_dir() for p in folder.iterdir()}
    archived = list(settings.archive_dir.rglob("*.eml")) if settings.archive_dir.exists() else []
    with psycopg.connect(settings.warehouse_url) as conn:
        rows = conn.execute("select state, reason_code from raw.messages").fetchall()
        replies = conn.execute(
            "select count(*), coalesce(max(n), 0) from (select message_hash, count(*) n "
            "from raw.replies group by message_hash) r"
        ).fetchone()
    return Ledger(
        mailbox=len(mailbox),
        archived=len(archived),
        states=Counter(state for state, _ in rows),
        reasons=Counter(reason for _, reason in rows),
        replies=replies[0],
        reply_rows_per_message=replies[1],
    )


def assert_invariant(settings, outbox: Path | None = None) -> Ledger:
    """Messages in the mailbox = archived = accepted + quarantined + ignored; at most one reply decision per
    message; no email received twice by the SMTP server (each reply names its message; each alert its content)."""
    found = ledger(settings)
    assert found.mailbox == found.archived == sum(found.states.values()), found
    assert set(found.states) <= {"accepted", "quarantined", "ignored"}
    assert found.reply_rows_per_message <= 1
    if outbox is not None:
        emails = received_emails(outbox)
        keys = Counter(m["X-Itreport-Message"] or (m["Subject"] + m.get_body().get_content()) for m in emails)
        twice = {key: n for key, n in keys.items() if n > 1}
        assert not twice, f"sent more than once: {twice}"
    return found
