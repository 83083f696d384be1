"""monthly_close: close one reporting period — final intake, dbt build, audit, compliance alert to ministry staff.

Runs at 00:00 on the 22nd (Asia/Ho_Chi_Minh), the moment the period's deadline passes; catch-up from 2009-06.
Replies (receipts, rejections) go to agencies right after the final intake. When the marts are built and checked
it emits the marts asset (the period in the event's ``extra``) that government_report is scheduled on; a run not
finished ITREPORT_DEADLINE_ALERT_HOURS after it was queued emails the data engineers (DeadlineAlert).
Wiring only: the tasks live in ``itreport.orchestration.tasks``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag
from airflow.timetables.interval import CronDataIntervalTimetable

from itreport.config.settings import Settings
from itreport.orchestration.notifications import default_args, monthly_close_deadline
from itreport.orchestration.report_tasks import announce_marts
from itreport.orchestration.tasks import (
    audit,
    close,
    dbt_build,
    mapped_intake,
    prepare_warehouse,
    resolve_period,
    send_compliance_alert,
    send_replies,
    warehouse_checks,
)

SETTINGS = Settings.from_env()


@dag(
    dag_id="monthly_close",
    schedule=CronDataIntervalTimetable(f"0 0 {SETTINGS.deadline_day} * *", timezone=SETTINGS.timezone),
    start_date=pendulum.datetime(2009, 5, SETTINGS.deadline_day, tz=SETTINGS.timezone),
    catchup=True,
    max_active_runs=1,
    render_template_as_native_obj=True,
    default_args=default_args(),
    deadline=monthly_close_deadline(SETTINGS),  # None under dag.test() (ITREPORT_DEADLINE_ALERT=false)
    params={
        "period": Param(
            "",
            type="string",
            pattern=r"^(\d{4}-\d{2})?$",
            description="YYYY-MM to close; blank closes the period whose deadline ends the data interval.",
        ),
        "resend_alert": Param(
            False,
            type="boolean",
            description="Send the compliance alert even if the same alert already went to the same people.",
        ),
    },
    tags=["itreport", "monthly"],
    doc_md=__doc__,
)
def monthly_close():
    period = resolve_period()
    ready = prepare_warehouse()
    loaded = mapped_intake(ready)  # plan → intake_batch (mapped) → finish_intake
    closed = close(period)
    built = dbt_build(SETTINGS)
    checked = warehouse_checks()
    audited = audit(closed)
    loaded >> send_replies() >> closed >> built >> checked >> audited
    audited >> send_compliance_alert(closed)
    audited >> announce_marts(closed)


monthly_close()
