"""The tasks of the ``annual_evaluation`` DAG (TaskFlow); ``dags/annual_evaluation.py`` only wires them.

Each task reads the settings where it runs and calls plain functions of ``itreport.reports`` that the CLI
and the tests call without Airflow.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import PokeReturnValue, get_current_context, task

from itreport.config.settings import Settings

APPROVAL_TASK_ID = "approve_publication"


@task
def resolve_year() -> int:
    """The ``year`` param, else the year before the run's date (ministry time): January evaluates last year."""
    import pendulum

    context = get_current_context()
    if context["params"].get("year"):
        return int(context["params"]["year"])
    moment = context.get("logical_date") or context.get("data_interval_end") or pendulum.now("UTC")
    return pendulum.instance(moment).in_timezone(Settings.from_env().timezone).year - 1


@task.sensor(poke_interval=timedelta(hours=1), timeout=timedelta(days=45), mode="reschedule")
def wait_for_december_close(year: int) -> PokeReturnValue:
    """Waits until monthly_close has closed December of ``year`` and dbt has built its ranking."""
    from itreport.config import warehouse
    from itreport.reports.annual_data import december_closed

    with warehouse.connect(Settings.from_env()) as conn:
        return PokeReturnValue(is_done=december_closed(conn, year), xcom_value=year)


@task(multiple_outputs=False)
def build_annual_evaluation(year: int) -> dict[str, object]:
    """The document and the results page, from the marts, into the reports folder (a draft until approved)."""
    from itreport.reports.annual_build import build_annual

    return build_annual(Settings.from_env(), year).as_dict()


@task(multiple_outputs=False)
def publish_annual_evaluation(outputs: dict[str, object]) -> dict[str, object]:
    """After approval: archive the version (sha256), copy both to the publication folder, email the document
    to the leadership list (once per content, through the outbox)."""
    from pathlib import Path

    from airflow.providers.smtp.hooks.smtp import SmtpHook

    from ingestion.load import ensure_raw_schema
    from itreport.config import warehouse
    from itreport.reports.annual_build import AnnualOutputs
    from itreport.reports.annual_publication import Decision, publish_annual

    settings = Settings.from_env()
    answer = get_current_context()["ti"].xcom_pull(task_ids=APPROVAL_TASK_ID)
    built = AnnualOutputs(
        year=int(outputs["year"]),  # type: ignore[arg-type]
        document=Path(str(outputs["document"])),
        page_dir=Path(str(outputs["page_dir"])),
        ranked=int(outputs["ranked"]),  # type: ignore[arg-type]
        unranked=int(outputs["unranked"]),  # type: ignore[arg-type]
    )
    with SmtpHook(smtp_conn_id="smtp_default") as hook, warehouse.connect(settings, autocommit=True) as conn:
        ensure_raw_schema(conn)
        return publish_annual(settings, built, Decision.from_hitl(answer), conn=conn, sender=hook).as_dict()


def approval_gate():  # -> ApprovalOperator
    """A person approves (or rejects) publication; rejecting skips the publication."""
    from airflow.providers.standard.operators.hitl import ApprovalOperator
    from airflow.sdk import Param

    return ApprovalOperator(
        task_id=APPROVAL_TASK_ID,
        subject="Phê duyệt công bố kết quả đánh giá ứng dụng CNTT năm {{ ti.xcom_pull(task_ids='resolve_year') }}",
        body=(
            "Báo cáo: `{{ ti.xcom_pull(task_ids='build_annual_evaluation')['document'] }}`\n\n"
            "Trang kết quả: `{{ ti.xcom_pull(task_ids='build_annual_evaluation')['page_dir'] }}/index.html`\n\n"
            "{{ ti.xcom_pull(task_ids='build_annual_evaluation')['ranked'] }} đơn vị được xếp hạng, "
            "{{ ti.xcom_pull(task_ids='build_annual_evaluation')['unranked'] }} đơn vị chưa đủ báo cáo. "
            "Phê duyệt (Approve) để đưa vào thư mục công bố và gửi báo cáo tới Lãnh đạo Bộ."
        ),
        params={"comment": Param("", type="string", description="Ý kiến của người phê duyệt (tùy chọn).")},
        retries=0,
    )
