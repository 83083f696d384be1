"""The production topology for real, on loopback: docker/compose.yaml's services as processes (no Docker engine).

PostgreSQL (pgserver: Airflow's metadata and the warehouse with docker/postgres/warehouse.sql's roles), Redis,
Dovecot IMAP read over STARTTLS with a test CA, a local SMTP server, and Airflow's api-server, scheduler,
dag-processor, triggerer and a Celery worker. Runs are triggered through the REST API and the CLI as an operator
would; every wait polls for a state under a generous deadline. The tests run in file order on one xdist worker.
"""

from __future__ import annotations

import csv
import email
import email.policy
import itertools
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

import psycopg
import pytest
from topology import (
    MAIL_USER,
    REPO,
    Airflow,
    Dovecot,
    Postgres,
    Processes,
    StackFailure,
    Superset,
    airflow_env,
    chromium,
    free_port,
    imap_append,
    make_warehouse,
    prepare_superset,
    reset,
    start_airflow,
    start_dovecot,
    start_postgres,
    start_redis,
    wait_for,
)

from ingestion.domain.periods import format_period

pytestmark = [pytest.mark.stack, pytest.mark.xdist_group("stack")]

PERIODS = [date(2009, 6, 1), date(2009, 7, 1), date(2009, 8, 1)]
UNITS = 20  # units per generated month (the others are missing): enough for every story, quick to decide
ENGINEERS = "kysu.dulieu@mic.gov.example"
RUN_TIMEOUT = 420  # one monthly_close on a loaded 2-core machine takes about a minute; allow much more
SNAPSHOT_SQL = {  # a period's rows ("where period_month = %s" is appended)
    "compliance": "select unit_code, status, submission_kind, received_at, days_late"
    " from marts.fct_reporting_compliance",
    "rates": "select unit_type, expected_reports, actual_reports, reports_on_time, reports_late,"
    " reports_missing, reporting_rate, reporting_rate_on_time from marts.rpt_reporting_rate",
    "values": "select unit_code, indicator_code, value_number, value_source from marts.fct_indicator_values",
    "ledger": "select message_hash, state, reason_code, unit_code, received_at from raw.messages",
}


