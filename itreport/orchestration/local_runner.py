"""Running the project's DAGs for real (``dag.test()``: a real DAG run in this process, SQLite metadata)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingestion.domain.periods import format_period, previous_period
from itreport.config.settings import Settings


@dataclass(frozen=True)
class RunResult:
    dag_id: str
    run_id: str
    state: str
    task_states: dict[str, str]

    @property
    def succeeded(self) -> bool:
        return self.state == "success"


def load_dag(dag_id: str, dags_dir: Path | None = None):  # -> airflow.sdk.DAG
    """The DAG ``dag_id`` from its file ``<dag_id>.py`` when there is one, else from the whole folder: ``dag.test()``
    parses the whole folder again anyway (it syncs every DAG of the bundle to the metadata database)."""
    from airflow.dag_processing.dagbag import DagBag

    folder = dags_dir or Settings.from_env().dags_dir
    own_file = folder / f"{dag_id}.py"
    bag = DagBag(dag_folder=str(own_file if own_file.is_file() else folder))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.dags[dag_id]


def run_monthly_close(settings: Settings, period: date) -> RunResult:
    """One real run of ``monthly_close`` for ``period`` (its data interval ends at the period's deadline)."""
    dag = load_dag("monthly_close", settings.dags_dir)
    logical_date = settings.deadline.deadline(previous_period(period))
    run = dag.test(logical_date=logical_date, run_conf={"period": format_period(period)})
    task_states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()} if run else {}
    return RunResult("monthly_close", run.run_id if run else "", str(run.state) if run else "none", task_states)


def _result(dag_id: str, run) -> RunResult:  # run: airflow DagRun | None
    task_states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()} if run else {}
    return RunResult(dag_id, run.run_id if run else "", str(run.state) if run else "none", task_states)


def run_reminders(settings: Settings, period: date, days_before: int) -> RunResult:
    """One real run of ``reminders`` at 08:00 local, ``days_before`` days before ``period``'s deadline."""
    from itreport.notify.reminders import reminder_moment

    dag = load_dag("reminders", settings.dags_dir)
    moment = reminder_moment(settings.deadline, period, days_before)
    return _result("reminders", dag.test(logical_date=moment))


def run_government_report(settings: Settings, period: date, *, logical_date=None) -> RunResult:
    """One real run of ``government_report`` for ``period`` (its approval must be answered from outside: the UI,
    the REST API, or :class:`itreport.demo.approver.HitlResponder`)."""
    dag = load_dag("government_report", settings.dags_dir)
    logical = logical_date or settings.deadline.deadline(period)
    return _result("government_report", dag.test(logical_date=logical, run_conf={"period": format_period(period)}))


def set_paused(dag_id: str, paused: bool) -> None:
    """Pause or unpause a DAG in the metadata database (an unpaused consumer is queued by asset events)."""
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        model = session.get(DagModel, dag_id)
        if model is None:
            raise KeyError(f"DAG {dag_id} is not in the metadata database yet (run or parse it first)")
        model.is_paused = paused
