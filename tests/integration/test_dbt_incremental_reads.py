"""What a monthly build reads of the raw history (dbt_project/models): the models that join the raw values rebuild
a window (the years or periods a month changed) and read the raw values of that window only, through the primary
key, however long the history. Checked on the plans PostgreSQL runs (EXPLAIN ANALYZE of the compiled incremental
SQL: rows read per table), not on timings.

Its own database (``itreport_dbt_reads``) on the session's embedded server: five and a half years of synthetic
reports of the registry's first units, written by SQL, then a quarter loaded after the full build.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import psycopg
import pytest
from dbt_scratch import load_reports, rows_read, run_dbt, scratch_database, succeeded
from psycopg import sql

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("dbt_reads")]  # one worker builds `reads_database`

DATABASE = "itreport_dbt_reads"
HISTORY = ("2009-06-01", "2014-12-01")
NEW_MONTHS = ("2015-01-01", "2015-03-01")
# the models that join raw.submission_values, and their compiled SQL under the target folder
READERS = {
    "int_year_end_values": "intermediate",
    "int_year_end_unit_values": "intermediate",
    "fct_indicator_values": "marts",
    "fct_indicator_value_history": "marts",
}


def _dbt(database, *args: str) -> None:
    succeeded(run_dbt(database, *args, scope="rebuilt"))


@pytest.fixture(scope="module")
def reads_database(settings, warehouse_conn, tmp_path_factory):
    """The history, a full build, then a quarter loaded and the readers compiled as the next month builds them."""
    with scratch_database(settings, warehouse_conn, DATABASE, tmp_path_factory.mktemp("dbt-reads")) as database:
        conn = database["conn"]
        load_reports(conn, *HISTORY)
        _dbt(database, "build", "--full-refresh", "--exclude", "resource_type:test")
        load_reports(conn, *NEW_MONTHS)
        # the month's build up to the readers (the intermediate tables they read), then the readers as it runs them
        _dbt(database, "run", "--select", *(f"+{model}" for model in READERS), "--exclude", *READERS)
        _dbt(database, "compile", "--select", *READERS)
        yield database


@pytest.mark.parametrize("model", list(READERS))
def test_a_monthly_build_reads_the_raw_values_of_its_window_only(reads_database, model):
    conn = reads_database["conn"]
    compiled = Path(reads_database["tmp"]) / "target" / "compiled" / "itreport" / "models" / READERS[model]
    query = (compiled / f"{model}.sql").read_text(encoding="utf-8")
    assert "2015" in query or "2014" in query, "not compiled as an incremental build of the new months"
    plan = conn.execute("explain (analyze, format json) " + query).fetchone()[0][0]["Plan"]
    read, kinds = rows_read(plan, "submission_values")
    (total,) = conn.execute("select count(*) from raw.submission_values").fetchone()
    assert 0 < read < total / 5, (read, total, kinds)
    assert "Seq Scan" not in kinds, kinds


def _indexes_on(conn: psycopg.Connection, table: str, column: str) -> list[str]:
    """The names of ``schema.table``'s indexes on ``column`` alone, as PostgreSQL describes them."""
    schema, name = table.split(".")
    rows = conn.execute(
        "select indexname from pg_indexes where schemaname = %s and tablename = %s and indexdef like %s",
        (schema, name, f"% ({column})"),
    )
    return [f"{schema}.{index}" for (index,) in rows]


def test_an_incremental_build_adds_an_index_its_table_lacks(reads_database):
    """A table made before an index was configured (here: the index dropped) gets it at its next monthly build,
    once (macros/indexes.sql); dbt alone creates indexes only with the table."""
    conn = reads_database["conn"]
    table = "marts.fct_submissions"
    assert _indexes_on(conn, table, "period_month"), "the full build made no index to drop"
    for name in _indexes_on(conn, table, "period_month"):
        conn.execute(sql.SQL("drop index {}").format(sql.Identifier(*name.split("."))))
    assert _indexes_on(conn, table, "period_month") == []

    _dbt(reads_database, "run", "--select", "fct_submissions")
    assert len(_indexes_on(conn, table, "period_month")) == 1
    _dbt(reads_database, "run", "--select", "fct_submissions")
    assert len(_indexes_on(conn, table, "period_month")) == 1