@dataclass
class Stack:
    root: Path
    postgres: Postgres
    dovecot: Dovecot
    airflow: Airflow
    processes: Processes
    superset: Superset
    outbox: Path
    mail: Path  # the generated Maildir (its files are what gets appended over IMAP) and the ground truth beside it

    def warehouse(self) -> psycopg.Connection:
        return psycopg.connect(self.postgres.url("postgres", "itreport"), autocommit=True)

    def messages(self, period: date) -> list[tuple[bytes, datetime]]:
        rows = _csv(self.mail.parent / f"messages-{format_period(period)}.csv")
        return [
            (
                next(self.mail.glob(f"*/{row['file']}")).read_bytes(),
                datetime.fromisoformat(row["received_at"].replace("Z", "+00:00")),
            )
            for row in rows
        ]

    def truth(self, period: date) -> dict[str, str]:
        rows = _csv(self.mail.parent / f"ground_truth-{format_period(period)}.csv")
        return {row["unit_code"]: row["expected_status"] for row in rows}

    def sent(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(self.outbox.glob("*.eml"))
        ]

    def close_period(self, period: date) -> str:
        """monthly_close for ``period`` through the REST API; returns the run id once the run has finished."""
        run_id = f"stack-close-{format_period(period)}-{time.monotonic_ns()}"
        body = {"dag_run_id": run_id, "logical_date": None, "conf": {"period": format_period(period)}}
        self.airflow.api("POST", "/dags/monthly_close/dagRuns", body)
        state = self.airflow.wait_for_run("monthly_close", run_id, RUN_TIMEOUT)
        assert state == "success", self.airflow.task_states("monthly_close", run_id)
        return run_id


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class PeakMemory:
    """The largest total RSS of the stack's processes and their children (and this test process), sampled."""

    def __init__(self, processes: Processes, postgres_pid: int) -> None:
        self.processes, self.postgres_pid, self.peak = processes, postgres_pid, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(2):
            pids = {os.getpid(), self.postgres_pid, *(p.pid for p in self.processes.started if p.popen.poll() is None)}
            total = 0
            seen: set[int] = set()
            for pid in pids:
                try:
                    parent = psutil.Process(pid)
                    for proc in [parent, *parent.children(recursive=True)]:
                        if proc.pid not in seen:
                            seen.add(proc.pid)
                            total += proc.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    from itreport.config.settings import Settings
    from itreport.demo import smtp_sink
    from itreport.demo.sample_mail import generate_mailbox
    from itreport.orchestration.airflow_env import smtp_connection

    root = Path(os.environ["ITREPORT_HOME"]) / "stack"
    reset(root)
    started = time.monotonic()
    processes = Processes(root / "logs")
    postgres: Postgres | None = None
    memory: PeakMemory | None = None
    try:
        postgres = start_postgres(root / "pgdata")
        make_warehouse(postgres)
        redis_port = start_redis(processes, root / "redis")
        dovecot = start_dovecot(processes, root / "dovecot", root / "tls")
        with smtp_sink.running_sink(root / "outbox") as smtp_url, PeakMemory(processes, postgres.pid) as memory:
            api_port = free_port()
            product = {
                "ITREPORT_HOME": str(root / "home"),
                "ITREPORT_WAREHOUSE_URL": postgres.url("itreport_loader", "itreport"),
                "ITREPORT_DBT_WAREHOUSE_URL": postgres.url("itreport_dbt", "itreport"),
                "ITREPORT_IMAP_HOST": "127.0.0.1",
                "ITREPORT_IMAP_SECURITY": "starttls",
                "ITREPORT_IMAP_PORT": str(dovecot.port),
                "ITREPORT_IMAP_CA_FILE": str(dovecot.ca_file),
                "ITREPORT_IMAP_USER": MAIL_USER,
                "ITREPORT_IMAP_PASSWORD": dovecot.password,
                "ITREPORT_SMTP_URL": smtp_url,
                "ITREPORT_NOTIFY_MAX_AGE_DAYS": "none",  # the sample mail is from 2009
                # monthly_close's DeadlineAlert fires 3.6 s after a run is queued: every close here runs longer
                "ITREPORT_DEADLINE_ALERT": "true",
                "ITREPORT_DEADLINE_ALERT_HOURS": "0.001",
                "ITREPORT_ENGINEERS_TO": ENGINEERS,
                "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection(smtp_url, "baocao.cntt@mic.gov.example"),
            }
            env, password = airflow_env(root / "airflow", postgres, redis_port, api_port, product)
            settings = Settings.from_env(env)
            mail = root / "sample" / "Maildir"
            for period in PERIODS:  # written while nothing runs yet: the generator is CPU-bound
                generate_mailbox(mail, period, units=UNITS, mx_host=settings.mx_host, deadline=settings.deadline)
            airflow = start_airflow(processes, env, api_port, password)
            superset = prepare_superset(processes, root / "superset")  # minutes of migrations, meanwhile
            yield Stack(root, postgres, dovecot, airflow, processes, superset, root / "outbox", mail)
    finally:
        problems = processes.stop_all()
        if postgres is not None:
            postgres.stop()
        report = {
            "wall_seconds": round(time.monotonic() - started, 1),
            "peak_rss_mb": round((memory.peak if memory else 0) / 2**20),
            "stop_problems": problems,
        }
        (root / "stack-report.json").write_text(json.dumps(report, indent=2))
        print(f"\nstack test: {report}")
        leftovers = [p.name for p in processes.started if p.popen.poll() is None]
        assert not leftovers, f"still running: {leftovers}"


def _compliance(conn: psycopg.Connection, period: date) -> dict[str, str]:
    rows = conn.execute(
        "select unit_code, status from marts.fct_reporting_compliance where period_month = %s", (period,)
    ).fetchall()
    return dict(rows)


def _expected(stack: Stack, conn: psycopg.Connection, period: date) -> dict[str, str]:
    """The generator's truth for its units; every other unit valid in the period sent nothing: missing."""
    truth = stack.truth(period)
    units = _compliance(conn, period)
    return {unit: truth.get(unit, "missing") for unit in units}


