"""What a monthly build reads of the raw history (dbt_project/models): the models that join the raw values rebuild
a window (the years or periods a month changed) and read the raw values of that window only, through the primary
key, however long the history. Checked on the plans PostgreSQL runs (EXPLAIN ANALYZE of the compiled incremental
SQL: rows read per table), not on timings.

Its own database (``itreport_dbt_reads``) on the session's embedded server: five and a half years of synthetic
reports of the registry's first units, written by SQL, then a quarter loaded after the full build.
"""

from __future__ import annotations

import csv
from pathlib import Path

import psycopg
import pytest
from dbt_scratch import run_dbt, scratch_database, succeeded
from psycopg import sql
from test_dbt_warehouse import DBT_DIR

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
LOAD = """
with

units as (select unnest(%(units)s::text[]) as unit_code),

periods as (
    select cast(generate_series(%(first)s::date, %(last)s::date, interval '1 month') as date) as period_month
),

reports as (
    select
        md5(units.unit_code || periods.period_month) as message_hash,
        units.unit_code,
        periods.period_month,
        periods.period_month + interval '4 days' as received_at
    from units cross join periods
),

messages as (
    insert into raw.messages (message_hash, source, received_at, archive_path, state, reason_code, reason_vi,
        reason_en, unit_code, period_month, submission_kind)
    select message_hash, 'test', received_at, '/dev/null', 'accepted', 'accepted', 'Đã nhận', 'Accepted',
        unit_code, period_month, 'report'
    from reports
    returning message_hash
),

submissions as (
    insert into raw.submissions (message_hash, unit_code, period_month, submission_kind, received_at)
    select reports.message_hash, reports.unit_code, reports.period_month, 'report', reports.received_at
    from reports inner join messages on reports.message_hash = messages.message_hash
    returning message_hash
)

insert into raw.submission_values (message_hash, indicator_code, value_text, value_number)
select
    submissions.message_hash,
    codes.indicator_code,
    cast(abs(hashtext(submissions.message_hash || codes.indicator_code)) %% 100 as text),
    abs(hashtext(submissions.message_hash || codes.indicator_code)) %% 100
from submissions cross join unnest(%(codes)s::text[]) as codes (indicator_code)
"""


def _seed(name: str) -> list[dict[str, str]]:
    with (DBT_DIR / "seeds" / f"{name}.csv").open(encoding="utf-8") as rows:
        return list(csv.DictReader(rows))


def _load(conn: psycopg.Connection, first: str, last: str) -> None:
    units = [row["unit_code"] for row in _seed("reporting_units") if row["valid_from"] <= first and not row["valid_to"]]
    codes = [row["indicator_code"] for row in _seed("indicator_catalogue")]
    conn.execute(LOAD, {"units": units, "codes": codes, "first": first, "last": last})
    conn.execute(
        "insert into raw.period_closures (period_month)"
        " select cast(generate_series(%s::date, %s::date, interval '1 month') as date)",
        (first, last),
    )
    conn.execute("analyze raw.messages; analyze raw.submissions; analyze raw.submission_values")


def _dbt(database, *args: str) -> None:
    succeeded(run_dbt(database, *args, scope="rebuilt"))


@pytest.fixture(scope="module")
def reads_database(settings, warehouse_conn, tmp_path_factory):
    """The history, a full build, then a quarter loaded and the readers compiled as the next month builds them."""
    with scratch_database(settings, warehouse_conn, DATABASE, tmp_path_factory.mktemp("dbt-reads")) as database:
        conn = database["conn"]
        _load(conn, *HISTORY)
        _dbt(database, "build", "--full-refresh", "--exclude", "resource_type:test")
        _load(conn, *NEW_MONTHS)
        # the month's build up to the readers (the intermediate tables they read), then the readers as it runs them
        _dbt(database, "run", "--select", *(f"+{model}" for model in READERS), "--exclude", *READERS)
        _dbt(database, "compile", "--select", *READERS)
        yield database


def _rows_read(node: dict, relation: str) -> tuple[int, set[str]]:
    """Rows the plan read from ``relation`` (rows returned and removed by a filter, every loop) and how."""
    read, kinds = 0, set()
    if node.get("Relation Name") == relation:
        removed = node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
        read, kinds = (node["Actual Rows"] + removed) * node["Actual Loops"], {node["Node Type"]}
    for child in node.get("Plans", []):
        child_read, child_kinds = _rows_read(child, relation)
        read, kinds = read + child_read, kinds | child_kinds
    return read, kinds


@pytest.mark.parametrize("model", list(READERS))
def test_a_monthly_build_reads_the_raw_values_of_its_window_only(reads_database, model):
    conn = reads_database["conn"]
    compiled = Path(reads_database["tmp"]) / "target" / "compiled" / "itreport" / "models" / READERS[model]
    query = (compiled / f"{model}.sql").read_text(encoding="utf-8")
    assert "2015" in query or "2014" in query, "not compiled as an incremental build of the new months"
    plan = conn.execute("explain (analyze, format json) " + query).fetchone()[0][0]["Plan"]
    read, kinds = _rows_read(plan, "submission_values")
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
