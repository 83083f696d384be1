"""Reading received messages: the Maildir source, the archive, and the headers our server wrote."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

from ingestion.models import InboundMessage

_BY_HOST = re.compile(r"\bby\s+([^\s;()]+)", re.IGNORECASE)


def iter_maildir(path: Path) -> Iterator[tuple[str, bytes, float]]:
    """Name, raw bytes and delivery time (file mtime) of every message in ``new/`` and ``cur/``, in name order."""
    files = [f for sub in ("new", "cur") if (path / sub).is_dir() for f in (path / sub).iterdir()]
    for file in sorted((f for f in files if f.is_file() and not f.name.startswith(".")), key=lambda f: f.name):
        yield file.name, file.read_bytes(), file.stat().st_mtime


def message_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def archive(raw: bytes, archive_dir: Path) -> Path:
    """Store the raw bytes under their hash (write-once); returns the path."""
    digest = message_hash(raw)
    target = archive_dir / digest[:2] / f"{digest}.eml"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(raw)
        tmp.replace(target)
    return target


def parse_bytes(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def receipt_time(msg: EmailMessage, mx_host: str) -> datetime | None:
    """The time our own server received the message: the topmost ``Received:`` header added ``by mx_host``."""
    for header in msg.get_all("Received", []):
        text = " ".join(str(header).split())
        by = _BY_HOST.search(text)
        if not by or by.group(1).lower() != mx_host.lower() or ";" not in text:
            continue
        try:
            return parsedate_to_datetime(text.rsplit(";", 1)[1].strip()).astimezone(UTC)
        except (TypeError, ValueError):
            return None
    return None


def _date_header(msg: EmailMessage) -> datetime | None:
    try:
        value = msg["Date"]
        return value.datetime.astimezone(UTC) if value is not None and value.datetime else None
    except (TypeError, ValueError, AttributeError):
        return None


def to_inbound(raw: bytes, *, source: str, mx_host: str, delivered_at: float | None = None) -> InboundMessage:
    """Headers that matter; receipt time from our ``Received:`` header, else the Maildir delivery time."""
    msg = parse_bytes(raw)
    received = receipt_time(msg, mx_host)
    if received is None and delivered_at is not None:
        received = datetime.fromtimestamp(delivered_at, UTC)
    sender = parseaddr(str(msg.get("From", "")))[1].strip().lower() or None
    return InboundMessage(
        message_hash=message_hash(raw),
        raw=raw,
        message_id=(str(msg["Message-ID"]).strip() if msg["Message-ID"] else None),
        sender=sender,
        subject=str(msg.get("Subject", "")),
        date_header=_date_header(msg),
        received_at=received,
        source=source,
    )