def _alerts(stack: Stack, period: date) -> list[email.message.EmailMessage]:
    return [m for m in stack.sent() if f"Tháng {format_period(period)}" in str(m["Subject"])]


def _replies(stack: Stack) -> list[email.message.EmailMessage]:
    return [m for m in stack.sent() if m["In-Reply-To"]]


def test_monthly_close_through_the_rest_api(stack):
    june = PERIODS[0]
    imap_append(stack.dovecot, stack.messages(june))
    stack.close_period(june)
    with stack.warehouse() as conn:
        compliance = _compliance(conn, june)
        assert compliance == _expected(stack, conn, june)
        assert set(compliance.values()) == {"on_time", "late", "missing"}
        missing = conn.execute(
            "select unit_code, unit_name from marts.fct_reporting_compliance"
            " where period_month = %s and status = 'missing'",
            (june,),
        ).fetchall()
        ledger = conn.execute("select count(*) from raw.messages").fetchone()[0]
    assert ledger == len({body for body, _ in stack.messages(june)})
    alerts = _alerts(stack, june)
    assert len(alerts) == 1
    body = alerts[0].get_body(preferencelist=("html",)).get_content()
    for code, name in missing:
        assert code in body and name in body
    assert alerts[0]["From"] and "lanhdao.cntt@mic.gov.example" in str(alerts[0]["To"])


def test_deadline_alert_emails_the_engineers_about_a_late_close(stack):
    """DeadlineAlert only runs on a real scheduler and triggerer: the close above outlived its (tiny) deadline, so the
    triggerer ran the callback and the engineers got one email naming the DAG, the run and the period."""

    def deadline_emails() -> list[email.message.EmailMessage]:
        return [m for m in stack.sent() if ENGINEERS in str(m["To"]) and "not finished" in str(m["Subject"])]

    found = wait_for(deadline_emails, "the DeadlineAlert's email to the engineers", RUN_TIMEOUT)
    assert all("monthly_close" in str(m["Subject"]) for m in found)
    bodies = [m.get_body(preferencelist=("html",)).get_content() for m in found]
    assert any("stack-close-" in body for body in bodies)  # the run id of the close above
    assert len(set(bodies)) == len(bodies)  # one email per late run, never twice


def test_worker_killed_mid_intake_loses_and_doubles_nothing(stack):
    """SIGKILL the Celery worker while intake runs, start another: the task runs again, every message is in the
    ledger once and no agency gets a reply twice."""
    airflow = stack.airflow
    july = PERIODS[1]
    imap_append(stack.dovecot, stack.messages(july))
    run_id = f"stack-intake-kill-{time.monotonic_ns()}"
    airflow.api("POST", "/dags/intake/dagRuns", {"dag_run_id": run_id, "logical_date": None})
    wait_for(
        lambda: airflow.task_states("intake", run_id).get("intake_batch") == "running",
        "an intake batch to run on the worker",
        RUN_TIMEOUT,
        0.3,
    )
    killed = airflow.worker
    assert killed is not None
    stack.processes.kill(killed)
    airflow.start_worker("worker2")

    def rerun_or_done() -> str | None:
        state = airflow.task_states("intake", run_id).get("intake_batch")
        if state in ("up_for_retry", "failed", "restarting"):
            # the retry delay is 5 minutes in the DAG: an operator clears the task to retry it now
            airflow.api(
                "POST",
                "/dags/intake/clearTaskInstances",
                {"dag_run_id": run_id, "task_ids": ["intake_batch"], "only_failed": False, "dry_run": False},
            )
            return None
        return state if state == "success" else None

    wait_for(rerun_or_done, "the killed intake task to be retried and succeed", RUN_TIMEOUT, 2)
    assert airflow.wait_for_run("intake", run_id, RUN_TIMEOUT) == "success", airflow.task_states("intake", run_id)
    task = airflow.api("GET", f"/dags/intake/dagRuns/{run_id}/taskInstances/intake_batch/0")  # the one batch
    assert task["try_number"] >= 2, "the killed attempt did not count: the task ran again"
    with stack.warehouse() as conn:
        ledger = conn.execute("select message_hash from raw.messages").fetchall()
        replies_sent = conn.execute("select count(*) from raw.replies where withheld_reason is null").fetchone()[0]
    expected = {body for period in PERIODS[:2] for body, _ in stack.messages(period)}
    assert len(ledger) == len(expected)
    replies = _replies(stack)
    assert replies, "the agencies got their receipts and rejections"
    keys = Counter((str(m["In-Reply-To"]), str(m["To"]), str(m["Subject"])) for m in replies)
    assert max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    assert len(replies) == replies_sent


