"""The archive of every received message: raw bytes stored once under their sha256, before any decision."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
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


# Messages written at once by :func:`archive_all`: each waits for the disk on its own (fsync), and a journaled
# file system commits the waits that overlap together, so a batch is archived several times faster.
ARCHIVE_WRITERS = 8


def archive_all(raws: Sequence[bytes], archive_dir: Path, digests: Sequence[str] | None = None) -> list[Path]:
    """:func:`archive` of every message (their paths, in order), several at once: each file is still written,
    flushed to disk and renamed on its own before this returns; the first failure raises, as :func:`archive`.
    ``digests``: the messages' :func:`message_hash`, in order, when the caller has them already."""
    hashes = list(digests) if digests is not None else [None] * len(raws)
    if len(hashes) != len(raws):
        raise ValueError(f"{len(raws)} messages but {len(hashes)} digests")
    if len(raws) < 2:
        return [archive(raw, archive_dir, digest) for raw, digest in zip(raws, hashes, strict=True)]
    private_dir(archive_dir)
    with ThreadPoolExecutor(max_workers=min(ARCHIVE_WRITERS, len(raws)), thread_name_prefix="archive") as pool:
        return list(pool.map(archive, raws, [archive_dir] * len(raws), hashes))


def archived_path(digest: str, archive_dir: Path) -> Path:
    """Where :func:`archive` stores the message whose sha256 is ``digest``."""
    return archive_dir / digest[:2] / f"{digest}.eml"
