"""government_report: the Government's monthly briefing after each close, behind a person's approval.

Scheduled on the marts asset monthly_close emits (the period in the event's ``extra``), or run with a ``period``.
Builds the .docx from the marts (as the read-only role bi_reader), archives it as a version in ``raw.reports``, asks a
staff member to approve or reject it (Airflow's human-in-the-loop ApprovalOperator: the UI's Required Actions, or the
REST API), then emails an approved version to the leadership list; a rejection is recorded with its comment.
An unchanged document (same sha256) keeps its version and decision; nobody is asked twice.
Wiring only: the tasks live in ``itreport.orchestration.report_tasks``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag

from itreport.config.settings import Settings
from itreport.orchestration.assets import MONTHLY_MARTS
from itreport.orchestration.notifications import default_args
from itreport.orchestration.report_tasks import (
    approval_gate,
    build_government_report,
    needs_approval,
    publish_report,
    record_rejection,
    resolve_report_period,
)
from itreport.orchestration.tasks import prepare_warehouse

SETTINGS = Settings.from_env()


@dag(
    dag_id="government_report",
    schedule=[MONTHLY_MARTS],
    start_date=pendulum.datetime(2009, 6, 1, tz=SETTINGS.timezone),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=1),
    params={
        "period": Param("", type="string", pattern=r"^(\d{4}-\d{2})?$", description="YYYY-MM; blank: the asset's"),
    },
    tags=["itreport", "monthly", "report"],
    doc_md=__doc__,
)
def government_report():
    period = resolve_report_period()
    draft = build_government_report(period)
    prepare_warehouse() >> draft
    gate = approval_gate("báo cáo Chính phủ tháng")
    needs_approval(draft) >> gate >> publish_report(draft) >> record_rejection(draft)


government_report()
