"""The intake DAG for real (``dag.test()``) with batches small enough to map several ``intake_batch`` tasks: the
warehouse ends as a single-batch intake of the same mail leaves it, "same as" notices whose previous month's report
was another batch's included."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from support.scratch import output_of_this_process, processed, scratch_settings, unprocessed

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("airflow")]

PERIODS = [date(2009, 6, 1), date(2009, 7, 1)]
BATCH_SIZE = 9


def _warehouse(url: str) -> dict[str, list[tuple]]:
    import psycopg

    tables = {
        "messages": "select message_hash, state, reason_code, reason_vi, reason_en, unit_code, period_month, "
        "submission_kind, received_at, sender, subject from raw.messages",
        "submissions": "select message_hash, unit_code, period_month, submission_kind, received_at, filename, "
        "same_as_period from raw.submissions",
        "values": "select message_hash, indicator_code, value_text, value_number from raw.submission_values",
        "warnings": "select message_hash, indicator_code, warning_code from raw.value_warnings",
    }
    with psycopg.connect(url) as conn:
        return {name: sorted(conn.execute(sql).fetchall(), key=repr) for name, sql in tables.items()}


@pytest.fixture(scope="module")
def mapped_run(settings, tmp_path_factory, monkeypatch_module):
    import dataclasses

    import structlog

    from ingestion.mailbox.archive import message_hash
    from ingestion.mailbox.maildir import read_message
    from itreport.demo import smtp_sink
    from itreport.demo.sample_mail import generate_mailbox
    from itreport.orchestration import airflow_env
    from itreport.orchestration.intake_run import plan_intake, run_intake
    from itreport.orchestration.local_runner import load_dag

    home = tmp_path_factory.mktemp("intake-dag")
    mapped = scratch_settings(settings, home, "itreport_intake_dag_mapped", intake_batch_size=BATCH_SIZE)
    for period in PERIODS:
        generate_mailbox(mapped.maildir, period, units=14, with_doc=False)
    single = dataclasses.replace(  # the same mail in a copy: the DAG files the mapped run's as processed
        scratch_settings(settings, home, "itreport_intake_dag_single"),
        maildir=shutil.copytree(mapped.maildir, home / "single-mail"),
        intake_batch_size=10_000,
    )
    plan = plan_intake(mapped)  # what the DAG's plan_intake will find: which batch each message is in
    batch_of = {}
    for batch in plan.batches:
        for key in batch.keys:
            raw, _ = read_message(mapped.maildir, key)
            batch_of[message_hash(raw)] = batch.index

    for name, value in {
        "ITREPORT_WAREHOUSE_URL": mapped.warehouse_url,
        "ITREPORT_MAILDIR": str(mapped.maildir),
        "ITREPORT_INTAKE_BATCH_SIZE": str(BATCH_SIZE),
        "ITREPORT_NOTIFY_MAX_AGE_DAYS": "none",
    }.items():
        monkeypatch_module.setenv(name, value)
    with smtp_sink.running_sink(home / "outbox") as smtp_url:
        airflow_env.configure(settings, smtp_url)
        airflow_env.migrate_metadata_db()
        with output_of_this_process(home / "run.log") as log:
            structlog.get_logger("itreport.tests").warning("captured from here on")  # as Airflow's loggers write
            run = load_dag("intake").test()
        again = load_dag("intake").test()  # nothing new: no batch to map, the run still finishes
    tasks = {}
    for ti in run.get_task_instances():
        tasks.setdefault(ti.task_id, []).append(str(ti.state))
    run_intake(single)
    return {
        "run": run,
        "log": log.read_text(encoding="utf-8", errors="replace"),
        "again": {ti.task_id: str(ti.state) for ti in again.get_task_instances()} | {"run": str(again.state)},
        "tasks": tasks,
        "batches": len(plan.batches),
        "batch_of": batch_of,
        "left": unprocessed(mapped.maildir),
        "filed": processed(mapped.maildir),
        "mapped": _warehouse(mapped.warehouse_url),
        "single": _warehouse(single.warehouse_url),
    }


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_the_batches_were_mapped(mapped_run):
    assert str(mapped_run["run"].state) == "success", mapped_run["tasks"]
    assert mapped_run["batches"] >= 3
    assert mapped_run["tasks"]["intake_batch"] == ["success"] * mapped_run["batches"]
    assert mapped_run["tasks"]["finish_intake"] == ["success"]
    assert mapped_run["left"] == [] and len(mapped_run["filed"]) == len(mapped_run["batch_of"])


def test_the_finishing_step_reads_every_batch_outcome_without_an_error(mapped_run):
    """finish_intake takes the mapped outcomes in one request (a slice): read one by one, the last read asks for
    an outcome past the end, which the task's log reports as an error on every run."""
    assert "captured from here on" in mapped_run["log"]
    assert "XCom not found" not in mapped_run["log"] and "[error" not in mapped_run["log"], mapped_run["log"]


def test_a_run_with_nothing_new_maps_no_batch_and_finishes(mapped_run):
    again = mapped_run["again"]
    assert again["run"] == "success", again
    assert again["intake_batch"] == "skipped" and again["finish_intake"] == "success", again
    assert again["send_replies"] == "success", again


def test_the_warehouse_equals_a_single_batch_intake(mapped_run):
    mapped, single = mapped_run["mapped"], mapped_run["single"]
    assert len(mapped["messages"]) == len(mapped_run["batch_of"])
    for table in ("messages", "submissions", "values", "warnings"):
        assert mapped[table] == single[table], table


def test_a_notice_whose_previous_report_was_another_batch_is_accepted(mapped_run):
    batch_of = mapped_run["batch_of"]
    reports = {(unit, period): digest for digest, unit, period, kind, *_ in mapped_run["mapped"]["submissions"]
               if kind == "report"}  # fmt: skip
    across = [
        digest
        for digest, unit, period, kind, _, _, same_as in mapped_run["mapped"]["submissions"]
        if kind == "same_as_notice" and batch_of[reports[(unit, same_as)]] != batch_of[digest]
    ]
    assert across, "no accepted notice whose previous month's report was in another batch"
