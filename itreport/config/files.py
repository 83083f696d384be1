"""Files the product writes for people (forms, briefings): owner-only, since they hold agencies' figures."""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """``path`` and any missing parents created 0700 (``mkdir(parents=True)`` would give parents the umask's mode);
    an existing ``path`` is narrowed to 0700."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)
    path.chmod(0o700)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` (0600, in a 0700 folder), replacing it atomically."""
    private_dir(path.parent)
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    partial.chmod(0o600)
    partial.replace(path)
    return path
