"""What a monthly build reads of the raw history (dbt_project/models): the models that join the raw values rebuild
a window (the years or periods a month changed) and read the raw values of that window only, through the primary
key, however long the history. Checked on the plans PostgreSQL runs (EXPLAIN ANALYZE of the compiled incremental
SQL: rows read per table), not on timings.

Its own database (``itreport_dbt_reads``) on the session's embedded server: five and a half years of synthetic
reports of the registry's first units, written by SQL, then a quarter loaded after the full build.
"""

from __future__ import annotations

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
