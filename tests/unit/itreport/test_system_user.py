"""The embedded server's system user is created once when processes start at the same moment on a fresh machine."""

from __future__ import annotations

import multiprocessing
import os
import pwd
import subprocess
import uuid

import pytest

from itreport.config.warehouse import ensure_system_user

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creating a system user needs root (CI runs as root)")


def _create(name: str, lock_dir: str, start: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue) -> None:
    from pathlib import Path

    start.wait()
    out.put(ensure_system_user(name, lock_dir=Path(lock_dir)))


def test_processes_starting_together_get_one_user_and_the_same_uid(tmp_path):
    name = f"itr{uuid.uuid4().hex[:10]}"
    context = multiprocessing.get_context("fork")
    start, out = context.Barrier(6), context.Queue()
    workers = [context.Process(target=_create, args=(name, str(tmp_path), start, out)) for _ in range(6)]
    try:
        for worker in workers:
            worker.start()
        uids = [out.get(timeout=120) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
        assert [worker.exitcode for worker in workers] == [0] * 6
        assert set(uids) == {pwd.getpwnam(name).pw_uid}
        with open("/etc/passwd", encoding="utf-8") as passwd:
            assert sum(line.startswith(f"{name}:") for line in passwd) == 1
        assert ensure_system_user(name, lock_dir=tmp_path) == uids[0]  # known now: nothing is created again
    finally:
        subprocess.run(["userdel", name], check=False, capture_output=True)
