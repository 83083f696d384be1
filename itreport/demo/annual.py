"""The demo's year: which periods ``itreport demo --year YYYY`` closes, the real run of ``annual_evaluation`` in
this process (``dag.test()``, its approval answered through Airflow's REST API by
:class:`itreport.demo.approver.HitlResponder`; also used by the tests), and the evaluation it shows after."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from ingestion.domain.periods import FIRST_PERIOD
from itreport.config.settings import Settings

if TYPE_CHECKING:
    from itreport.demo.approver import Answered
    from itreport.orchestration.local_runner import RunResult

# who answers the annual approval in process: the name the simple auth manager gives everyone when all are admins
ANNUAL_APPROVER = "Anonymous"


def year_periods(year: int) -> tuple[date, int]:
    """(last period, number of months) closing every month of ``year`` from the first reporting period on."""
    first = max(date(year, 1, 1), FIRST_PERIOD)
    if first.year != year:
        raise ValueError(f"reporting started in {FIRST_PERIOD:%Y-%m}; there is nothing to close in {year}")
    return date(year, 12, 1), 12 - first.month + 1


def run_annual_evaluation(
    settings: Settings, year: int, *, chosen: str = "Approve", comment: str = ""
) -> tuple[RunResult, list[Answered]]:
    """``annual_evaluation`` for ``year`` through ``dag.test()``, its approval answered ``chosen``."""
    from itreport.demo.approver import HitlResponder
    from itreport.orchestration.local_runner import RunResult, load_dag

    dag = load_dag("annual_evaluation", settings.dags_dir)
    responder = HitlResponder(ANNUAL_APPROVER)  # the API app built here, before dag.test() (import lock)
    with responder.answering("annual_evaluation", chosen, comment) as answer:
        run = dag.test(run_conf={"year": year})
    if answer.error is not None:
        raise RuntimeError(answer.error)
    task_states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()} if run else {}
    result = RunResult("annual_evaluation", run.run_id if run else "", str(run.state) if run else "none", task_states)
    return result, answer.answered


def run_annual(console: Console, settings: Settings, year: int, log: Path | None) -> None:
    """The annual_evaluation DAG through Airflow; the demo plays the person who approves publication."""
    from itreport.demo.run import DemoFailed

    with console.status(f"Running annual_evaluation {year} through Airflow (the demo approves it)…"):
        result, answers = run_annual_evaluation(settings, year, comment="Phê duyệt trong bản demo (itreport demo)")
    mark = "[green]✓[/]" if result.succeeded else "[red]✗[/]"
    console.print(
        f"{mark} annual_evaluation {year}: {result.state} (run {result.run_id}), answered: "
        + ", ".join(f"{a.task_id} → {a.chosen}" for a in answers)
    )
    if not result.succeeded:
        console.print(result.task_states)
        console.print(f"Logs: {log}" if log else "")
        raise DemoFailed(f"annual_evaluation {year} ended {result.state}")


def show_annual(console: Console, settings: Settings, year: int) -> None:
    """The top of each ranking and where the document, the page and the published copies are."""
    from itreport.config import warehouse
    from itreport.reports.annual_build import document_name, page_folder_name
    from itreport.reports.annual_data import RANKING_GROUP_TITLES, RANKING_GROUPS, read_evaluation
    from itreport.reports.annual_document import index_text, rank_change_text

    with warehouse.connect(settings) as conn:
        evaluation = read_evaluation(conn, year, dbt_project_dir=settings.dbt_project_dir)
    for ranking_group in RANKING_GROUPS:
        table = Table(title=f"{RANKING_GROUP_TITLES[ranking_group]} — {year} (top 10)")
        for column in ("rank", "unit", "index", "change"):
            table.add_column(column, justify="left" if column == "unit" else "right")
        for unit in evaluation.ranking(ranking_group)[:10]:
            table.add_row(str(unit.group_rank), unit.unit_name, index_text(unit.overall_index), rank_change_text(unit))
        console.print(table)
    ranked = sum(1 for u in evaluation.units if u.is_ranked)
    published = settings.publication_folder / str(year)
    console.print(f"Annual evaluation {year}: {ranked} ranked, {len(evaluation.units) - ranked} not ranked")
    console.print(f"  document (.docx):  {published / document_name(year)}")
    console.print(f"  results page:      {published / page_folder_name(year) / 'index.html'}")
    console.print(f"  archived versions: {settings.reports_dir / 'archive'}")
    console.print(f"  `itreport report annual --year {year} -o DIR` writes both again without Airflow.")