def _snapshot(stack: Stack, period: date) -> dict[str, list[tuple]]:
    with stack.warehouse() as conn:
        return {
            name: sorted(conn.execute(sql + " where period_month = %s", (period,)).fetchall(), key=repr)
            for name, sql in SNAPSHOT_SQL.items()
        }


def test_backfill_of_three_periods_runs_them_in_order_like_single_runs(stack):
    """``airflow backfill create`` over 2009-06..08 (06 was closed by a single run above): the scheduler runs the
    three one at a time in period order; 06 ends exactly as its single run left it, and 07 and 08 equal the
    generator's truth, which is what a single run gives (tests/test_e2e_monthly_close.py)."""
    june, july, august = PERIODS
    imap_append(stack.dovecot, stack.messages(august))
    single_june = _snapshot(stack, june)
    assert single_june["compliance"] and single_june["values"]

    result = stack.airflow.cli(
        "backfill",
        "create",
        "--dag-id",
        "monthly_close",
        "--from-date",
        "2009-05-21",
        "--to-date",
        "2009-07-22",
        "--max-active-runs",
        "1",
    )
    assert result.returncode == 0, result.stderr[-3000:]

    def backfill_runs() -> list[dict] | None:
        runs = stack.airflow.api("GET", "/dags/monthly_close/dagRuns?run_type=backfill&limit=50")["dag_runs"]
        for run in runs:
            states = stack.airflow.task_states("monthly_close", run["dag_run_id"])
            if {"up_for_retry", "failed", "upstream_failed"} & set(states.values()):
                raise StackFailure(f"backfill run {run['dag_run_id']}: {states}")
        return runs if len(runs) == 3 and all(r["state"] in ("success", "failed") for r in runs) else None

    runs = wait_for(backfill_runs, "the three backfill runs to finish", 3 * RUN_TIMEOUT, 3)
    assert [r["state"] for r in runs] == ["success"] * 3
    runs.sort(key=lambda r: r["logical_date"])
    ends = [datetime.fromisoformat(r["data_interval_end"]).astimezone(UTC) for r in runs]
    assert [(e.year, e.month) for e in ends] == [(2009, 6), (2009, 7), (2009, 8)]
    for earlier, later in itertools.pairwise(runs):
        assert datetime.fromisoformat(later["start_date"]) >= datetime.fromisoformat(earlier["end_date"])
    assert _snapshot(stack, june) == single_june
    with stack.warehouse() as conn:
        for period in (july, august):
            assert _compliance(conn, period) == _expected(stack, conn, period), period
    assert len(_alerts(stack, august)) == 1


def test_intake_picks_up_a_message_appended_while_the_stack_runs(stack):
    """A message APPENDed to the IMAP folder is read by the next run of the hourly intake DAG. The scheduler's
    own timetables are off in this stack (``use_job_schedule``: monthly_close would catch up since 2009), so the
    test triggers the hourly run through the REST API as its cron tick would."""
    received = datetime(2009, 8, 25, 3, 0, tzinfo=UTC)
    message = EmailMessage()
    message["From"] = "vanthu@yahoo.example"
    message["To"] = MAIL_USER
    message["Subject"] = "Hỏi về mẫu báo cáo tháng 8"
    message["Date"] = format_datetime(received)
    message["Message-ID"] = "<appended.stack@agency.example>"
    message.set_content("Kính gửi Cục, xin hỏi mẫu báo cáo mới ở đâu?")
    imap_append(stack.dovecot, [(message.as_bytes(policy=SMTP), received)])
    run_id = f"stack-intake-append-{time.monotonic_ns()}"
    stack.airflow.api("POST", "/dags/intake/dagRuns", {"dag_run_id": run_id, "logical_date": None})
    assert stack.airflow.wait_for_run("intake", run_id, RUN_TIMEOUT) == "success"
    with stack.warehouse() as conn:
        rows = conn.execute(
            "select state, reason_code, received_at from raw.messages where message_id = %s",
            (message["Message-ID"],),
        ).fetchall()
    assert len(rows) == 1
    state, _reason, received_at = rows[0]
    assert state in ("ignored", "quarantined")
    assert received_at == received, "the receipt time is the server's INTERNALDATE"


