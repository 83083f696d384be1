"""intake: read the reporting mailbox during the month — archive, decide, check, load, reply to agencies.

Hourly (Asia/Ho_Chi_Minh) so agencies get their receipt or rejection while they can still fix a report
before the deadline. Wiring only: the work lives in ``itreport.cycle`` and ``itreport.replies``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from itreport.settings import Settings

SETTINGS = Settings.from_env()


@dag(
    dag_id="intake",
    schedule=CronTriggerTimetable("15 * * * *", timezone=SETTINGS.timezone),
    start_date=pendulum.datetime(2009, 6, 1, tz=SETTINGS.timezone),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=5)},
    tags=["itreport", "intake"],
    doc_md=__doc__,
)
def intake_dag():
    @task
    def prepare_warehouse() -> dict[str, str]:
        from itreport.cycle import prepare_warehouse

        return prepare_warehouse(Settings.from_env())

    @task
    def intake() -> dict[str, object]:
        from itreport.cycle import run_intake

        return run_intake(Settings.from_env()).as_dict()

    @task
    def send_replies() -> dict[str, int]:
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        from itreport.replies import send_replies

        with SmtpHook(smtp_conn_id="smtp_default") as hook:
            return send_replies(Settings.from_env(), hook)

    prepare_warehouse() >> intake() >> send_replies()


intake_dag()
