"""The demo's year: which periods ``itreport demo --year YYYY`` closes, and the evaluation it shows after."""

from __future__ import annotations

from datetime import date

from rich.console import Console
from rich.table import Table

from ingestion.domain.periods import FIRST_PERIOD
from itreport.config.settings import Settings


def year_periods(year: int) -> tuple[date, int]:
    """(last period, number of months) closing every month of ``year`` from the first reporting period on."""
    first = max(date(year, 1, 1), FIRST_PERIOD)
    if first.year != year:
        raise ValueError(f"reporting started in {FIRST_PERIOD:%Y-%m}; there is nothing to close in {year}")
    return date(year, 12, 1), 12 - first.month + 1


def show_annual(console: Console, settings: Settings, year: int) -> None:
    """Write the year's document and results page (no approval: a draft) and print the top of each ranking."""
    from itreport.reports.annual_build import build_annual
    from itreport.reports.annual_data import RANKING_GROUP_TITLES, RANKING_GROUPS, read_evaluation
    from itreport.reports.annual_document import index_text, rank_change_text

    with console.status(f"Writing the annual evaluation {year}…"):
        outputs = build_annual(settings, year)
    from itreport.config import warehouse

    with warehouse.connect(settings) as conn:
        evaluation = read_evaluation(conn, year, dbt_project_dir=settings.dbt_project_dir)
    for ranking_group in RANKING_GROUPS:
        table = Table(title=f"{RANKING_GROUP_TITLES[ranking_group]} — {year} (top 10)")
        for column in ("rank", "unit", "index", "change"):
            table.add_column(column, justify="left" if column == "unit" else "right")
        for unit in evaluation.ranking(ranking_group)[:10]:
            table.add_row(str(unit.group_rank), unit.unit_name, index_text(unit.overall_index), rank_change_text(unit))
        console.print(table)
    console.print(f"[green]✓[/] annual evaluation {year}: {outputs.ranked} ranked, {outputs.unranked} not ranked")
    console.print(f"  document (.docx): {outputs.document}")
    console.print(f"  results page:     {outputs.page}")
    console.print(
        "  Publication goes through the annual_evaluation DAG: a person approves, then both go to "
        f"{settings.publication_folder} and the document to the leadership list."
    )