def test_superset_dashboard_imported_from_yaml_renders_the_last_period(stack):
    """The dashboard YAML of docker/superset, imported into a real Superset connected as bi_reader, rendered by
    headless Chromium: the last closed period's late and missing units and report counts are on the page."""
    import shutil
    import sqlite3
    import sys
    import urllib.request

    superset = stack.superset
    wait_for(lambda: superset.prepared.popen.poll() is not None, "superset db upgrade and init", 900, 2)
    assert superset.prepared.popen.returncode == 0, superset.prepared.tail()
    dashboards = superset.root / "dashboards"
    shutil.copytree(REPO / "docker" / "superset" / "dashboards", dashboards)
    sys.path.insert(0, str(dashboards))
    try:
        from render import render
    finally:
        sys.path.remove(str(dashboards))
    render(dashboards, stack.postgres.url("bi_reader", "itreport", "postgresql+psycopg2"))
    imported = superset.run("import-directory", "--overwrite", str(dashboards))
    assert imported.returncode == 0, imported.stderr[-3000:]
    with sqlite3.connect(superset.root / "superset.db") as db:
        found = db.execute(
            "select d.id, count(s.slice_id) from dashboards d join dashboard_slices s on s.dashboard_id = d.id"
            " where d.slug = 'itreport-compliance' group by d.id"
        ).fetchall()
    assert len(found) == 1 and found[0][1] == 4, (found, imported.stderr[-3000:])

    port = free_port()
    argv = [str(REPO / ".venv-superset" / "bin" / "superset"), "run", "-h", "127.0.0.1", "-p", str(port)]
    stack.processes.start("superset", [*argv, "--with-threads"], superset.env)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: urllib.request.urlopen(f"{base}/health", timeout=10).status == 200, "Superset", 300, 2)

    with stack.warehouse() as conn:
        last = conn.execute("select max(period_month) from marts.fct_reporting_compliance").fetchone()[0]
        late_or_missing = conn.execute(
            "select unit_code from marts.fct_reporting_compliance where period_month = %s"
            " and status in ('late', 'missing')",
            (last,),
        ).fetchall()
        expected, missing = conn.execute(
            "select expected_reports, reports_missing from marts.rpt_reporting_rate"
            " where period_month = %s and unit_type = 'all'",
            (last,),
        ).fetchone()
    url = f"{base}/superset/dashboard/itreport-compliance/?standalone=1"
    page = wait_for(lambda: _rendered(url, [code for (code,) in late_or_missing]), "the dashboard's tables", 300, 5)
    assert format_period(last) in page
    assert f">{expected}<" in page and f">{missing}<" in page
    screenshot = stack.root / "superset-dashboard.png"
    shot = chromium(url, f"--screenshot={screenshot}")
    assert screenshot.exists() and screenshot.stat().st_size > 20_000, shot.stderr[-2000:]


def _rendered(url: str, unit_codes: list[str]) -> str | None:
    """The page's DOM once every unit code is in it (charts load their data after the page)."""
    dom = chromium(url, "--dump-dom").stdout.decode("utf-8", "replace")
    return dom if unit_codes and all(f">{code}<" in dom for code in unit_codes) else None


def test_every_process_answers_until_the_end(stack):
    """Every long-running service is still up after the tests (the one-shot Superset init and the killed worker
    excepted): nothing crashed along the way."""
    expected_gone = {"worker1", "superset-init"}
    dead = [p for p in stack.processes.started if p.popen.poll() is not None and p.name not in expected_gone]
    assert not dead, {p.name: p.tail(5) for p in dead}
    running = {p.name for p in stack.processes.started if p.popen.poll() is None}
    assert {"api-server", "scheduler", "dag-processor", "triggerer", "worker2", "redis", "dovecot"} <= running
