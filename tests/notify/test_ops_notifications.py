"""Engineers' emails: a task failure (a real dag.test() run of a failing task with the project's notifier) and the
DeadlineAlert's callback, both received by the local SMTP server; passwords never appear in them."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("ops_notifications")

SECRET = "s3cr3t-Pa55"
ENGINEERS = "kysu.dulieu@mic.gov.example"


def _mails(outbox: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(outbox.glob("*.eml"))]


@pytest.fixture(scope="module")
def ops(settings, tmp_path_factory):
    """A scratch warehouse (for raw.outbox), an SMTP sink, and Airflow's smtp_default pointing at it."""
    from support.scratch import restore_environ, scratch_settings

    from itreport.demo import smtp_sink
    from itreport.orchestration import airflow_env

    scratch = scratch_settings(settings, tmp_path_factory.mktemp("ops"), "itreport_ops")
    names = ("ITREPORT_HOME", "ITREPORT_WAREHOUSE_URL", "AIRFLOW_CONN_SMTP_DEFAULT")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(ITREPORT_HOME=str(scratch.home), ITREPORT_WAREHOUSE_URL=scratch.warehouse_url or "")
    try:
        with smtp_sink.running_sink(scratch.outbox_dir) as url:
            os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = airflow_env.smtp_connection(url, scratch.ministry_address)
            yield {"settings": scratch, "smtp_url": url, "tmp": tmp_path_factory.mktemp("ops_airflow")}
    finally:
        restore_environ(saved)


FAILING_DAG = f"""
import pendulum
from airflow.sdk import dag, task
from itreport.orchestration.notifications import EngineersFailureNotifier

@dag(dag_id="failing_for_ops_test", schedule=None, start_date=pendulum.datetime(2009, 6, 1), catchup=False,
     params={{"period": "2009-07"}}, default_args={{"on_failure_callback": EngineersFailureNotifier()}})
def failing():
    @task(retries=0)
    def connect_somewhere():
        raise ConnectionError("could not reach postgresql://etl:{SECRET}@db.example:5432/itreport")
    connect_somewhere()

failing()
"""

RUN_IT = """
import sys
from airflow.dag_processing.dagbag import DagBag
run = DagBag(dag_folder=sys.argv[1]).dags["failing_for_ops_test"].test()
print("RUN", run.run_id, run.state)
"""


def test_a_failed_task_emails_the_engineers_without_the_password(ops):
    """A real dag.test() of a failing task, in a child process with an Airflow home and DAG folder of its own (the
    DAG folder is fixed per process: changing it here would hide the project's DAGs from later tests)."""
    import subprocess
    import sys

    settings = ops["settings"]
    dags = ops["tmp"] / "dags"
    dags.mkdir()
    (dags / "failing.py").write_text(textwrap.dedent(FAILING_DAG))
    env = os.environ | {
        "AIRFLOW_HOME": str(ops["tmp"] / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
    }
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, env=env)
    done = subprocess.run([sys.executable, "-c", RUN_IT, str(dags)], capture_output=True, text=True, env=env)
    run_line = [line for line in done.stdout.splitlines() if line.startswith("RUN ")]
    assert run_line and run_line[-1].endswith(" failed"), done.stdout[-2000:] + done.stderr[-2000:]
    run_id = run_line[-1].split()[1]
    mails = [m for m in _mails(settings.outbox_dir) if "Task failed" in str(m["Subject"])]
    assert len(mails) == 1
    mail = mails[0]
    assert str(mail["Subject"]) == "[itreport] Task failed: failing_for_ops_test.connect_somewhere (2009-07)"
    assert str(mail["To"]) == ENGINEERS
    body = mail.get_body(preferencelist=("html",)).get_content()
    assert "connect_somewhere" in body and run_id in body and "2009-07" in body
    assert "postgresql://etl:***@db.example" in body
    assert SECRET not in mail.as_string()


def test_the_deadline_callback_emails_the_engineers_once(ops):
    from itreport.orchestration.notifications import deadline_missed

    settings = ops["settings"]
    context = {
        "dag_run": {
            "dag_id": "monthly_close",
            "dag_run_id": "scheduled__2009-07-21T17:00:00+00:00",
            "queued_at": "2009-07-21T17:00:05+00:00",
            "conf": {"period": "2009-07"},
        },
        "deadline": {"id": "x", "deadline_time": "2009-07-21T23:00:05+00:00"},
    }
    asyncio.run(deadline_missed(context=context))
    asyncio.run(deadline_missed(context=context))  # the triggerer calls again: the outbox has it already
    mails = [m for m in _mails(settings.outbox_dir) if "not finished" in str(m["Subject"])]
    assert len(mails) == 1
    assert str(mails[0]["Subject"]) == "[itreport] monthly_close not finished 6 h after queued (2009-07)"
    body = mails[0].get_body(preferencelist=("html",)).get_content()
    assert "scheduled__2009-07-21T17:00:00+00:00" in body and "2009-07-21T23:00:05+00:00" in body


def test_monthly_close_deadline_is_queued_at_plus_the_setting_and_off_for_dag_test(settings):
    import dataclasses

    from airflow.sdk import DeadlineReference

    from itreport.orchestration.notifications import monthly_close_deadline

    alert = monthly_close_deadline(dataclasses.replace(settings, deadline_alert=True, deadline_alert_hours=6))
    assert alert is not None
    assert isinstance(alert.reference, type(DeadlineReference.DAGRUN_QUEUED_AT))
    assert alert.interval == timedelta(hours=6)
    assert alert.callback.path == "itreport.orchestration.notifications.deadline_missed"
    assert monthly_close_deadline(dataclasses.replace(settings, deadline_alert=False)) is None


def test_monthly_close_wires_the_deadline_only_when_the_setting_is_on(monkeypatch):
    from itreport.orchestration.local_runner import load_dag

    repo_dags = Path(__file__).resolve().parents[2] / "dags"
    monkeypatch.setenv("ITREPORT_DEADLINE_ALERT", "true")
    assert load_dag("monthly_close", repo_dags).deadline
    monkeypatch.setenv("ITREPORT_DEADLINE_ALERT", "false")
    assert not load_dag("monthly_close", repo_dags).deadline


def test_redact_masks_url_and_keyword_secrets():
    from itreport.notify.ops import redact

    text = f"smtps://mailer:{SECRET}@smtp.example:465 failed; password={SECRET}; token: {SECRET}"
    masked = redact(text)
    assert SECRET not in masked
    assert "smtps://mailer:***@smtp.example:465" in masked and "password=***" in masked
