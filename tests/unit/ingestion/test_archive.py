"""The archive: each message stored once under its hash, owner-only, whether written alone or with its batch."""

from __future__ import annotations

import os
import resource
import signal
from pathlib import Path

import pytest

from ingestion.mailbox.archive import ArchiveWriter, archive, archived_path, message_hash


def _messages(count: int) -> list[bytes]:
    return [f"Subject: {number}\r\n\r\n".encode() + os.urandom(64) for number in range(count)]


def _archive_batch(raws: list[bytes], archive_dir: Path, digests: list[str] | None = None) -> list[Path]:
    """A batch as intake archives it: every message added to one writer, then waited for."""
    with ArchiveWriter(archive_dir) as writer:
        paths = [writer.add(raw, digests[i] if digests else None) for i, raw in enumerate(raws)]
        writer.wait()
    return paths


def test_a_batch_is_archived_as_each_message_alone(tmp_path):
    raws = _messages(20)
    raws.append(raws[3])  # the same message twice in a batch: one file
    paths = _archive_batch(raws, tmp_path / "batch")
    assert paths == [archived_path(message_hash(raw), tmp_path / "batch") for raw in raws]
    assert [path.read_bytes() for path in paths] == raws
    alone = [archive(raw, tmp_path / "alone") for raw in raws]
    assert sorted(p.relative_to(tmp_path / "alone") for p in alone) == sorted(
        p.relative_to(tmp_path / "batch") for p in paths
    )
    files = list((tmp_path / "batch").rglob("*"))
    assert len([f for f in files if f.is_file()]) == 20  # no temporary file left behind
    assert {oct(f.stat().st_mode & 0o777) for f in files} == {"0o600", "0o700"}


def test_a_batch_that_cannot_be_written_raises(tmp_path):
    """A file-size limit the kernel enforces (EFBIG), as a full disk would refuse the writes."""
    raws = [b"Subject: small\r\n\r\n", b"Subject: large\r\n\r\n" + b"x" * 8192, b"Subject: other\r\n\r\n"]
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, limits[1]))
    try:
        with pytest.raises(OSError):
            _archive_batch(raws, tmp_path / "archive")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, handler)
    assert not archived_path(message_hash(raws[1]), tmp_path / "archive").exists()


def test_digests_given_by_the_caller_archive_as_computed_ones(tmp_path):
    raws = _messages(5)
    given = _archive_batch(raws, tmp_path / "given", [message_hash(raw) for raw in raws])
    assert given == _archive_batch(raws, tmp_path / "given")
    assert [path.read_bytes() for path in given] == raws


def test_a_writer_archives_while_its_caller_goes_on_and_wait_raises_what_failed(tmp_path):
    raws = _messages(12)
    with ArchiveWriter(tmp_path / "archive") as writer:
        paths = [writer.add(raw) for raw in raws]  # returns at once: where each message goes
        writer.wait()
        assert [path.read_bytes() for path in paths] == raws
        used = {path.parent.name for path in paths}
        blocked = next(raw for raw in _messages(300) if message_hash(raw)[:2] not in used)
        # a file where the message's folder should be: its write fails in a thread, and wait() raises it
        archived_path(message_hash(blocked), tmp_path / "archive").parent.write_bytes(b"")
        writer.add(blocked)
        writer.add(raws[0])
        with pytest.raises(OSError):
            writer.wait()
        writer.wait()  # what failed was raised once: nothing left pending
    with pytest.raises(RuntimeError):
        writer.add(raws[0])
