"""The Maildir source: every message file under ``new/`` and ``cur/``, read each run, never moved.

A mail source (this Maildir, or :class:`ingestion.mailbox.imap.ImapSource`) hands over :class:`FetchedMessage`
records from ``fetch(conn)`` and stores how far it read with ``mark_read(conn)`` in the transaction that
records them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ingestion.domain.records import FetchedMessage

if TYPE_CHECKING:
    import psycopg


def iter_maildir(path: Path) -> Iterator[tuple[str, bytes, float]]:
    """Name, raw bytes and delivery time (file mtime) of every message in ``new/`` and ``cur/``, in name order.
    A file that a mail client moves or deletes while we read (``new/`` → ``cur/`` when marked read) is skipped:
    the next run finds it under its new name."""
    files = [f for sub in ("new", "cur") if (path / sub).is_dir() for f in (path / sub).iterdir()]
    for file in sorted((f for f in files if not f.name.startswith(".")), key=lambda f: f.name):
        try:
            if not file.is_file():
                continue
            with file.open("rb") as handle:
                raw, delivered_at = handle.read(), os.fstat(handle.fileno()).st_mtime
        except FileNotFoundError:
            continue
        yield file.name, raw, delivered_at


class MailSource(Protocol):
    name: str  # as in raw.messages.source
    notes: list[str]  # what an operator should know about this read

    def __enter__(self) -> MailSource: ...
    def __exit__(self, *exc_info: object) -> None: ...
    def fetch(self, conn: psycopg.Connection) -> Iterator[FetchedMessage]: ...
    def mark_read(self, conn: psycopg.Connection) -> None: ...


class MaildirSource:
    """Every message of a Maildir, each run: the files stay where they are, the ledger knows what was read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"maildir:{path}"
        self.notes: list[str] = []

    def __enter__(self) -> MaildirSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def fetch(self, conn: psycopg.Connection) -> Iterator[FetchedMessage]:
        for _name, raw, delivered_at in iter_maildir(self.path):
            yield FetchedMessage(raw=raw, source=self.name, delivered_at=delivered_at)

    def mark_read(self, conn: psycopg.Connection) -> None:
        return None
