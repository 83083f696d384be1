"""reminders: before the deadline, remind every unit that has not sent the period's report yet.

08:00 (Asia/Ho_Chi_Minh) on ITREPORT_REMINDER_DAYS days before the deadline (default 7, 3 and 1 days before the
22nd): a fresh intake first, so a report that arrived at 07:55 counts; then one email per unit, period and step with
the prefilled form, and a digest to staff. Wiring only: the tasks live in ``itreport.orchestration``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag
from airflow.timetables.trigger import CronTriggerTimetable

from itreport.config.settings import Settings
from itreport.orchestration.notifications import default_args
from itreport.orchestration.report_tasks import send_reminders
from itreport.orchestration.tasks import intake, prepare_warehouse

SETTINGS = Settings.from_env()
DAYS = ",".join(str(SETTINGS.deadline_day - days) for days in sorted(SETTINGS.reminder_days, reverse=True))


@dag(
    dag_id="reminders",
    schedule=CronTriggerTimetable(f"0 8 {DAYS} * *", timezone=SETTINGS.timezone),
    start_date=pendulum.datetime(2009, 6, 1, tz=SETTINGS.timezone),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params={
        "period": Param("", type="string", pattern=r"^(\d{4}-\d{2})?$", description="YYYY-MM; blank: the run's month"),
        "days_before": Param(0, type="integer", minimum=0, description="the step; 0: from the run's day"),
    },
    tags=["itreport", "reminders"],
    doc_md=__doc__,
)
def reminders():
    prepare_warehouse() >> intake() >> send_reminders()


reminders()
