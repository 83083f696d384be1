"""The archive of every received message: raw bytes stored once under their sha256, before any decision."""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from ingestion.domain.private_files import private_dir, write_private


def message_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def archive(raw: bytes, archive_dir: Path, digest: str | None = None) -> Path:
    """Store the raw bytes under their hash (write-once, owner-only: 0600 in 0700 folders); returns the path.
    ``digest``: their :func:`message_hash` when the caller has it already.
    A full or read-only disk raises (``OSError``) before any decision is recorded: intake fails, nothing is lost."""
    target = archived_path(digest or message_hash(raw), archive_dir)
    if not target.exists():
        private_dir(archive_dir)
        write_private(target, raw)
    return target


# Messages written at once by :class:`ArchiveWriter`: each waits for the disk on its own (fsync), and a journaled
# file system commits the waits that overlap together, so a batch is archived several times faster.
ARCHIVE_WRITERS = 8


class ArchiveWriter:
    """:func:`archive` of each message given to :meth:`add`, several at once by threads while the caller goes on
    (intake decides the batch meanwhile); :meth:`wait` returns once each is written, flushed to disk and renamed,
    and raises the first failure, as :func:`archive`. Leaving the ``with`` block waits for the writes under way."""

    def __init__(self, archive_dir: Path) -> None:
        self.archive_dir = archive_dir
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[Path]] = []

    def __enter__(self) -> ArchiveWriter:
        private_dir(self.archive_dir)  # a read-only or missing disk raises here, before anything is read
        self._pool = ThreadPoolExecutor(max_workers=ARCHIVE_WRITERS, thread_name_prefix="archive")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=exc_info[0] is not None)
            self._pool = None

    def add(self, raw: bytes, digest: str | None = None) -> Path:
        """Start archiving ``raw`` (``digest``: its :func:`message_hash`, when known); returns where it goes."""
        if self._pool is None:
            raise RuntimeError("ArchiveWriter.add outside its with block")
        digest = digest or message_hash(raw)
        self._pending.append(self._pool.submit(archive, raw, self.archive_dir, digest))
        return archived_path(digest, self.archive_dir)

    def wait(self) -> None:
        """Every message added so far is archived (the first failure raises)."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()


def archived_path(digest: str, archive_dir: Path) -> Path:
    """Where :func:`archive` stores the message whose sha256 is ``digest``."""
    return archive_dir / digest[:2] / f"{digest}.eml"
