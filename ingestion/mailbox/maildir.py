"""The Maildir source: the message files under ``new/`` and ``cur/``, each filed into ``.Processed`` once recorded.

A mail source (this Maildir, or :class:`ingestion.mailbox.imap.ImapSource`) works in two steps, so a large mailbox
is never held at once: ``plan(conn, mx_host)`` lists the messages the ledger may not know (keys and receipt times,
no bytes kept), and ``read(conn, batch)`` hands over one batch's :class:`FetchedMessage` records. ``remember`` and
``mark_read`` store how far it read, in the transactions that record the messages; ``committed`` acts on it once
such a transaction committed.

Once the transaction recording a file's message (whatever its verdict) has committed, the file is moved (renamed)
into the Maildir++ folder :data:`PROCESSED` of the same Maildir, as a mail client's "archive to folder" does, and
named as Maildir names a file in ``cur/`` (:func:`processed_name`): staff still see it (IMAP folder
"Processed"), and ``new/`` and ``cur/`` hold only what intake has not recorded, so a run lists the new mail, not
the mailbox's years. A file whose message is in the ledger is also remembered in ``raw.maildir_files`` (name,
size, mtime → hash): one whose move a crash prevented (between the commit and the rename) is found by the next
plan, recognised without being read again, and moved then."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ingestion.domain.records import FetchedMessage, IntakeBatch, PlannedMessage, SourcePlan
from ingestion.mailbox.archive import message_hash
from ingestion.mailbox.headers import parse_headers, received_time

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

SUBFOLDERS = ("new", "cur")
PROCESSED = ".Processed"  # the Maildir++ folder recorded messages are filed into, as ``.Processed/cur/<name>:2,``
INFO = ":2,"  # Maildir's info: a file in ``cur/`` is named ``<unique name>:2,<flags>``


def iter_maildir(path: Path) -> Iterator[tuple[str, bytes, float]]:
    """Name, raw bytes and delivery time (file mtime) of every message in ``new/`` and ``cur/``, in name order.
    A file that a mail client moves or deletes while we read (``new/`` → ``cur/`` when marked read) is skipped:
    the next run finds it under its new name."""
    for entry in list_maildir(path):
        read = read_message(path, entry.key)
        if read is not None:
            yield Path(entry.key).name, read[0], read[1].mtime


@dataclass(frozen=True)
class MaildirFile:
    key: str  # ``new/<name>`` or ``cur/<name>``
    size: int
    mtime_ns: int

    @property
    def mtime(self) -> float:
        return self.mtime_ns / 1e9


def list_maildir(path: Path) -> list[MaildirFile]:
    """The message files of ``new/`` and ``cur/`` (dot files are a delivery in progress), in name order."""
    return sorted((MaildirFile(*found) for found in _scan(path)), key=_by_name)


def _scan(path: Path) -> Iterator[tuple[str, int, int]]:
    """Key, size and mtime (ns) of every message file of ``new/`` and ``cur/``, in no order."""
    for sub in SUBFOLDERS:
        try:
            entries = list(os.scandir(path / sub))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if not entry.is_file():
                    continue
                stat = entry.stat()
            except FileNotFoundError:
                continue
            yield f"{sub}/{entry.name}", stat.st_size, stat.st_mtime_ns


def _by_name(file: MaildirFile) -> tuple[str, str]:
    """Delivery order: by file name (``new/`` or ``cur/`` aside), as the ``Path(key).name`` of the key."""
    return file.key.partition("/")[2], file.key


def read_message(path: Path, key: str) -> tuple[bytes, MaildirFile] | None:
    """A message file's bytes and what it was when read; None when a mail client moved or deleted it meanwhile."""
    file = path / key
    try:
        with file.open("rb") as handle:
            raw, stat = handle.read(), os.fstat(handle.fileno())
    except (FileNotFoundError, IsADirectoryError):
        return None
    return raw, MaildirFile(key, stat.st_size, stat.st_mtime_ns)


class MailSource(Protocol):
    name: str  # as in raw.messages.source
    notes: list[str]  # what an operator should know about this read

    def __enter__(self) -> MailSource: ...
    def __exit__(self, *exc_info: object) -> None: ...
    def plan(self, conn: psycopg.Connection, mx_host: str) -> SourcePlan: ...
    def read(self, conn: psycopg.Connection, batch: IntakeBatch) -> Iterator[tuple[str, FetchedMessage]]: ...
    def remember(self, conn: psycopg.Connection, read: Iterable[tuple[str, str]]) -> None: ...
    def mark_read(self, conn: psycopg.Connection, plan: SourcePlan) -> None: ...
    def committed(self) -> None: ...


