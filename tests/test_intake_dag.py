"""The hourly intake DAG and the replies step in monthly_close are wired as the design says."""

from __future__ import annotations

import pytest

from itreport.settings import DAGS_DIR


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_intake_dag_runs_hourly_in_vietnam_time(dagbag):
    from airflow.timetables.trigger import CronTriggerTimetable

    dag = dagbag.dags["intake"]
    assert isinstance(dag.timetable, CronTriggerTimetable)
    assert dag.timetable.summary.startswith("15 * * * *")
    assert str(dag.timetable._timezone.name) == "Asia/Ho_Chi_Minh"
    assert [t.task_id for t in dag.topological_sort()] == ["prepare_warehouse", "intake", "send_replies"]


def test_monthly_close_replies_after_intake(dagbag):
    order = [t.task_id for t in dagbag.dags["monthly_close"].topological_sort()]
    assert order.index("intake") < order.index("send_replies") < order.index("send_compliance_alert")
