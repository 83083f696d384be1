"""monthly_close: close one reporting period — final intake, dbt build, compliance alert to ministry staff.

Runs at 00:00 on the 22nd (Asia/Ho_Chi_Minh), the moment the period's deadline passes; catch-up from 2009-06.
Replies (receipts, rejections) go to agencies right after the final intake.
Wiring only: the work lives in ``itreport.cycle`` and the packages it calls.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable
from cosmos.config import ProfileConfig
from cosmos.operators.local import DbtBuildLocalOperator

from itreport.dag_tasks import intake, prepare_warehouse, send_replies
from itreport.settings import DBT_PROJECT_DIR, Settings

SETTINGS = Settings.from_env()


@dag(
    dag_id="monthly_close",
    schedule=CronDataIntervalTimetable(f"0 0 {SETTINGS.deadline_day} * *", timezone=SETTINGS.timezone),
    start_date=pendulum.datetime(2009, 5, SETTINGS.deadline_day, tz=SETTINGS.timezone),
    catchup=True,
    max_active_runs=1,
    render_template_as_native_obj=True,
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=5)},
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
    @task
    def resolve_period() -> str:
        from ingestion.periods import format_period, parse_period

        context = get_current_context()
        if context["params"].get("period"):
            return format_period(parse_period(context["params"]["period"]))
        return format_period(SETTINGS.deadline.period_closing_at(context["data_interval_end"]))

    @task
    def close(period: str) -> str:
        from ingestion.periods import parse_period
        from itreport.cycle import close_period

        close_period(Settings.from_env(), parse_period(period), get_current_context()["run_id"])
        return period

    dbt_build = DbtBuildLocalOperator(
        task_id="dbt_build",
        project_dir=str(DBT_PROJECT_DIR),
        profile_config=ProfileConfig(
            profile_name="itreport",
            target_name="default",
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
        ),
        env="{{ ti.xcom_pull(task_ids='prepare_warehouse') }}",
        append_env=True,
        vars=SETTINGS.dbt_vars(),
        install_deps=False,
        emit_datasets=False,
        retries=0,
    )

    @task(retries=0)
    def warehouse_checks() -> dict[str, object]:
        """GX checkpoint on the marts just built; a failed expectation fails the task (no alert goes out)."""
        from expectations.warehouse import run_warehouse_checks
        from itreport import warehouse

        settings = Settings.from_env()
        return run_warehouse_checks(settings.home, warehouse.warehouse_url(settings)).as_dict()

    @task
    def send_compliance_alert(period: str) -> dict[str, object]:
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        from ingestion.periods import parse_period
        from itreport.cycle import send_compliance_alert

        with SmtpHook(smtp_conn_id="smtp_default") as hook:
            return send_compliance_alert(
                Settings.from_env(),
                parse_period(period),
                hook,
                resend=bool(get_current_context()["params"].get("resend_alert")),
            )

    period = resolve_period()
    ready = prepare_warehouse()
    loaded = intake()
    closed = close(period)
    ready >> loaded >> send_replies() >> closed >> dbt_build >> warehouse_checks() >> send_compliance_alert(closed)


monthly_close()
