"""``itreport report``: the documents the ministry publishes, written from the marts without Airflow."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from itreport.cli.options import PeriodOption, period_value
from itreport.config.settings import get_settings

report_app = typer.Typer(help="Documents written from the marts (no Airflow needed).", no_args_is_help=True)
console = Console()


@report_app.command("annual")
def annual(
    year: Annotated[int, typer.Option("--year", help="The evaluated year, e.g. 2009.", min=2009)],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Folder for both outputs (default: .local/reports/annual/YYYY)."),
    ] = None,
    issued_on: Annotated[
        str | None, typer.Option("--date", help="The document's date, YYYY-MM-DD (default: today, ministry time).")
    ] = None,
) -> None:
    """The annual evaluation: the .docx for the ministry and the static results page (index.html + assets)."""
    from itreport.reports.annual_build import build_annual
    from itreport.reports.annual_data import NoRankingForYear

    try:
        day = date.fromisoformat(issued_on) if issued_on else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--date") from error
    try:
        outputs = build_annual(get_settings(), year, output, issued_on=day)
    except NoRankingForYear as error:
        console.print(f"[red]{error}[/]: close the year's months first (itreport demo --year {year}).")
        raise typer.Exit(1) from error
    console.print(f"Document: {outputs.document}")
    console.print(f"Results page: {outputs.page}")
    console.print(f"{outputs.ranked} units ranked, {outputs.unranked} not ranked (too few reports).")


@report_app.command("monthly")
def report_monthly(
    period: PeriodOption,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: ITREPORT_HOME/reports/.")] = None,
) -> None:
    """The Government's monthly briefing (.docx with charts) for a closed period, as government_report builds it."""
    from itreport.reports.briefing_data import BriefingNotReady
    from itreport.reports.briefing_service import write_monthly

    try:
        target = write_monthly(get_settings(), period_value(period), output)
    except BriefingNotReady as error:
        console.print(f"[red]{error}[/] (run monthly_close for it first)")
        raise typer.Exit(1) from error
    console.print(f"Wrote {target}")
