"""Emails to the data engineers (ITREPORT_ENGINEERS_TO): a task failed, or monthly_close missed its deadline.

They say which DAG, task, run and period, and where the log is; never a password: every URL-style credential in the
error text is masked before it is written (``scheme://user:***@host``). Sent through ``raw.outbox`` like every email,
so an Airflow retry or a second callback for the same failure sends nothing twice.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from itreport.config import warehouse
from itreport.config.settings import Settings
from itreport.notify.outbox import Outcome, OutgoingEmail, send_once
from itreport.notify.sender import EmailSender

TASK_FAILURE, DEADLINE_MISSED = "task_failure", "deadline_missed"
_CREDENTIAL = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<secret>[^@/\s]+)@", re.IGNORECASE)
_KEYWORD_SECRET = re.compile(r"(?P<key>password|passwd|pwd|secret|token)(?P<sep>\s*[=:]\s*)\S+", re.IGNORECASE)
ERROR_CHARS = 2000


@dataclass(frozen=True)
class TaskFailure:
    dag_id: str
    task_id: str
    run_id: str
    try_number: int
    period: str | None
    log_url: str | None
    error: str


@dataclass(frozen=True)
class MissedDeadline:
    dag_id: str
    run_id: str
    queued_at: str | None
    deadline_at: str | None
    period: str | None


def redact(text: str) -> str:
    """``text`` with URL passwords and ``password=…``-style values masked."""
    masked = _CREDENTIAL.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _KEYWORD_SECRET.sub(lambda m: f"{m['key']}{m['sep']}***", masked)


def _rows(pairs: list[tuple[str, str | None]]) -> str:
    cells = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v or '—')}</td></tr>" for k, v in pairs
    )
    return f"<table border='1' cellpadding='4' cellspacing='0'>{cells}</table>"


def compose_task_failure(settings: Settings, failure: TaskFailure) -> OutgoingEmail:
    error = redact(failure.error)[:ERROR_CHARS]
    table = _rows(
        [
            ("DAG", failure.dag_id),
            ("Task", failure.task_id),
            ("Run", failure.run_id),
            ("Try", str(failure.try_number)),
            ("Period", failure.period),
            ("Log", failure.log_url),
        ]
    )
    body = (
        f"<p>Tác vụ <b>{html.escape(failure.task_id)}</b> của DAG <b>{html.escape(failure.dag_id)}</b> bị lỗi "
        f"(task failed).</p>{table}<p>Lỗi (error):</p><pre>{html.escape(error)}</pre>"
    )
    return _to_engineers(
        settings,
        TASK_FAILURE,
        f"{failure.dag_id}/{failure.run_id}/{failure.task_id}/{failure.try_number}",
        f"[itreport] Task failed: {failure.dag_id}.{failure.task_id}",
        failure.period,
        body,
    )


def compose_deadline_missed(settings: Settings, missed: MissedDeadline) -> OutgoingEmail:
    table = _rows(
        [
            ("DAG", missed.dag_id),
            ("Run", missed.run_id),
            ("Period", missed.period),
            ("Queued at", missed.queued_at),
            ("Deadline", missed.deadline_at),
        ]
    )
    body = (
        f"<p>Lần chạy <b>{html.escape(missed.run_id)}</b> của <b>{html.escape(missed.dag_id)}</b> chưa xong "
        f"{settings.deadline_alert_hours:g} giờ sau khi vào hàng đợi (not finished {settings.deadline_alert_hours:g} "
        f"hours after it was queued).</p>{table}"
    )
    return _to_engineers(
        settings,
        DEADLINE_MISSED,
        f"{missed.dag_id}/{missed.run_id}",
        f"[itreport] {missed.dag_id} not finished {settings.deadline_alert_hours:g} h after queued",
        missed.period,
        body,
    )


def _to_engineers(
    settings: Settings, kind: str, key: str, subject: str, period: str | None, body: str
) -> OutgoingEmail:
    """An automatic email to ITREPORT_ENGINEERS_TO; the period, when known, ends the subject."""
    return OutgoingEmail(
        kind,
        key,
        tuple(sorted(settings.engineers_to)),
        subject + (f" ({period})" if period else ""),
        f"<html><body>{body}</body></html>",
        headers={"Auto-Submitted": "auto-generated"},
    )


def send_ops_email(settings: Settings, email: OutgoingEmail, sender: EmailSender) -> Outcome:
    with warehouse.connect(settings, autocommit=True) as conn:
        from ingestion.load import ensure_raw_schema

        ensure_raw_schema(conn)
        return send_once(conn, email, sender, from_email=settings.ministry_address)
