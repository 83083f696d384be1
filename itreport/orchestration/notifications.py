"""Airflow glue for the engineers' emails: a task-level failure notifier for every DAG's ``default_args`` and
monthly_close's DeadlineAlert (only on a real scheduler + triggerer: ``dag.test()`` never evaluates deadlines and
fails after a run of a DAG that sets one, so ITREPORT_DEADLINE_ALERT switches it off there).

Both send through the SMTP provider's hook (``smtp_default``) and ``raw.outbox`` (:mod:`itreport.notify.ops`).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk.bases.notifier import BaseNotifier

from itreport.config.settings import Settings
from itreport.orchestration.heap import settle_heap


class EngineersFailureNotifier(BaseNotifier):
    """``on_failure_callback`` of every task: one email per failed try to ITREPORT_ENGINEERS_TO."""

    template_fields = ()

    def notify(self, context: Any) -> None:
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        from itreport.notify.ops import compose_task_failure, send_ops_email

        settings = Settings.from_env()
        email = compose_task_failure(settings, failure_from_context(context))
        with SmtpHook(smtp_conn_id="smtp_default") as hook:
            send_ops_email(settings, email, hook)


def default_args(*, retries: int = 2) -> dict[str, Any]:
    """Every DAG's ``default_args``: ``retries`` tries 5 minutes apart, each failed try mailed to the engineers
    (:class:`EngineersFailureNotifier`), every task started on a settled heap (:func:`settle_heap`)."""
    return {
        "retries": retries,
        "retry_delay": pendulum.duration(minutes=5),
        "on_failure_callback": EngineersFailureNotifier(),
        "on_execute_callback": settle_heap,
    }


def failure_from_context(context: Any):  # -> itreport.notify.ops.TaskFailure
    from itreport.notify.ops import TaskFailure

    ti = context["ti"]
    params = context.get("params") or {}
    exception = context.get("exception")
    try:
        log_url = ti.log_url
    except Exception:  # a log URL needs [api] base_url; the failure email must go out without it
        log_url = None
    return TaskFailure(
        dag_id=ti.dag_id,
        task_id=ti.task_id,
        run_id=ti.run_id,
        try_number=int(getattr(ti, "try_number", 0) or 0),
        period=_period(params, context),
        log_url=log_url,
        error=f"{type(exception).__name__}: {exception}" if exception else "(no exception recorded)",
    )


def _period(params: Any, context: Any) -> str | None:
    if params.get("period"):
        return str(params["period"])
    end = context.get("data_interval_end")
    if end is None:
        return None
    from ingestion.domain.periods import format_period

    return format_period(Settings.from_env().deadline.period_closing_at(end))


async def deadline_missed(context: dict[str, Any] | None = None, **_: Any) -> None:
    """DeadlineAlert callback (runs in the triggerer): the engineers' email for the late run."""
    await asyncio.to_thread(_send_deadline_missed, context or {})


def _send_deadline_missed(context: dict[str, Any]) -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    from itreport.notify.ops import MissedDeadline, compose_deadline_missed, send_ops_email

    run = context.get("dag_run") or {}
    deadline = context.get("deadline") or {}
    settings = Settings.from_env()
    missed = MissedDeadline(
        dag_id=str(run.get("dag_id", "")),
        run_id=str(run.get("dag_run_id") or run.get("run_id") or ""),
        queued_at=str(run["queued_at"]) if run.get("queued_at") else None,
        deadline_at=str(deadline["deadline_time"]) if deadline.get("deadline_time") else None,
        period=str((run.get("conf") or {}).get("period") or "") or None,
    )
    with SmtpHook(smtp_conn_id="smtp_default") as hook:
        send_ops_email(settings, compose_deadline_missed(settings, missed), hook)


def monthly_close_deadline(settings: Settings):  # -> DeadlineAlert | None
    """Not finished ITREPORT_DEADLINE_ALERT_HOURS after its run was queued → the engineers' email; None when off."""
    if not settings.deadline_alert:
        return None
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(hours=settings.deadline_alert_hours),
        callback=AsyncCallback(deadline_missed),
        name="monthly_close_not_finished",
    )
