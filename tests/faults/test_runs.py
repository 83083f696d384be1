"""Runs that die or collide (issue 11: the faults that held, and the schema race): kill -9 in the middle of
intake, the warehouse connection lost mid-load, a full or read-only archive disk, two intakes at once on a
brand-new warehouse, and intake holding no lock the other DAG's replies wait for. Each ends with the ledger
invariant after a clean rerun."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import psycopg
import pytest
from fault_support import assert_invariant, database_name, scratch
from support.scratch import processed, unprocessed

JUNE = date(2009, 6, 1)


@pytest.fixture
def home(settings, tmp_path, request):
    from itreport.demo.sample_mail import generate_mailbox

    home = scratch(settings, tmp_path / "home", database_name(request))
    generate_mailbox(home.maildir, JUNE, units=5, with_doc=False)
    return home


def _intake(home, **kwargs):
    from itreport.orchestration.intake_run import run_intake

    return run_intake(home, **kwargs)


def _ledger_rows(home) -> int:
    with psycopg.connect(home.warehouse_url) as conn:
        if conn.execute("select to_regclass('raw.messages')").fetchone()[0] is None:
            return 0
        return conn.execute("select count(*) from raw.messages").fetchone()[0]


SCRIPT = """
import dataclasses, os, pathlib, resource, signal
from itreport.config.settings import Settings
from itreport.orchestration.intake_run import run_intake

settings = dataclasses.replace(Settings.from_env(), home=pathlib.Path({home!r}), warehouse_url={url!r},
                               maildir=pathlib.Path({maildir!r}), notify_max_age_days=None)
{body}
"""


def _run(home, body: str) -> subprocess.CompletedProcess:
    script = SCRIPT.format(home=str(home.home), url=home.warehouse_url, maildir=str(home.maildir), body=body)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, timeout=600)


def test_kill_9_in_the_middle_of_intake_then_rerun(home):
    body = """
seen = []
def die_on_third():
    seen.append(1)
    if len(seen) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
run_intake(settings, on_message=die_on_third)
"""
    done = _run(home, body)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert _ledger_rows(home) == 0  # nothing half-recorded
    assert processed(home.maildir) == []  # nor filed: every file is read again
    _intake(home)
    assert_invariant(home)


def test_killed_after_the_first_batch_then_rerun_loads_every_message_once(home):
    """Batches of 4: the first is committed, the process is killed in the second; the rerun skips the first
    batch's files (remembered, not read again) and loads the rest."""
    body = """
settings = dataclasses.replace(settings, intake_batch_size=4)
seen = []
def die_in_the_second_batch():
    seen.append(1)
    if len(seen) == 6:
        os.kill(os.getpid(), signal.SIGKILL)
run_intake(settings, on_message=die_in_the_second_batch)
"""
    done = _run(home, body)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert _ledger_rows(home) == 4  # the first batch, committed; nothing of the second
    assert len(processed(home.maildir)) == 4  # its files filed as processed: the rerun does not list them
    rerun = _intake(home)
    assert rerun.already_processed == 0 and sum(rerun.states.values()) == rerun.seen
    found = assert_invariant(home)
    assert found.mailbox == _ledger_rows(home) == rerun.seen + 4
    assert unprocessed(home.maildir) == []


def test_warehouse_lost_mid_load_then_rerun(home):
    """The intake's connection is terminated by the server (a restart, a failover) while messages are decided."""
    from ingestion.load import ensure_raw_schema
    from itreport.config import warehouse

    with warehouse.connect(home, autocommit=True) as setup:
        ensure_raw_schema(setup)

    def terminate_intake() -> None:
        with psycopg.connect(home.warehouse_url, autocommit=True) as admin:
            admin.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() "
                "and pid <> pg_backend_pid()"
            )

    with pytest.raises(psycopg.OperationalError):
        _intake(home, on_message=terminate_intake)
    assert _ledger_rows(home) == 0 and processed(home.maildir) == []
    _intake(home)
    assert_invariant(home)


