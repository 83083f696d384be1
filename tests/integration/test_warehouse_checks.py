"""The warehouse checkpoint (GX on PostgreSQL) passes a good build, fails a broken one, skips missing marts."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.integration

GOOD = {
    "fct_reporting_compliance": (
        "create table {s}.fct_reporting_compliance (unit_code text, unit_name text, period_month date, status text, "
        "days_late integer)",
        "insert into {s}.fct_reporting_compliance values ('P01', 'Hà Nội', '2009-06-01', 'on_time', null), "
        "('P02', 'Hà Giang', '2009-06-01', 'late', 3), ('P04', 'Cao Bằng', '2009-06-01', 'missing', null), "
        "('P01', 'Hà Nội', '2009-07-01', 'late', 0)",
    ),
    "fct_indicator_values": (
        "create table {s}.fct_indicator_values (unit_code text, period_month date, indicator_code text, value numeric)",
        "insert into {s}.fct_indicator_values values ('P01', '2009-06-01', '3.1', 100), "
        "('P01', '2009-06-01', '3.2', 90), ('P01', '2009-07-01', '3.1', 101)",
    ),
    "rpt_reporting_rate": (
        "create table {s}.rpt_reporting_rate (period_month date, reporting_rate numeric, "
        "reporting_rate_on_time numeric)",
        "insert into {s}.rpt_reporting_rate values ('2009-06-01', 0.89, 0.5), ('2009-07-01', 1, null)",
    ),
}
BREAKS = [
    "insert into {s}.fct_reporting_compliance values ('P02', 'Hà Giang', '2009-06-01', 'on_time', null)",
    "insert into {s}.fct_reporting_compliance values ('P06', 'Bắc Kạn', '2009-06-01', 'sent', -2)",
    "insert into {s}.fct_indicator_values values ('P01', '2009-06-01', '3.1', 100)",
    "insert into {s}.rpt_reporting_rate values ('2009-08-01', 1.5, 0.2)",
]


def _make_schema(conn, schema: str, tables: list[str], breaks: list[str] = ()) -> None:
    conn.execute(f"drop schema if exists {schema} cascade")
    conn.execute(f"create schema {schema}")
    for table in tables:
        for statement in GOOD[table]:
            conn.execute(statement.format(s=schema))
    for statement in breaks:
        conn.execute(statement.format(s=schema))


@pytest.fixture(scope="module")
def outcomes(settings, warehouse_conn, tmp_path_factory):
    from expectations.warehouse import run_warehouse_checks
    from itreport.config.warehouse import warehouse_url

    home = tmp_path_factory.mktemp("gx-home")
    url = warehouse_url(settings)
    _make_schema(warehouse_conn, "dq_good", list(GOOD))
    _make_schema(warehouse_conn, "dq_broken", list(GOOD), BREAKS)
    _make_schema(warehouse_conn, "dq_partial", ["fct_reporting_compliance"])
    try:
        results = {
            schema: run_warehouse_checks(home, url, source_schema=schema, raise_on_failure=False)
            for schema in ("dq_good", "dq_broken", "dq_partial")
        }
    finally:
        for schema in ("dq_good", "dq_broken", "dq_partial"):
            warehouse_conn.execute(f"drop schema if exists {schema} cascade")
    return {"home": home, "url": url, **results}


def test_a_good_build_passes(outcomes):
    result = outcomes["dq_good"]
    assert result.success, result.failures
    assert sorted(result.checked) == sorted(GOOD) and result.skipped == []


def test_a_broken_build_fails_naming_each_broken_expectation(outcomes):
    result = outcomes["dq_broken"]
    assert not result.success
    text = "\n".join(result.failures)
    for needle in (
        "warehouse_reporting_compliance: expect_compound_columns_to_be_unique",
        "warehouse_reporting_compliance: expect_column_values_to_be_in_set",
        "warehouse_reporting_compliance: expect_column_values_to_be_between",
        "warehouse_indicator_values: expect_compound_columns_to_be_unique",
        "warehouse_reporting_rate: expect_column_values_to_be_between",
    ):
        assert needle in text, text
    assert len(result.failures) == 5, text
    assert all(re.search(r"failed \([1-9]\d* unexpected rows\)$", failure) for failure in result.failures), text


def test_each_run_stores_one_result_per_mart_with_counts_only_when_something_failed(settings, warehouse_conn, tmp_path):
    """The gate says which expectations passed; a failed run is checked again by its twin, whose results (with the
    unexpected rows counted) replace the gate's."""
    from expectations.warehouse import run_warehouse_checks
    from itreport.config.warehouse import warehouse_url

    def results() -> list[dict]:
        return [json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "gx" / "validations").rglob("*.json")]

    try:
        _make_schema(warehouse_conn, "dq_once", list(GOOD))
        assert run_warehouse_checks(tmp_path, warehouse_url(settings), source_schema="dq_once").success
        clean = results()
        assert len(clean) == len(GOOD)
        assert all("unexpected_count" not in r["result"] for result in clean for r in result["results"])
        _make_schema(warehouse_conn, "dq_once", list(GOOD), BREAKS)
        run_warehouse_checks(tmp_path, warehouse_url(settings), source_schema="dq_once", raise_on_failure=False)
        broken = [result for result in results() if result not in clean]
        assert len(broken) == len(GOOD)
        assert all("unexpected_count" in r["result"] for result in broken for r in result["results"])
    finally:
        warehouse_conn.execute("drop schema if exists dq_once cascade")


