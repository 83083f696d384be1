"""A real run of ``annual_evaluation`` in this process (``dag.test()``), its approval answered through Airflow's
REST API by :class:`itreport.orchestration.approval.Approver`: for the demo's year and the tests."""

from __future__ import annotations

from itreport.config.settings import Settings
from itreport.orchestration.approval import APPROVE, Answer, Approver
from itreport.orchestration.local_runner import RunResult, load_dag


def run_annual_evaluation(
    settings: Settings, year: int, *, chosen: str = APPROVE, comment: str = ""
) -> tuple[RunResult, list[Answer]]:
    dag = load_dag("annual_evaluation", settings.dags_dir)
    with Approver("annual_evaluation", chosen=chosen, comment=comment) as approver:
        run = dag.test(run_conf={"year": year})
    if approver.error is not None:
        raise approver.error
    task_states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()} if run else {}
    result = RunResult("annual_evaluation", run.run_id if run else "", str(run.state) if run else "none", task_states)
    return result, approver.answers
