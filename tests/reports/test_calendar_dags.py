"""The calendar's DAGs as Airflow parses them: schedules in Vietnam time, the asset between monthly_close and
government_report, the approval gate, the engineers' failure notifier and the settled heap
on every task."""

from __future__ import annotations

import pytest

from itreport.config.settings import DAGS_DIR


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    return bag


def test_reminders_run_at_0800_on_the_15th_19th_and_21st(dagbag):
    from airflow.timetables.trigger import CronTriggerTimetable

    dag = dagbag.dags["reminders"]
    assert isinstance(dag.timetable, CronTriggerTimetable)
    assert dag.timetable.summary.startswith("0 8 15,19,21 * *")
    assert str(dag.timetable._timezone.name) == "Asia/Ho_Chi_Minh"
    assert [t.task_id for t in dag.topological_sort()] == ["prepare_warehouse", "intake", "send_reminders"]


def test_government_report_is_scheduled_on_the_marts_asset_monthly_close_emits(dagbag):
    from itreport.orchestration.assets import MONTHLY_MARTS

    close = dagbag.dags["monthly_close"]
    announce = close.get_task("announce_marts")
    assert [a.uri for a in announce.outlets] == [MONTHLY_MARTS.uri]
    assert "warehouse_checks" in announce.get_flat_relative_ids(upstream=True)  # only checked marts are announced
    assert "audit" in announce.upstream_task_ids
    report = dagbag.dags["government_report"]
    assert [a.uri for a in report.timetable.asset_condition.objects] == [MONTHLY_MARTS.uri]


def test_the_approval_gate_sits_between_the_draft_and_publishing(dagbag):
    from airflow.providers.standard.operators.hitl import ApprovalOperator

    dag = dagbag.dags["government_report"]
    gate = dag.get_task("approve")
    assert isinstance(gate, ApprovalOperator) and "comment" in gate.params
    assert gate.downstream_task_ids == {"publish_report"}
    assert dag.get_task("needs_approval").downstream_task_ids == {"approve"}
    assert dag.get_task("record_rejection").trigger_rule == "all_done"
    assert "approve" not in dag.get_task("record_rejection").upstream_task_ids  # a rejection skips only publish


def test_every_task_emails_the_engineers_when_it_fails(dagbag):
    from itreport.orchestration.notifications import EngineersFailureNotifier

    for dag in dagbag.dags.values():
        for task in dag.tasks:
            callbacks = task.on_failure_callback
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            assert any(isinstance(c, EngineersFailureNotifier) for c in callbacks), (dag.dag_id, task.task_id)


def test_every_task_starts_on_a_settled_heap(dagbag):
    from itreport.orchestration.heap import settle_heap

    for dag in dagbag.dags.values():
        for task in dag.tasks:
            callbacks = task.on_execute_callback
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            assert settle_heap in callbacks, (dag.dag_id, task.task_id)
