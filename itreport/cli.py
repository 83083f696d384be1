"""``itreport``: the command line of the product (Rich output)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ingestion.periods import add_months, format_period, parse_period
from itreport import warehouse
from itreport.settings import Settings, get_settings

app = typer.Typer(help="Monthly IT-application reports of Vietnamese state agencies.", no_args_is_help=True)
db_app = typer.Typer(help="The warehouse (embedded PostgreSQL unless ITREPORT_WAREHOUSE_URL is set).")
app.add_typer(db_app, name="db")
console = Console()

PeriodOption = Annotated[str, typer.Option("--period", help="Reporting period, YYYY-MM.")]


@contextmanager
def _output_to(log: Path | None) -> Iterator[None]:
    """Send everything written to stdout/stderr (Airflow, dbt, GX logs) to ``log``; the console keeps the terminal."""
    global console
    if log is None:
        yield
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = console
    console = Console(file=os.fdopen(os.dup(saved[0]), "w", encoding="utf-8"), force_terminal=terminal.is_terminal)
    with log.open("ab") as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            console.file.close()
            console = terminal


def _period(text: str) -> date:
    try:
        return parse_period(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error


@db_app.command("start")
def db_start() -> None:
    """Start the embedded warehouse (no-op for an external one) and print its URL."""
    console.print(warehouse.warehouse_url(get_settings()))


@db_app.command("stop")
def db_stop() -> None:
    settings = get_settings()
    stopped = warehouse.stop_embedded(settings)
    console.print("stopped" if stopped else "not running")


@db_app.command("status")
def db_status() -> None:
    settings = get_settings()
    if not settings.embedded_warehouse:
        console.print(f"external warehouse: {settings.warehouse_url}")
        return
    console.print(f"embedded PostgreSQL at {settings.pgdata}: {warehouse.embedded_status(settings)}")


@db_app.command("url")
def db_url() -> None:
    console.print(warehouse.warehouse_url(get_settings()), soft_wrap=True)


@db_app.command("env")
def db_env() -> None:
    """Print `export ITREPORT_PG…=…` lines for dbt and sqlfluff (use with eval)."""
    import shlex

    for key, value in warehouse.dbt_env(get_settings()).items():
        print(f"export {key}={shlex.quote(value)}")


@db_app.command("psql", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def db_psql(ctx: typer.Context) -> None:
    """Open psql on the warehouse (extra arguments go to psql, e.g. -c 'select ...')."""
    from pgserver._commands import POSTGRES_BIN_PATH

    url = warehouse.warehouse_url(get_settings())
    psql = POSTGRES_BIN_PATH / "psql"
    raise typer.Exit(subprocess.call([str(psql), url, *ctx.args]))


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
    from ingestion.form import write_form
    from ingestion.registry import default_registry

    settings = get_settings()
    reporting_unit = default_registry().get(unit)
    values: dict[str, str] = {}
    if prefill_from:
        with warehouse.connect(settings) as conn:
            values = _latest_values(conn, reporting_unit.unit_code, _period(prefill_from))
        if not values:
            console.print(f"[yellow]No accepted report of {unit} for {prefill_from}; the form is blank.[/]")
    target = output or settings.home / "forms" / f"bao-cao-cntt-{unit}-{period}.docx"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_form(target, reporting_unit, _period(period), values)
    console.print(f"Wrote {target}")


def _latest_values(conn, unit_code: str, period: date) -> dict[str, str]:
    rows = conn.execute(
        """
        select v.indicator_code, v.value_text
        from raw.submission_values v
        join raw.submissions s using (message_hash)
        where s.unit_code = %s and s.period_month = %s and s.submission_kind = 'report'
          and s.received_at = (select max(received_at) from raw.submissions
                               where unit_code = %s and period_month = %s and submission_kind = 'report')
        """,
        (unit_code, period, unit_code, period),
    ).fetchall()
    return {code: text for code, text in rows if text is not None}


@app.command("sample-mail")
def sample_mail(
    period: PeriodOption,
    units: Annotated[int | None, typer.Option("--units", help="Only this many units (default: all).")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 2009,
    maildir: Annotated[Path | None, typer.Option("--maildir")] = None,
) -> None:
    """Write a realistic sample mailbox for a period, with its ground truth beside it."""
    from ingestion.sample_mail import generate_mailbox

    settings = get_settings()
    target = maildir or settings.maildir
    truth = generate_mailbox(
        target,
        _period(period),
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
) -> None:
    """What `make run` does: warehouse, sample mail, then monthly_close through Airflow for each period."""
    from itreport import airflow_env, smtp_sink

    settings = get_settings()
    last = _period(period)
    periods = [add_months(last, -i) for i in reversed(range(months))]
    started = time.monotonic()
    with console.status("Starting the warehouse…"):
        url = warehouse.warehouse_url(settings)
    console.print(f"[green]✓[/] warehouse: {url}")
    if "ITREPORT_MAILDIR" not in os.environ and settings.imap is None:
        from ingestion.sample_mail import generate_mailbox

        with console.status("Writing the sample mailbox…"):
            for p in periods:
                generate_mailbox(
                    settings.maildir,
                    p,
                    mx_host=settings.mx_host,
                    ministry_address=settings.ministry_address,
                    deadline=settings.deadline,
                )
        console.print(f"[green]✓[/] sample mailbox (no real mailbox configured): {settings.maildir}")
        if not settings.smtp_url:  # 2009 sample mail, local SMTP sink: show the replies a live month would get
            os.environ.setdefault("ITREPORT_NOTIFY_MAX_AGE_DAYS", "none")
    log = None if verbose else settings.home / "logs" / f"demo-{format_period(last)}.log"
    with (
        smtp_sink.running_sink(settings.outbox_dir)
        if not settings.smtp_url
        else nullcontext(settings.smtp_url) as smtp_url,
        _output_to(log),
    ):
        airflow_env.configure(settings, smtp_url, quiet=not verbose)
        os.environ.update(warehouse.dbt_env(settings))
        with console.status("Preparing Airflow's metadata database…"):
            airflow_env.migrate_metadata_db()
        from itreport.runs import run_monthly_close

        for p in periods:
            with console.status(f"Running monthly_close for {format_period(p)} through Airflow…"):
                result = run_monthly_close(settings, p)
            mark = "[green]✓[/]" if result.succeeded else "[red]✗[/]"
            console.print(f"{mark} monthly_close {format_period(p)}: {result.state} (run {result.run_id})")
            if not result.succeeded:
                console.print(result.task_states)
                console.print(f"Logs: {log}" if log else "")
                raise typer.Exit(1)
    if log:
        console.print(f"Airflow, dbt and GX logs: {log}")
    print_summary(settings, last, settings.smtp_url or "", time.monotonic() - started)


def print_summary(settings: Settings, period: date, smtp_url: str, seconds: float) -> None:
    from expectations.project import data_docs_index
    from expectations.warehouse import existing_tables
    from itreport.cycle import compliance

    result = compliance(settings, period)
    counts = result.counts
    table = Table(title=f"Reporting compliance, {format_period(period)}", show_lines=False)
    for column in ("expected", "on time", "late", "missing"):
        table.add_column(column, justify="right")
    table.add_row(str(result.expected), str(counts["on_time"]), str(counts["late"]), str(counts["missing"]))
    console.print(table)
    for status, title in (("late", "Late"), ("missing", "Missing")):
        rows = result.with_status(status)
        names = ", ".join(
            f"{r.unit_name} ({r.unit_code}{f', {r.days_late} d' if status == 'late' else ''})" for r in rows
        )
        console.print(f"[bold]{title} ({len(rows)}):[/] {names or '—'}")
    warned = result.warnings
    if warned is None:
        detail = "marts.fct_value_warnings is not built yet"
    elif warned:
        kinds = Counter(w.warning_code for w in warned)
        detail = (
            ", ".join(f"{count} {code}" for code, count in kinds.most_common())
            + f" on {len({w.unit_code for w in warned})} units' reports (never change a status; listed in the alert)"
        )
    else:
        detail = "none"
    console.print(f"[bold]Value warnings ({'—' if warned is None else len(warned)}):[/] {detail}")
    with warehouse.connect(settings) as conn:
        ledger = conn.execute(
            "select state, reason_code, count(*) from raw.messages group by 1, 2 order by 1, 3 desc"
        ).fetchall()
        replies = dict(
            conn.execute("select reply_kind, count(*) from raw.replies where withheld_reason is null group by 1")
        )
        withheld = conn.execute("select count(*) from raw.replies where withheld_reason is not null").fetchone()[0]
        marts = sorted(existing_tables(conn, "marts"))
    by_state: dict[str, list[str]] = {}
    for state, reason, count in ledger:
        by_state.setdefault(state, []).append(f"{count} {reason}")
    console.print(
        f"Messages received: {sum(c for *_, c in ledger)} — "
        + "; ".join(f"{state}: {', '.join(reasons)}" for state, reasons in by_state.items())
    )
    console.print(
        f"Replies to agencies: {replies.get('receipt', 0)} receipts, {replies.get('rejection', 0)} rejections"
        + (f", {withheld} withheld (mail older than ITREPORT_NOTIFY_MAX_AGE_DAYS)" if withheld else "")
        + " (raw.replies)"
    )
    console.print(f"Alert and reply emails: {settings.outbox_dir if not settings.smtp_url else smtp_url}")
    console.print(
        "Loaded data: schema raw (ledger raw.messages, submissions, values, warnings); "
        f"schema marts ({len(marts)}): {', '.join(marts)}"
    )
    console.print(f"Raw messages archived under: {settings.archive_dir}")
    console.print(f"Data quality (GX Data Docs): {data_docs_index(settings.home)}")
    console.print('Open the warehouse:  .venv/bin/itreport db psql   (or: psql "$(.venv/bin/itreport db url)")')
    console.print(f"Done in {seconds:.0f} s.")


if __name__ == "__main__":
    app()
