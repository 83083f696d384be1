"""annual_evaluation: ministries and provinces scored and ranked (Công văn 693/BTTTT-ƯDCNTT) for a year.

Runs on 15 January (Asia/Ho_Chi_Minh) for the previous year, or on demand with the ``year`` param. Waits for
December's close of the year, builds the .docx and the public results page from ``marts.rpt_annual_ranking``,
then waits for a person's approval (Airflow's HITL ApprovalOperator); approved, both go to the publication
folder, the version is archived with its sha256 and the document is emailed to the leadership list.
Wiring only: the tasks live in ``itreport.orchestration.annual_tasks``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag
from airflow.timetables.trigger import CronTriggerTimetable

from itreport.config.settings import Settings
from itreport.orchestration.annual_tasks import (
    approval_gate,
    build_annual_evaluation,
    publish_annual_evaluation,
    resolve_year,
    wait_for_december_close,
)
from itreport.orchestration.notifications import default_args

SETTINGS = Settings.from_env()


@dag(
    dag_id="annual_evaluation",
    schedule=CronTriggerTimetable("0 8 15 1 *", timezone=SETTINGS.timezone),
    start_date=pendulum.datetime(2010, 1, 1, tz=SETTINGS.timezone),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params={
        "year": Param(
            None,
            type=["null", "integer"],
            minimum=2009,
            description="The year to evaluate; empty evaluates the year before the run's date.",
        ),
    },
    tags=["itreport", "annual"],
    doc_md=__doc__,
)
def annual_evaluation():
    year = resolve_year()
    december = wait_for_december_close(year)
    built = build_annual_evaluation(december)
    approval = approval_gate()
    built >> approval >> publish_annual_evaluation(built)


annual_evaluation()
