"""Files the product writes about agencies (archived mail, outgoing mail, alert CSVs) are readable by its owner
only: 0600 files in 0700 folders, whatever the umask."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path, *, narrow_existing: bool = True) -> Path:
    """``path`` and any missing parents created 0700 (``mkdir(parents=True)`` would give parents the umask's
    mode); ``path`` itself made 0700 if it existed, unless ``narrow_existing`` is false (then existing folders
    are left as they are)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(folder, DIR_MODE)  # mkdir's mode is masked by the umask
    if narrow_existing:
        os.chmod(path, DIR_MODE)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (a temporary file renamed), created 0600 in a 0700 folder."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")  # unique per writer: two intakes may race
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.chmod(tmp, FILE_MODE)
    tmp.replace(path)
    return path
