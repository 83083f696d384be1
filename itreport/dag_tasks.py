"""Airflow tasks shared by the `intake` and `monthly_close` DAGs (TaskFlow; heavy imports stay inside)."""

from __future__ import annotations

from airflow.sdk import task

from itreport.settings import Settings


@task
def prepare_warehouse() -> dict[str, str]:
    """Start (embedded) or reach the warehouse; returns the dbt connection environment."""
    from itreport.cycle import prepare_warehouse

    return prepare_warehouse(Settings.from_env())


@task
def intake() -> dict[str, object]:
    """Archive every message in the mailbox, decide each new one, check it with GX and load it."""
    from itreport.cycle import run_intake

    return run_intake(Settings.from_env()).as_dict()


@task
def send_replies() -> dict[str, int]:
    """Receipts and rejections to agencies for messages not yet answered (each message once)."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    from itreport.replies import send_replies

    with SmtpHook(smtp_conn_id="smtp_default") as hook:
        return send_replies(Settings.from_env(), hook)
