"""The approval gate's operator: Airflow's ``ApprovalOperator`` that also keeps the person's answer as an XCom.

On "Reject" the stock operator skips its downstream tasks by raising ``DownstreamTasksSkipped`` (Airflow 3), so its
return value (the answer) is never stored and a later task cannot read the rejection's comment. This subclass pushes
the answer under ``ANSWER_KEY`` first, for approvals and rejections alike.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator

ANSWER_KEY = "hitl_answer"


class RecordedApprovalOperator(ApprovalOperator):
    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        if "error" not in event:
            context["ti"].xcom_push(
                key=ANSWER_KEY,
                value={
                    "chosen_options": list(event.get("chosen_options") or []),
                    "params_input": dict(event.get("params_input") or {}),
                    "responded_by_user": dict(event.get("responded_by_user") or {}),
                },
            )
        return super().execute_complete(context, event)