def test_archive_disk_full_fails_the_run_and_the_rerun_recovers(home):
    """A file-size limit the kernel enforces (EFBIG), as a full disk would refuse the archive's writes."""
    body = """
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
try:
    run_intake(settings)
except OSError as error:
    raise SystemExit(f"archive refused: {{error.errno}}")
"""
    done = _run(home, body)
    assert done.returncode == 1 and b"archive refused" in done.stderr, done.stderr.decode()[-2000:]
    assert _ledger_rows(home) == 0
    _intake(home)
    assert_invariant(home)


def test_read_only_archive_fails_the_run_and_the_rerun_recovers(home):
    """The archive on a file system mounted read-only (a tmpfs; the tests run as root)."""
    home.archive_dir.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(home.archive_dir)], check=True)
    try:
        with pytest.raises(OSError):
            _intake(home)
    finally:
        subprocess.run(["umount", str(home.archive_dir)], check=True)
    assert _ledger_rows(home) == 0
    _intake(home)
    assert_invariant(home)


def test_a_read_only_maildir_is_still_read_and_its_files_stay_where_they_are(home):
    """Intake may only read the Maildir (mounted read-only here): the messages are recorded all the same, the
    files cannot be filed as processed, and the next run skips them (remembered) without reading them again."""
    files = unprocessed(home.maildir)
    subprocess.run(["mount", "--bind", str(home.maildir), str(home.maildir)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(home.maildir)], check=True)
        first = _intake(home)
        second = _intake(home)
    finally:
        subprocess.run(["umount", str(home.maildir)], check=True)
    assert first.seen == len(files) == _ledger_rows(home) and unprocessed(home.maildir) == files
    assert (second.seen, second.already_processed, sum(second.states.values())) == (len(files), len(files), 0)
    assert_invariant(home)


def test_two_intakes_at_once_on_a_brand_new_warehouse(home):
    """Two worker processes (the hourly intake and monthly_close) start on a warehouse with no raw schema yet."""
    body = "print(run_intake(settings).seen)"
    script = SCRIPT.format(home=str(home.home), url=home.warehouse_url, maildir=str(home.maildir), body=body)
    command = [sys.executable, "-c", textwrap.dedent(script)]
    workers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [worker.communicate(timeout=600) for worker in workers]
    assert [w.returncode for w in workers] == [0, 0], [err.decode()[-2000:] for _, err in outputs]
    assert_invariant(home)


def test_intake_holds_no_table_lock_that_blocks_the_replies(home):
    """``ensure_raw_schema`` used to alter tables inside the intake's transaction, so the other DAG's replies
    waited for the whole intake. Mid-intake, nobody may hold an exclusive lock on a raw table."""
    _intake(home)  # an existing warehouse, as on any hourly run
    from itreport.demo.sample_mail import generate_mailbox

    generate_mailbox(home.maildir, date(2009, 7, 1), units=3, with_doc=False)
    held: list[int] = []

    def look_at_locks() -> None:
        with psycopg.connect(home.warehouse_url, autocommit=True) as other:
            held.append(
                other.execute(
                    "select count(*) from pg_locks l join pg_class c on c.oid = l.relation "
                    "where l.mode = 'AccessExclusiveLock' and c.relnamespace = 'raw'::regnamespace"
                ).fetchone()[0]
            )

    _intake(home, on_message=look_at_locks)
    assert held and set(held) == {0}
    assert_invariant(home)


def test_the_schema_is_created_once_and_upgrades_run_once(home):
    from ingestion.load import ensure_raw_schema

    with psycopg.connect(home.warehouse_url, autocommit=True) as conn:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: _ensure(home), range(4)))
        assert conn.execute("select count(*) from raw.schema_version").fetchone()[0] == 1
        ensure_raw_schema(conn)
        assert conn.execute("select count(*) from raw.schema_version").fetchone()[0] == 1


def _ensure(home) -> None:
    from ingestion.load import ensure_raw_schema

    with psycopg.connect(home.warehouse_url, autocommit=True) as conn:
        ensure_raw_schema(conn)
