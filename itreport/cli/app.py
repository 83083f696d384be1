"""``itreport``: the command line of the product (Rich output). Commands are thin: the work lives in the packages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from itreport.cli.db import db_app
from itreport.cli.options import PeriodOption, period_value
from itreport.cli.report import report_app
from itreport.config import warehouse
from itreport.config.settings import get_settings

app = typer.Typer(help="Monthly IT-application reports of Vietnamese state agencies.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(report_app, name="report")
console = Console()


@app.command()
def form(
    unit: Annotated[str, typer.Option("--unit", help="Unit code, e.g. P02 or BTC.")],
    period: PeriodOption,
    prefill_from: Annotated[
        str | None, typer.Option("--prefill-from", help="Prefill with this period's values.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Write the report form (.docx) for a unit and period, optionally prefilled from an earlier report."""
    from ingestion.documents.form import build_form
    from ingestion.domain.registry import default_registry
    from itreport.reports.queries import latest_report_values

    settings = get_settings()
    reporting_unit = default_registry().get(unit)
    values: dict[str, str] = {}
    if prefill_from:
        with warehouse.connect(settings) as conn:
            values = latest_report_values(conn, reporting_unit.unit_code, period_value(prefill_from))
        if not values:
            console.print(f"[yellow]No accepted report of {unit} for {prefill_from}; the form is blank.[/]")
    target = output or settings.home / "forms" / f"bao-cao-cntt-{unit}-{period}.docx"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(build_form(reporting_unit, period_value(period), values))
    console.print(f"Wrote {target}")


@app.command("sample-mail")
def sample_mail(
    period: PeriodOption,
    units: Annotated[int | None, typer.Option("--units", help="Only this many units (default: all).")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 2009,
    maildir: Annotated[Path | None, typer.Option("--maildir")] = None,
) -> None:
    """Write a realistic sample mailbox for a period, with its ground truth beside it."""
    from itreport.demo.sample_mail import generate_mailbox

    settings = get_settings()
    target = maildir or settings.maildir
    truth = generate_mailbox(
        target,
        period_value(period),
        units=units,
        seed=seed,
        mx_host=settings.mx_host,
        ministry_address=settings.ministry_address,
        deadline=settings.deadline,
    )
    console.print(f"Wrote {len(truth.messages)} messages to {target} (ground truth beside it)")


@app.command()
def demo(
    period: PeriodOption = "2009-07",
    months: Annotated[int, typer.Option("--months", help="Close this many periods, ending with --period.")] = 2,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show Airflow's task logs.")] = False,
    year: Annotated[
        int | None,
        typer.Option("--year", help="Close every month of this year (2009: 2009-06…2009-12), then evaluate it."),
    ] = None,
) -> None:
    """What `make run` does: warehouse, sample mail, then monthly_close through Airflow for each period."""
    from itreport.demo.run import DemoFailed, run_demo

    last, count = period_value(period), months
    if year is not None:
        from itreport.demo.annual import year_periods

        try:
            last, count = year_periods(year)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--year") from error
    try:
        run_demo(console, get_settings(), last, count, verbose=verbose, annual_year=year)
    except DemoFailed as error:
        raise typer.Exit(1) from error


@app.command()
def audit(
    period: Annotated[str | None, typer.Option("--period", help="Only this period's messages (YYYY-MM).")] = None,
) -> None:
    """Check the ledger against the archive and the warehouse: every message archived, decided once, answered
    once, no email left half-sent. Prints what is wrong; exits 1 when anything is."""
    from itreport.orchestration.audit import audit as run_audit

    report = run_audit(get_settings(), period_value(period) if period else None)
    for line in report.lines():
        console.print(line, markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
