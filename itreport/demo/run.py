"""The demo ``make run`` shows: the warehouse, a sample mailbox when no real one is configured, then the monthly
calendar through Airflow for each period — ``reminders`` 7, 3 and 1 days before the deadline, ``monthly_close``,
``government_report`` (its approval answered on the user's behalf through Airflow's REST API) — and the summary.
Logs go to a file; the terminal keeps the progress and the summary."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from functools import partial
from pathlib import Path

from rich.console import Console

from ingestion.domain.periods import add_months, format_period
from itreport.cli.summary import print_calendar, print_summary
from itreport.config import warehouse
from itreport.config.secrets import redact_url
from itreport.config.settings import Settings

DEMO_APPROVER = "make-run"
DEMO_COMMENT = "Duyệt tự động bởi make run thay cho người dùng (production: a staff member approves in the Airflow UI)"


class DemoFailed(RuntimeError):
    """A DAG run of the demo did not succeed."""


@contextmanager
def output_to_log(console: Console, log: Path | None) -> Iterator[Console]:
    """Send everything written to file descriptors 1 and 2 (Airflow, dbt and GX write there, also from
    subprocesses) to ``log``; yields a console that still writes to the terminal."""
    if log is None:
        yield console
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = Console(file=os.fdopen(os.dup(saved[0]), "w", encoding="utf-8"), force_terminal=console.is_terminal)
    with log.open("ab") as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            terminal.file.close()


def run_demo(
    console: Console,
    settings: Settings,
    last: date,
    months: int,
    *,
    verbose: bool = False,
    annual_year: int | None = None,
) -> None:
    """What ``itreport demo`` (and so ``make run``) does; with ``annual_year``, the year's evaluation after."""
    from itreport.demo import smtp_sink
    from itreport.orchestration import airflow_env

    periods = [add_months(last, -i) for i in reversed(range(months))]
    started = time.monotonic()
    with console.status("Starting the warehouse…"):
        url = warehouse.warehouse_url(settings)
    console.print(f"[green]✓[/] warehouse: {redact_url(url)}")
    if "ITREPORT_MAILDIR" not in os.environ and settings.imap is None:
        from itreport.demo.sample_mail import generate_mailbox

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
        output_to_log(console, log) as terminal,
    ):
        airflow_env.configure(settings, smtp_url, quiet=not verbose)
        os.environ.update(warehouse.dbt_env(settings))
        with terminal.status("Preparing Airflow's metadata database…"):
            airflow_env.migrate_metadata_db()
        from itreport.demo.approver import HitlResponder
        from itreport.orchestration.local_runner import (
            RunResult,
            run_government_report,
            run_monthly_close,
            run_reminders,
        )

        def step(label: str, run: Callable[[], RunResult]) -> RunResult:
            with terminal.status(f"{label} through Airflow…"):
                result = run()
            mark = "[green]✓[/]" if result.succeeded else "[red]✗[/]"
            terminal.print(f"{mark} {label}: {result.state} (run {result.run_id})")
            if not result.succeeded:
                terminal.print(result.task_states)
                terminal.print(f"Logs: {log}" if log else "")
                raise DemoFailed(f"{label} ended {result.state}")
            return result

        responder = HitlResponder(DEMO_APPROVER)
        for p in periods:
            label = format_period(p)
            for days in settings.reminder_days:
                step(f"reminders {label}, {days} days before the deadline", partial(run_reminders, settings, p, days))
            step(f"monthly_close {label}", partial(run_monthly_close, settings, p))
            # monthly_close emitted the marts asset; a scheduler would start government_report from it: run it here
            with responder.answering("government_report", "Approve", DEMO_COMMENT):
                step(f"government_report {label} (approved by make run)", partial(run_government_report, settings, p))
        if annual_year is not None:
            from itreport.demo.annual import run_annual

            run_annual(terminal, settings, annual_year, log)
    if log:
        console.print(f"Airflow, dbt and GX logs: {log}")
    print_calendar(console, settings, periods, DEMO_APPROVER)
    print_summary(console, settings, last, settings.smtp_url or "", time.monotonic() - started)
    if annual_year is not None:
        from itreport.demo.annual import show_annual

        show_annual(console, settings, annual_year)
