"""The archive of every received message: raw bytes stored once under their sha256, before any decision."""

from __future__ import annotations

import hashlib
from pathlib import Path


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
