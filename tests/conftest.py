"""Test state lives in its own folder under .local (one per xdist worker), never in the demo's state."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
TEST_HOME = Path(os.environ.get("ITREPORT_TEST_HOME") or REPO / ".local").resolve() / f"test-{WORKER}"

os.environ["ITREPORT_HOME"] = str(TEST_HOME)
os.environ["AIRFLOW_HOME"] = str(TEST_HOME / "airflow")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "false"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["GX_ANALYTICS_ENABLED"] = "false"
os.environ["ITREPORT_NOTIFY_MAX_AGE_DAYS"] = "none"  # the tests' mail is from 2009; the limit has tests of its own
for variable in ("ITREPORT_WAREHOUSE_URL", "ITREPORT_MAILDIR", "ITREPORT_IMAP_HOST", "ITREPORT_SMTP_URL"):
    os.environ.pop(variable, None)


# pgserver logs from an atexit hook after pytest has closed its capture streams; don't report that.
logging.raiseExceptions = False


@pytest.fixture(scope="session", autouse=True)
def _stop_embedded_warehouse_at_exit():
    """The last session using this test home stops its embedded server: each holds a shared lock while it runs, so
    a session that ends (say, a few unit tests run beside the suite) leaves the server to the others."""
    TEST_HOME.mkdir(parents=True, exist_ok=True)
    with (TEST_HOME / ".sessions.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        yield
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        from itreport.config.settings import Settings
        from itreport.config.warehouse import stop_embedded

        stop_embedded(Settings.from_env())


@pytest.fixture(scope="session")
def settings():
    from itreport.config.settings import Settings

    return Settings.from_env()


@pytest.fixture(scope="session")
def warehouse_conn(settings):
    """A connection to the embedded PostgreSQL of this test session (a fresh database per session)."""
    import psycopg

    from itreport.config import warehouse

    url = warehouse.warehouse_url(settings)
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def empty_state(settings, warehouse_conn):
    """Drop everything the product wrote (schemas, mail, archive, outbox), keeping the running embedded server."""
    _drop_state(settings, warehouse_conn)
    return settings


def _drop_state(settings, conn) -> None:
    for schema in ("raw", "reference", "staging", "intermediate", "marts", "public"):
        conn.execute(f"drop schema if exists {schema} cascade")
    conn.execute("create schema public")
    for folder in (settings.maildir.parent, settings.archive_dir, settings.outbox_dir):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Keep each ``xdist_group`` on one worker under ``--dist loadgroup``.

    pytest-xdist 3.8 tags a grouped test by writing ``item._nodeid``, which pytest 9.2 no longer reads (the id
    lives in ``item._id``): the tag was lost and a group's tests (one Airflow session, one stack) ran on both workers.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        marks = item.iter_markers("xdist_group")
        groups = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in marks})
        if groups and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")