def test_missing_marts_are_skipped_at_run_time(outcomes):
    result = outcomes["dq_partial"]
    assert result.success, result.failures
    assert result.checked == ["fct_reporting_compliance"]
    assert sorted(result.skipped) == ["fct_indicator_values", "rpt_reporting_rate"]


def test_the_views_are_gone_after_a_run(outcomes, warehouse_conn):
    assert not warehouse_conn.execute("select 1 from pg_namespace where nspname = 'gx_checks'").fetchone()


def test_a_failure_raises_for_the_airflow_task(outcomes, warehouse_conn):
    from expectations.warehouse import WarehouseChecksFailed, run_warehouse_checks

    _make_schema(warehouse_conn, "dq_broken_again", ["fct_reporting_compliance"], BREAKS[:1])
    try:
        with pytest.raises(WarehouseChecksFailed, match="expect_compound_columns_to_be_unique"):
            run_warehouse_checks(outcomes["home"], outcomes["url"], source_schema="dq_broken_again")
    finally:
        warehouse_conn.execute("drop schema if exists dq_broken_again cascade")


def test_a_mart_without_a_checked_column_fails_loudly(outcomes, warehouse_conn):
    from expectations.warehouse import WarehouseChecksFailed, run_warehouse_checks

    warehouse_conn.execute("drop schema if exists dq_renamed cascade")
    warehouse_conn.execute("create schema dq_renamed")
    warehouse_conn.execute("create table dq_renamed.rpt_reporting_rate (period_month date, rate numeric)")
    try:
        with pytest.raises(WarehouseChecksFailed, match="rpt_reporting_rate has no column reporting_rate"):
            run_warehouse_checks(outcomes["home"], outcomes["url"], source_schema="dq_renamed")
    finally:
        warehouse_conn.execute("drop schema if exists dq_renamed cascade")


def test_results_and_data_docs_go_to_the_state_folder(outcomes):
    from expectations.project import data_docs_index

    index = data_docs_index(outcomes["home"])
    assert outcomes["dq_good"].data_docs == str(index)
    assert index.exists()
    assert (outcomes["home"] / "gx" / "validations" / "warehouse_reporting_compliance").is_dir()


def test_monthly_close_checks_the_warehouse_between_dbt_build_and_the_alert():
    from airflow.dag_processing.dagbag import DagBag

    from itreport.config.settings import DAGS_DIR

    dag = DagBag(dag_folder=str(DAGS_DIR / "monthly_close.py")).dags["monthly_close"]
    checks = dag.get_task("warehouse_checks")
    assert checks.upstream_task_ids == {"dbt_build"}
    assert checks.downstream_task_ids == {"audit"}  # then the ledger audit, then the alert
    assert "send_compliance_alert" in dag.get_task("audit").downstream_task_ids
    assert checks.retries == 0


