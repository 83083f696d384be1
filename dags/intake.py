"""intake: read the reporting mailbox during the month — archive, decide, check, load, reply to agencies.

The mailbox is planned, then read in batches that Airflow maps over (workers share a large month), then
finished. Hourly (Asia/Ho_Chi_Minh) so agencies get their receipt or rejection while they can still fix a report
before the deadline; emits the new-submissions asset when any landed.
Wiring only: the tasks live in ``itreport.orchestration``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag
from airflow.timetables.trigger import CronTriggerTimetable

from itreport.config.settings import Settings
from itreport.orchestration.notifications import default_args
from itreport.orchestration.report_tasks import announce_submissions
from itreport.orchestration.tasks import mapped_intake, prepare_warehouse, send_pending_alerts, send_replies

SETTINGS = Settings.from_env()


@dag(
    dag_id="intake",
    schedule=CronTriggerTimetable("15 * * * *", timezone=SETTINGS.timezone),
    start_date=pendulum.datetime(2009, 6, 1, tz=SETTINGS.timezone),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["itreport", "intake"],
    doc_md=__doc__,
)
def intake_dag():
    loaded = mapped_intake(prepare_warehouse())  # plan → intake_batch (mapped, one per batch) → finish_intake
    loaded >> send_replies() >> send_pending_alerts()
    announce_submissions(loaded)  # an asset event when new submissions landed


intake_dag()