@pytest.mark.parametrize("table", ["marts.fct_indicator_values", "marts.fct_submissions"])
def test_an_incremental_table_built_whole_has_the_planners_statistics(reads_database, table):
    """The full build analyzed what it built (macros/statistics.sql): PostgreSQL estimates the rows of a quarter
    of the history from the table's statistics, where without any it guesses a third of the table and scans it."""
    conn = reads_database["conn"]
    schema, name = table.split(".")
    analyzed = conn.execute(
        "select count(*) from pg_stats where schemaname = %s and tablename = %s and attname = 'period_month'",
        (schema, name),
    ).fetchone()[0]
    assert analyzed == 1
    quarter = sql.SQL("select * from {} where period_month between '2014-10-01' and '2014-12-01'").format(
        sql.Identifier(schema, name)
    )
    (actual,) = conn.execute(sql.SQL("select count(*) from ({}) as q").format(quarter)).fetchone()
    (total,) = conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(schema, name))).fetchone()
    estimate = conn.execute(sql.SQL("explain (format json) {}").format(quarter)).fetchone()[0][0]["Plan"]["Plan Rows"]
    assert 0 < actual < total / 10
    assert actual / 2 <= estimate <= actual * 2, (estimate, actual, total)


# What reads a fact's rewritten periods after its monthly build, and the fact: the tests configured with
# `where: "rebuilt periods"` (of the fact itself, or of the fact a mart derives from) and the marts derived
# period by period from the fact (macro derived_cutoff)
WINDOW_READERS = {
    "relationships_fct_indicator_values_unit_code__unit_code__ref_dim_reporting_unit_": "fct_indicator_values",
    "relationships_fct_indicator_value_history_message_hash__message_hash__ref_fct_submissions_": (
        "fct_indicator_value_history"
    ),
    "rpt_indicator_trend_current_units": "fct_indicator_values",
    "rpt_reporting_rate": "fct_reporting_compliance",
}


def _scan_rows(node: dict, relation: str) -> tuple[int, int]:
    """Rows the plan's scans of ``relation`` returned, and the planner's estimate of them."""
    returned, estimated = 0, 0
    if node.get("Relation Name") == relation:
        returned, estimated = node["Actual Rows"] * node["Actual Loops"], node["Plan Rows"] * node["Actual Loops"]
    for child in node.get("Plans", []):
        child_returned, child_estimated = _scan_rows(child, relation)
        returned, estimated = returned + child_returned, estimated + child_estimated
    return returned, estimated


@pytest.fixture(scope="module")
def rewritten_window(reads_database):
    """The month's build of the facts, then what reads their rewritten periods compiled as the month runs it."""
    _dbt(reads_database, "run", "--select", *(f"+{fact}" for fact in set(WINDOW_READERS.values())))
    _dbt(
        reads_database,
        "compile",
        "--select",
        "rpt_indicator_trend_current_units",
        "rpt_reporting_rate",
        "fct_indicator_values,test_type:generic",
        "fct_indicator_value_history,test_type:generic",
    )
    return reads_database


def _compiled(tmp: Path, node: str) -> str:
    """The SQL dbt compiled for model or data test ``node`` (the last compile's manifest)."""
    manifest = json.loads((Path(tmp) / "target" / "manifest.json").read_text(encoding="utf-8"))
    (code,) = [found["compiled_code"] for found in manifest["nodes"].values() if found["name"] == node]
    return code


@pytest.mark.parametrize("node", list(WINDOW_READERS))
def test_what_reads_the_periods_a_monthly_build_rewrote_reads_them_only(rewritten_window, node):
    """The periods read are written into the SQL as a constant, so PostgreSQL estimates them from the fact's
    statistics and reads them through its period_month index (behind a subquery it guessed a third of the fact,
    and scanned all of it: the month's checks grew with the history)."""
    conn, fact = rewritten_window["conn"], WINDOW_READERS[node]
    (since,) = conn.execute(
        "select rebuilt_from from intermediate.dbt_incremental_state where model = %s", (f"marts.{fact}",)
    ).fetchone()
    assert since > date.fromisoformat(HISTORY[0]), "the build rewrote every period"
    query = _compiled(rewritten_window["tmp"], node)
    assert f"cast('{since}' as date)" in query, query
    plan = conn.execute("explain (analyze, format json) " + query).fetchone()[0][0]["Plan"]
    read, kinds = rows_read(plan, fact)
    (total,) = conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier("marts", fact))).fetchone()
    assert 0 < read < total / 5, (read, total, kinds)
    assert "Seq Scan" not in kinds, kinds
    returned, estimated = _scan_rows(plan, fact)
    assert 0 < estimated <= returned * 2, (estimated, returned)  # not a third of the fact
