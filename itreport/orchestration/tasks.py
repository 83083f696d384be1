"""Every Airflow task of the project's DAGs (TaskFlow). DAG files only wire these together.

Each task reads the settings where it runs (a worker's environment) and calls a plain function that tests call
without Airflow. Heavy imports (GX, dbt, python-docx, pandas) stay inside the task bodies so that parsing a DAG
file stays fast. A task returning a dict says ``multiple_outputs=False`` when nothing reads its keys one by one
(TaskFlow infers True from the ``dict`` annotation and stores one XCom per key besides the whole).
"""

from __future__ import annotations

from airflow.sdk import get_current_context, task

from itreport.config.settings import Settings


@task(multiple_outputs=False)
def prepare_warehouse() -> dict[str, str]:
    """Start (embedded) or reach the warehouse; returns the dbt connection environment."""
    from itreport.orchestration.close import ensure_warehouse

    return ensure_warehouse(Settings.from_env())


@task(multiple_outputs=False)
def intake() -> dict[str, object]:
    """Archive every message in the mailbox, decide each new one, check it with GX and load it."""
    from itreport.orchestration.intake_run import run_intake

    return run_intake(Settings.from_env()).as_dict()


PLAN_KEY = "intake_run"  # plan_intake's XCom for finish_intake: the counts and read mark, never message bytes


@task
def plan_intake() -> list[dict[str, object]]:
    """The new messages of the mailbox (keys and receipt times, never bytes), in batches for ``intake_batch``; what
    ``finish_intake`` needs besides goes under the XCom key ``PLAN_KEY``."""
    from itreport.orchestration.intake_run import plan_intake as plan

    planned = plan(Settings.from_env())
    get_current_context()["ti"].xcom_push(key=PLAN_KEY, value=planned.as_dict(with_batches=False))
    return [batch.as_dict() for batch in planned.batches]


@task(multiple_outputs=False)
def intake_batch(batch: dict[str, object]) -> dict[str, object]:
    """One batch: archive, decide, check with GX and load its messages in one transaction (mapped over the plan)."""
    from ingestion.domain.records import IntakeBatch
    from itreport.orchestration.intake_run import intake_batch as run_batch

    return run_batch(Settings.from_env(), IntakeBatch.from_dict(batch)).as_dict()


# no batch at all (nothing new) still finishes: the read mark, the counts
@task(trigger_rule="none_failed", multiple_outputs=False)
def finish_intake(outcomes: list[dict[str, object]]) -> dict[str, object]:
    """After every batch: the "same as" notices that needed another batch's report, the read mark, the counts."""
    from itreport.orchestration.intake_run import BatchOutcome, IntakePlan
    from itreport.orchestration.intake_run import finish_intake as finish

    run = get_current_context()["ti"].xcom_pull(task_ids="plan_intake", key=PLAN_KEY)
    # a slice of the mapped outcomes is one request; reading them one by one ends with a request past the last,
    # which Airflow's client logs as an error
    done = [BatchOutcome.from_dict(outcome) for outcome in (outcomes[:] if outcomes is not None else [])]
    return finish(Settings.from_env(), IntakePlan.from_dict(run), done).as_dict()


def mapped_intake(upstream):  # -> the XComArg of finish_intake: the run's counts, as run_intake returns them
    """Wiring of the mapped intake after ``upstream``: plan → ``intake_batch`` per batch → finish."""
    plan = plan_intake()
    upstream >> plan
    finished = finish_intake(intake_batch.expand(batch=plan))
    plan >> finished
    return finished


@task(multiple_outputs=False)
def send_replies() -> dict[str, int]:
    """Receipts and rejections to agencies for messages not yet answered (each message once)."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    from itreport.notify.replies import send_pending_replies

    with SmtpHook(smtp_conn_id="smtp_default") as hook:
        return send_pending_replies(Settings.from_env(), hook)


@task
def resolve_period() -> str:
    """The period to close: the ``period`` param, else the one whose deadline ends the data interval."""
    from ingestion.domain.periods import format_period, parse_period

    context = get_current_context()
    if context["params"].get("period"):
        return format_period(parse_period(context["params"]["period"]))
    return format_period(Settings.from_env().deadline.period_closing_at(context["data_interval_end"]))


@task
def close(period: str) -> str:
    """Record the period as closed: from now on the compliance mart has rows for it."""
    from ingestion.domain.periods import parse_period
    from itreport.orchestration.close import close_period

    close_period(Settings.from_env(), parse_period(period), get_current_context()["run_id"])
    return period


def dbt_build(settings: Settings):  # -> cosmos DbtBuildLocalOperator
    """``dbt build`` through Cosmos, with the connection ``prepare_warehouse`` returned: what the month needs
    (seeds only when their files changed, no dbt unit tests outside CI: ``itreport.orchestration.dbt_build``)."""
    from cosmos.config import ProfileConfig

    from itreport.orchestration.dbt_build import MonthlyDbtBuildOperator

    return MonthlyDbtBuildOperator(
        task_id="dbt_build",
        project_dir=str(settings.dbt_project_dir),
        profile_config=ProfileConfig(
            profile_name="itreport",
            target_name="default",
            profiles_yml_filepath=settings.dbt_project_dir / "profiles.yml",
        ),
        env="{{ ti.xcom_pull(task_ids='prepare_warehouse') }}",
        append_env=True,
        vars=settings.dbt_vars(),
        install_deps=False,
        # nothing reads the build's manifest.json or run_results.json, and its dbt.log is deleted with Cosmos's
        # temporary project copy (dbt_build.MonthlyDbtBuildOperator)
        dbt_cmd_global_flags=["--no-write-json", "--log-level-file", "none"],
        emit_datasets=False,
        retries=0,
    )


@task(retries=0, multiple_outputs=False)
def warehouse_checks() -> dict[str, object]:
    """GX checkpoint on the marts just built; a failed expectation fails the task (no alert goes out)."""
    from expectations.warehouse import run_warehouse_checks
    from itreport.config import warehouse

    settings = Settings.from_env()
    return run_warehouse_checks(settings.home, warehouse.warehouse_url(settings)).as_dict()


@task
def send_pending_alerts() -> list[dict]:
    """Alerts whose SMTP stayed down past their task's retries: sent by the next run, as the period stands now."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    from itreport.notify.alerts import send_pending_alerts as send_pending

    with SmtpHook(smtp_conn_id="smtp_default") as hook:
        return send_pending(Settings.from_env(), hook)


@task(retries=0, multiple_outputs=False)
def audit(period: str) -> dict[str, object]:
    """The ledger against the archive and the warehouse; any problem fails the task (no alert goes out)."""
    from ingestion.domain.periods import parse_period
    from itreport.orchestration.audit import audit as run_audit

    report = run_audit(Settings.from_env(), parse_period(period))
    if not report.ok:
        raise RuntimeError("\n".join(report.lines()))
    return report.as_dict()


@task(multiple_outputs=False)
def send_compliance_alert(period: str) -> dict[str, object]:
    """The period's compliance alert to ministry staff, once per content (``resend_alert`` forces it)."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    from ingestion.domain.periods import parse_period
    from itreport.notify.alerts import send_alert_once

    with SmtpHook(smtp_conn_id="smtp_default") as hook:
        return send_alert_once(
            Settings.from_env(),
            parse_period(period),
            hook,
            resend=bool(get_current_context()["params"].get("resend_alert")),
        )