def test_data_docs_are_updated_with_each_new_result_and_list_every_suite(outcomes):
    """Each run's results get their own page and a link in the index (updated, not rebuilt); suites that no
    warehouse run used (the intake suite) are listed too."""
    from expectations.project import data_docs_index, suite_files
    from ingestion.domain.catalogue import default_catalogue

    index = data_docs_index(outcomes["home"])
    html = index.read_text(encoding="utf-8")
    for name in suite_files(default_catalogue()):
        assert (index.parent / "expectations" / name.replace(".json", ".html")).is_file()
    pages = sorted((index.parent / "validations" / "warehouse_reporting_compliance").rglob("*.html"))
    assert len(pages) >= 3  # dq_good, dq_broken, dq_partial (and the runs of the tests above): one page each
    for page in pages:
        assert page.relative_to(index.parent).as_posix() in html


def _checks_from_each_recorded_period(
    settings, warehouse_conn, tmp_path, schema: str, models: list[str], breaks: list[str]
):
    """The warehouse checks of ``schema`` (the good rows plus ``breaks``), run once with each of ``models``
    recording 2009-07 as the first period its build rewrote, then 2009-06."""
    from expectations.warehouse import run_warehouse_checks
    from itreport.config.warehouse import warehouse_url

    _make_schema(warehouse_conn, schema, list(GOOD), breaks)
    warehouse_conn.execute(  # as dbt_project/macros/incremental.sql creates it
        "create schema if not exists intermediate; create table if not exists intermediate.dbt_incremental_state"
        " (model text primary key, loaded_through timestamptz, rebuilt_from date not null,"
        " recorded_at timestamptz not null default now())"
    )
    record = (
        "insert into intermediate.dbt_incremental_state (model, rebuilt_from) values (%s, %s)"
        " on conflict (model) do update set rebuilt_from = excluded.rebuilt_from"
    )
    try:
        results = {}
        for since in ("2009-07-01", "2009-06-01"):
            for model in models:
                warehouse_conn.execute(record, (f"{schema}.{model}", since))
            results[since] = run_warehouse_checks(
                tmp_path, warehouse_url(settings), source_schema=schema, raise_on_failure=False
            )
    finally:
        warehouse_conn.execute("delete from intermediate.dbt_incremental_state where model like %s", (f"{schema}.%",))
        warehouse_conn.execute(f"drop schema if exists {schema} cascade")
    return results


def test_an_incremental_fact_is_checked_from_the_period_its_last_build_rewrote(settings, warehouse_conn, tmp_path):
    """A duplicate in a period before the fact's recorded ``rebuilt_from`` (checked after the build that wrote
    it) is not read again; from that period on, it fails the checks."""
    duplicate = "insert into {s}.fct_indicator_values values ('P01', '2009-06-01', '3.1', 100)"
    results = _checks_from_each_recorded_period(
        settings, warehouse_conn, tmp_path, "dq_window", ["fct_indicator_values"], [duplicate]
    )
    assert results["2009-07-01"].success, results["2009-07-01"].failures
    assert not results["2009-06-01"].success
    assert any("warehouse_indicator_values" in failure for failure in results["2009-06-01"].failures)


def test_the_compliance_marts_are_checked_from_the_first_period_their_build_changed(settings, warehouse_conn, tmp_path):
    """fct_reporting_compliance records the first period its build may have changed (and rebuilt), and
    rpt_reporting_rate (derived from it period by period) the same; their checks read from there."""
    breaks = [
        "insert into {s}.fct_reporting_compliance values ('P02', 'Hà Giang', '2009-06-01', 'on_time', null)",
        "insert into {s}.rpt_reporting_rate values ('2009-06-01', 1.5, 0.2)",
    ]
    results = _checks_from_each_recorded_period(
        settings, warehouse_conn, tmp_path, "dq_changed", ["fct_reporting_compliance", "rpt_reporting_rate"], breaks
    )
    assert results["2009-07-01"].success, results["2009-07-01"].failures
    failures = " ".join(results["2009-06-01"].failures)
    assert "warehouse_reporting_compliance" in failures and "warehouse_reporting_rate" in failures
