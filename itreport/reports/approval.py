"""The approval gate after a report is drafted, for any report kind in the ledger (``raw.reports``).

A DAG drafts the document and registers it (:func:`itreport.reports.ledger.register`), asks a person through Airflow's
human-in-the-loop ``ApprovalOperator`` only when that version has no decision yet (:func:`needs_decision`), then
:func:`settle` records the answer: approved → mailed to the leadership list with the file attached and marked sent;
rejected → not sent, the comment recorded. The HITL answer reaches :func:`decision_from_hitl` as the operator's XCom.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from itreport.config import warehouse
from itreport.config.settings import Settings
from itreport.notify.report_mail import send_report
from itreport.notify.sender import EmailSender
from itreport.reports import ledger

APPROVE_OPTION = "Approve"  # ApprovalOperator.APPROVE


@dataclass(frozen=True)
class Decision:
    approved: bool
    decided_by: str | None
    comment: str


def decision_from_hitl(result: Mapping[str, Any] | None) -> Decision | None:
    """The ApprovalOperator's XCom (chosen_options, params_input, responded_by_user) as a decision; None when
    nobody answered (the gate failed or timed out)."""
    if not result or not result.get("chosen_options"):
        return None
    user = result.get("responded_by_user") or {}
    comment = str((result.get("params_input") or {}).get("comment") or "").strip()
    return Decision(list(result["chosen_options"]) == [APPROVE_OPTION], user.get("name") or user.get("id"), comment)


def needs_decision(version: Mapping[str, Any]) -> bool:
    """Whether a registered version (``ReportVersion.as_dict()``) still waits for a person."""
    return version.get("decision") is None


def settle(
    settings: Settings,
    report_kind: str,
    report_key: str,
    version: int,
    decision: Decision,
    sender: EmailSender,
    *,
    title: str,
    lines: Sequence[str] = (),
) -> dict[str, object]:
    """Record ``decision`` on the version; an approved one goes to the leadership list (once) and is marked sent."""
    with warehouse.connect(settings, autocommit=True) as conn:
        decided = ledger.record_decision(
            conn,
            report_kind,
            report_key,
            version,
            ledger.APPROVED if decision.approved else ledger.REJECTED,
            decision.decided_by,
            decision.comment,
        )
        result: dict[str, object] = decided.as_dict()
        if decided.decision != ledger.APPROVED:
            return result | {"sent": False}
        outcome = send_report(conn, settings, decided, title, lines, sender)
        ledger.mark_sent(conn, report_kind, report_key, version, ", ".join(sorted(settings.leadership_to)))
    return result | {"sent": outcome.value, "sent_to": sorted(settings.leadership_to)}
