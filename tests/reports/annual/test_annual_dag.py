"""The annual_evaluation DAG for real (dag.test()): it waits for December's close, builds both outputs, parks
for a person's approval, answered through Airflow's REST API; approved, it publishes and mails the leadership
once; rejected, nothing is published."""

from __future__ import annotations

import email
import email.policy

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("annual")]


@pytest.fixture(scope="module")
def dag_runs(annual_warehouse, annual_conn, tmp_path_factory):
    from ingestion.load import ensure_raw_schema
    from itreport.config.settings import Settings
    from itreport.demo import smtp_sink
    from itreport.demo.annual import run_annual_evaluation
    from itreport.demo.approver import APPROVE, REJECT
    from itreport.orchestration import airflow_env

    scratch = annual_warehouse[0]
    work = tmp_path_factory.mktemp("annual-dag")
    ensure_raw_schema(annual_conn)
    annual_conn.execute("delete from raw.outbox where kind = 'annual_evaluation'")
    with pytest.MonkeyPatch.context() as patch, smtp_sink.running_sink(work / "outbox") as smtp_url:
        patch.setenv("ITREPORT_WAREHOUSE_URL", scratch.warehouse_url)
        patch.setenv("ITREPORT_PUBLICATION_DIR", str(work / "website"))
        patch.setenv("ITREPORT_LEADERSHIP_TO", "lanhdao.bo@mic.gov.example")
        patch.setenv("ITREPORT_HOME", str(work / "home"))
        settings = Settings.from_env()
        airflow_env.configure(settings, smtp_url)
        patch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", airflow_env.smtp_connection(smtp_url, settings.ministry_address))
        airflow_env.migrate_metadata_db()
        rejected = run_annual_evaluation(settings, 2010, chosen=REJECT, comment="Chưa đạt")
        approved = run_annual_evaluation(settings, 2011, chosen=APPROVE, comment="Đồng ý công bố")
    return {"settings": settings, "work": work, "rejected": rejected, "approved": approved}


def test_approved_run_publishes_and_mails_once(dag_runs, annual_conn):
    result, answers = dag_runs["approved"]
    assert result.succeeded, result.task_states
    assert result.task_states == {
        "resolve_year": "success",
        "wait_for_december_close": "success",
        "build_annual_evaluation": "success",
        "approve_publication": "success",
        "publish_annual_evaluation": "success",
    }
    assert [(a.task_id, a.chosen) for a in answers] == [("approve_publication", "Approve")]
    website = dag_runs["work"] / "website" / "2011"
    assert (website / "ket-qua-danh-gia-ung-dung-cntt-2011.docx").is_file()
    assert (website / "ket-qua-danh-gia-ung-dung-cntt-2011" / "index.html").is_file()
    [mail] = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in (dag_runs["work"] / "outbox").glob("*.eml")
    ]
    assert "2011" in mail["Subject"] and mail["To"] == "lanhdao.bo@mic.gov.example"
    assert annual_conn.execute("select key, state from raw.outbox where kind = 'annual_evaluation'").fetchall() == [
        ("2011/v1", "sent")
    ]
    from itreport.reports.annual_publication import default_ledger

    [version] = default_ledger(dag_runs["settings"]).versions("annual_evaluation", "2011")
    assert (version.version, version.comment) == (1, "Đồng ý công bố")


def test_rejected_run_publishes_nothing(dag_runs):
    result, answers = dag_runs["rejected"]
    assert [(a.task_id, a.chosen) for a in answers] == [("approve_publication", "Reject")]
    assert result.task_states["build_annual_evaluation"] == "success"
    assert result.task_states["publish_annual_evaluation"] == "skipped"
    assert not (dag_runs["work"] / "website" / "2010").exists()
    # the draft was built all the same
    assert (
        dag_runs["work"] / "home" / "reports" / "annual" / "2010" / "ket-qua-danh-gia-ung-dung-cntt-2010.docx"
    ).is_file()


def test_runs_in_january_vietnam_time_for_the_year_before():
    from airflow.timetables.trigger import CronTriggerTimetable

    from itreport.orchestration.local_runner import load_dag

    dag = load_dag("annual_evaluation")
    assert isinstance(dag.timetable, CronTriggerTimetable)
    assert dag.timetable.summary.startswith("0 8 15 1 *")
    assert str(dag.timetable._timezone.name) == "Asia/Ho_Chi_Minh"
    assert [t.task_id for t in dag.topological_sort()] == [
        "resolve_year",
        "wait_for_december_close",
        "build_annual_evaluation",
        "approve_publication",
        "publish_annual_evaluation",
    ]
    assert dag.get_task("approve_publication").__class__.__name__ == "ApprovalOperator"