class MaildirSource:
    """The unfiled messages of a Maildir: each file is moved into :data:`PROCESSED` once the ledger holds it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"maildir:{path}"
        self.notes: list[str] = []
        self._read: dict[str, MaildirFile] = {}
        self._recorded: list[str] = []  # keys recorded in the open transaction: filed once it commits

    def __enter__(self) -> MaildirSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def plan(self, conn: psycopg.Connection, mx_host: str) -> SourcePlan:
        """Every file of ``new/`` and ``cur/`` not remembered as it is now, read once for its hash and receipt time
        (bytes not kept). A remembered one (recorded, its move cut short) is not read: it is filed on commit."""
        listed = list(_scan(self.path))
        remembered = remembered_files(conn, self.name, [key for key, _, _ in listed])
        plan = SourcePlan([])
        unread = []
        for key, size, mtime_ns in listed:
            if remembered.get(key) == (size, mtime_ns):
                plan.skipped += 1
                self._recorded.append(key)
            else:
                unread.append(MaildirFile(key, size, mtime_ns))
        for file in sorted(unread, key=_by_name):
            read = read_message(self.path, file.key)
            if read is None:
                continue
            raw, now = read
            self._read[file.key] = now
            received = received_time(parse_headers(raw), mx_host, delivered_at=now.mtime)
            plan.planned.append(PlannedMessage(file.key, received, message_hash(raw)))
        return plan

    def read(self, conn: psycopg.Connection, batch: IntakeBatch) -> Iterator[tuple[str, FetchedMessage]]:
        """The batch's files in name order (the order they were delivered in); a file gone meanwhile is skipped."""
        for key in sorted(batch.keys, key=lambda key: (Path(key).name, key)):
            read = read_message(self.path, key)
            if read is None:
                continue
            raw, file = read
            self._read[key] = file
            yield key, FetchedMessage(raw=raw, source=self.name, delivered_at=file.mtime)

    def remember(self, conn: psycopg.Connection, read: Iterable[tuple[str, str]]) -> None:
        """Remember files (key, message hash) whose message the ledger holds; call in the transaction that
        records them, and :meth:`committed` after its commit to file them. Only files :meth:`plan` or :meth:`read`
        read in this process get a ``raw.maildir_files`` row (the others are filed all the same)."""
        files, read = self._read, list(read)
        self._recorded += [key for key, _ in read]
        rows = [(self.name, key, files[key].size, files[key].mtime_ns, digest) for key, digest in read if key in files]
        if rows:
            with conn.cursor() as cur:
                cur.executemany(
                    """
                    insert into raw.maildir_files (source, file_key, size, mtime_ns, message_hash)
                    values (%s, %s, %s, %s, %s)
                    on conflict (source, file_key) do update
                        set size = excluded.size, mtime_ns = excluded.mtime_ns, message_hash = excluded.message_hash
                    """,
                    rows,
                )

    def mark_read(self, conn: psycopg.Connection, plan: SourcePlan) -> None:
        return None

    def committed(self) -> None:
        """The transaction that remembered files committed: file them into :data:`PROCESSED`."""
        recorded, self._recorded = self._recorded, []
        file_processed(self.path, recorded)


def processed_name(key: str) -> str:
    """The name of file ``key`` (``new/<name>``, ``cur/<name>``) in ``<PROCESSED>/cur``: its own, with Maildir's
    info (:data:`INFO`, no flags: not yet seen by staff) added when it has none, as a mail client adds it when it
    moves a message from ``new/`` to ``cur/`` (a file of ``cur/`` keeps the flags a client gave it)."""
    name = Path(key).name
    return name if INFO in name else name + INFO


def file_processed(path: Path, keys: Iterable[str]) -> int:
    """Move these files of ``path`` (``new/<name>``, ``cur/<name>``) to ``<PROCESSED>/cur`` as their
    :func:`processed_name` (a rename: same filesystem, atomic); a file gone meanwhile (a mail client moved it) is
    left to the next plan. Returns how many."""
    keys = list(keys)
    if not keys:
        return 0
    folder = path / PROCESSED
    moved = 0
    try:
        for sub in ("tmp", "new", "cur"):
            (folder / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        (folder / "maildirfolder").touch(exist_ok=True)  # marks a Maildir++ subfolder for mail servers
        for key in keys:
            try:
                os.rename(path / key, folder / "cur" / processed_name(key))
            except FileNotFoundError:
                continue
            moved += 1
    except OSError as error:  # e.g. a Maildir intake may only read: the ledger holds them, the next plan skips them
        log.warning("could not file %d messages into %s: %s", len(keys) - moved, folder, error)
    return moved


def remembered_files(conn: psycopg.Connection, source: str, keys: list[str]) -> dict[str, tuple[int, int]]:
    """Size and mtime of the remembered files among ``keys`` (those still in ``new/`` or ``cur/``: few)."""
    if not keys:
        return {}
    rows = conn.execute(
        "select file_key, size, mtime_ns from raw.maildir_files where source = %s and file_key = any(%s)",
        (source, keys),
    ).fetchall()
    return {key: (int(size), int(mtime)) for key, size, mtime in rows}
