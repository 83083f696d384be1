"""The archive of every received message: raw bytes stored once under their sha256, before any decision."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ingestion.domain.private_files import private_dir, write_private


def message_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def archive(raw: bytes, archive_dir: Path) -> Path:
    """Store the raw bytes under their hash (write-once, owner-only: 0600 in 0700 folders); returns the path.
    A full or read-only disk raises (``OSError``) before any decision is recorded: intake fails, nothing is lost."""
    target = archived_path(message_hash(raw), archive_dir)
    if not target.exists():
        private_dir(archive_dir)
        write_private(target, raw)
    return target


def archived_path(digest: str, archive_dir: Path) -> Path:
    """Where :func:`archive` stores the message whose sha256 is ``digest``."""
    return archive_dir / digest[:2] / f"{digest}.eml"
