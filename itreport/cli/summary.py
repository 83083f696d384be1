"""The run summary ``make run`` prints: compliance, late and missing units, warnings, the ledger, where things are."""

from __future__ import annotations

from collections import Counter
from datetime import date

from rich.console import Console
from rich.table import Table

from ingestion.domain.periods import format_period
from itreport.config import warehouse
from itreport.config.secrets import redact_url
from itreport.config.settings import Settings
from itreport.reports.compliance import read_period_compliance
from itreport.reports.queries import message_ledger, reply_counts


def print_calendar(console: Console, settings: Settings, periods: list[date], approver: str) -> None:
    """The month around the deadline, per period: reminders, the close, the briefing and where each document is."""
    from itreport.reports import ledger
    from itreport.reports.briefing_doc import REPORT_KIND
    from itreport.reports.queries import reminder_steps

    table = Table(title="The monthly calendar (Airflow DAG runs)")
    for column in ("period", "reminders (days before: sent)", "close", "briefing (government_report)"):
        table.add_column(column)
    with warehouse.connect(settings) as conn:
        for period in periods:
            label = format_period(period)
            steps = ", ".join(
                f"{days} d: {sent}" + (f" (+{withheld} withheld)" if withheld else "")
                for days, sent, withheld in reminder_steps(conn, period)
            )
            counts = read_period_compliance(settings, period).counts
            versions = ledger.history(conn, REPORT_KIND, label)
            latest = versions[-1] if versions else None
            briefing = (
                f"v{latest.version} {latest.decision or 'waiting for approval'}"
                + (f" by {latest.decided_by}" if latest.decided_by else "")
                + (f", sent to {latest.sent_to}" if latest.sent_to else "")
                if latest
                else "—"
            )
            close = f"{counts['on_time']} on time, {counts['late']} late, {counts['missing']} missing"
            table.add_row(label, steps or "—", close, briefing)
        console.print(table)
        for period in periods:
            for version in ledger.history(conn, REPORT_KIND, format_period(period))[-1:]:
                console.print(f"Briefing {format_period(period)}: {version.archive_path}")
    console.print(f"Reminder forms (prefilled .docx) sent to agencies: {settings.home / 'reminders'}")
    if any(v.decided_by == approver for p in periods for v in _versions(settings, p)):
        console.print(
            f"[yellow]The briefings were approved by make run on your behalf (user {approver!r}, through Airflow's "
            "REST API); in production a staff member approves or rejects them in the Airflow UI.[/]"
        )


def _versions(settings: Settings, period: date):  # -> list[ReportVersion]
    from itreport.reports import ledger
    from itreport.reports.briefing_doc import REPORT_KIND

    with warehouse.connect(settings) as conn:
        return ledger.history(conn, REPORT_KIND, format_period(period))


def print_summary(console: Console, settings: Settings, period: date, smtp_url: str, seconds: float) -> None:
    from expectations.project import data_docs_index
    from expectations.warehouse_views import existing_tables

    result = read_period_compliance(settings, period)
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
        ledger = message_ledger(conn)
        replies, withheld = reply_counts(conn)
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
    console.print(f"Alert and reply emails: {settings.outbox_dir if not settings.smtp_url else redact_url(smtp_url)}")
    console.print(
        "Loaded data: schema raw (ledger raw.messages, submissions, values, warnings); "
        f"schema marts ({len(marts)}): {', '.join(marts)}"
    )
    console.print(f"Raw messages archived under: {settings.archive_dir}")
    console.print(f"Data quality (GX Data Docs): {data_docs_index(settings.home)}")
    console.print('Open the warehouse:  .venv/bin/itreport db psql   (or: psql "$(.venv/bin/itreport db url)")')
    console.print(f"Done in {seconds:.0f} s.")
