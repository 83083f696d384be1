"""Task bodies of the calendar around the deadline: reminders before it, the assets after intake and the close, and
the Government's monthly briefing behind a person's approval. DAG files only wire these.

The approval gate is generic (any report kind in ``raw.reports``): :func:`approval_gate` builds the HITL operator,
:func:`needs_approval` skips it for a version already decided, :func:`publish_report` / :func:`record_rejection`
settle the answer. The annual evaluation reuses them with its own build task.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Param, get_current_context, task

from itreport.config.settings import Settings
from itreport.orchestration.assets import MONTHLY_MARTS, NEW_SUBMISSIONS

APPROVAL_TASK = "approve"
BUILD_TASK = "build_report"
COMMENT_PARAM = "comment"


# --- reminders ---------------------------------------------------------------------------------------------------


@task(multiple_outputs=False)
def send_reminders() -> dict[str, object]:
    """Remind the units that owe the period's report (``period`` / ``days_before`` params, else the run's day)."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    from ingestion.domain.periods import parse_period
    from itreport.notify.reminders import send_reminders as remind
    from itreport.notify.reminders import step_for

    settings = Settings.from_env()
    context = get_current_context()
    params = context["params"]
    period, days_before = step_for(settings.deadline, context["logical_date"])
    if params.get("period"):
        period = parse_period(params["period"])
    if params.get("days_before"):
        days_before = int(params["days_before"])
    if days_before <= 0:
        return {"period": str(period), "days_before": days_before, "skipped": "the deadline has passed"}
    with SmtpHook(smtp_conn_id="smtp_default") as hook:
        return remind(settings, period, days_before, hook).as_dict()


# --- assets ------------------------------------------------------------------------------------------------------


@task(outlets=[MONTHLY_MARTS])
def announce_marts(period: str) -> str:
    """The period's marts are built and checked: an asset event with the period in its ``extra``."""
    get_current_context()["outlet_events"][MONTHLY_MARTS].extra = {"period": period}
    return period


@task(outlets=[NEW_SUBMISSIONS], multiple_outputs=False)
def announce_submissions(intake_result: dict[str, Any]) -> dict[str, Any]:
    """An asset event when intake loaded new accepted submissions; skipped (no event) otherwise."""
    from airflow.sdk.exceptions import AirflowSkipException

    new = int((intake_result.get("rows_inserted") or {}).get("submissions", 0))
    if not new:
        raise AirflowSkipException("no new submissions")
    extra = {"submissions": new, "states": intake_result.get("states", {})}
    get_current_context()["outlet_events"][NEW_SUBMISSIONS].extra = extra
    return extra


# --- the monthly briefing ----------------------------------------------------------------------------------------


@task
def resolve_report_period() -> str:
    """The ``period`` param, else the latest period among the triggering asset events' ``extra``."""
    from ingestion.domain.periods import format_period, parse_period

    context = get_current_context()
    if context["params"].get("period"):
        return format_period(parse_period(context["params"]["period"]))
    periods = [
        format_period(parse_period(event.extra["period"]))
        for events in (context.get("triggering_asset_events") or {}).values()
        for event in events
        if (event.extra or {}).get("period")
    ]
    if not periods:
        raise ValueError("no period: set the 'period' param or trigger from monthly_close's marts asset")
    return max(periods)


@task(task_id=BUILD_TASK, multiple_outputs=False)
def build_government_report(period: str) -> dict[str, object]:
    """The briefing from the marts (as bi_reader), archived as a new version when its bytes changed."""
    from ingestion.domain.periods import parse_period
    from itreport.reports.briefing_service import draft_briefing

    return draft_briefing(Settings.from_env(), parse_period(period), get_current_context()["run_id"])


@task.short_circuit
def needs_approval(draft: dict[str, object]) -> bool:
    """False (skip the gate and what follows) when this version was decided already, e.g. an unchanged rerun."""
    from itreport.reports.approval import needs_decision

    return needs_decision(draft)


def approval_gate(what: str):  # -> ApprovalOperator
    """A person approves, or rejects with a comment, the version ``build_report`` registered (Airflow UI, REST API)."""
    from itreport.orchestration.approval_gate import RecordedApprovalOperator

    draft = f"ti.xcom_pull(task_ids='{BUILD_TASK}')"
    return RecordedApprovalOperator(
        task_id=APPROVAL_TASK,
        subject=f"Duyệt {what} {{{{ {draft}['report_key'] }}}} (phiên bản {{{{ {draft}['version'] }}}})",
        body=(
            f"Tệp: `{{{{ {draft}['archive_path'] }}}}`  \nsha256: `{{{{ {draft}['sha256'] }}}}`\n\n"
            "Approve: the document is emailed to the leadership list. Reject: it is not sent; say why in the comment."
        ),
        params={COMMENT_PARAM: Param("", type="string", description="Ý kiến (bắt buộc khi từ chối)")},
        retries=0,
    )


def _decision():  # -> Decision | None
    from itreport.orchestration.approval_gate import ANSWER_KEY
    from itreport.reports.approval import decision_from_hitl

    return decision_from_hitl(get_current_context()["ti"].xcom_pull(task_ids=APPROVAL_TASK, key=ANSWER_KEY))


@task(multiple_outputs=False)
def publish_report(draft: dict[str, Any]) -> dict[str, object]:
    """Approved: record the decision, email the document to the leadership list, mark it sent."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    decision = _decision()
    if decision is None or not decision.approved:
        raise RuntimeError("publish_report runs only after an approval")
    with SmtpHook(smtp_conn_id="smtp_default") as hook:
        return _settle(draft, decision, hook, lines=draft.get("summary", []))


@task(trigger_rule="all_done", multiple_outputs=False)
def record_rejection(draft: dict[str, Any]) -> dict[str, object]:
    """Rejected (the gate skipped publish_report): record the decision and its comment; nothing is sent."""

    decision = _decision()
    if decision is None:
        return {"decision": None}
    if decision.approved:
        return {"decision": "approved"}
    return _settle(draft, decision, _NoSender())


def _settle(draft: dict[str, Any], decision, sender, *, lines=()) -> dict[str, object]:
    """:func:`itreport.reports.approval.settle` for the drafted version."""
    from itreport.reports.approval import settle

    return settle(
        Settings.from_env(),
        draft["report_kind"],
        draft["report_key"],
        draft["version"],
        decision,
        sender,
        title=draft["title"],
        lines=lines,
    )


class _NoSender:
    """A rejected report is never sent: any attempt is a bug."""

    def send_email_smtp(self, **_: Any) -> None:
        raise RuntimeError("a rejected report must not be sent")
