"""A scratch database on the session's embedded server for tests that run dbt (or read the raw tables) against their
own history: the raw schema only, dropped afterwards. ``run_dbt`` runs the project's dbt against it (``lookback_months``
1); ``load_reports`` writes a synthetic history into it; ``rows_read`` says what an EXPLAIN ANALYZE plan read."""

from __future__ import annotations

import csv
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from test_dbt_warehouse import BIN, DBT_DIR

from ingestion.load import fill_value_arrays


@contextmanager
def scratch_database(settings, warehouse_conn: psycopg.Connection, name: str, tmp: Path) -> Iterator[dict[str, Any]]:
    """``{"env": dbt's environment, "conn": an autocommit connection, "tmp": a folder for dbt's target and logs}``."""
    from itreport.config.warehouse import dbt_env

    drop = sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
    warehouse_conn.execute(drop)
    warehouse_conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    env = dbt_env(settings) | {"ITREPORT_PGDATABASE": name}
    conninfo = f"host={env['ITREPORT_PGHOST']} port={env['ITREPORT_PGPORT']} dbname={name}"
    with psycopg.connect(f"{conninfo} user={env['ITREPORT_PGUSER']}", autocommit=True) as conn:
        conn.execute((DBT_DIR.parent / "ingestion" / "raw_schema.sql").read_text(encoding="utf-8"))
        yield {"env": env, "conn": conn, "tmp": tmp}
    warehouse_conn.execute(drop)


def run_dbt(database: dict[str, Any], *args: str, scope: str = "all") -> subprocess.CompletedProcess:
    """``dbt <args>`` on the scratch database; ``scope`` is ITREPORT_DBT_SCOPE (which data tests run)."""
    tmp = database["tmp"]
    command = [str(BIN / "dbt"), *args, "--profiles-dir", str(DBT_DIR), "--target-path", str(tmp / "target")]
    return subprocess.run(
        [*command, "--vars", '{"lookback_months": 1}'],
        cwd=DBT_DIR,
        env=os.environ | database["env"] | {"DBT_LOG_PATH": str(tmp / "logs"), "ITREPORT_DBT_SCOPE": scope},
        capture_output=True,
        text=True,
    )


def succeeded(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


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


def load_reports(conn: psycopg.Connection, first: str, last: str) -> None:
    """An accepted report of every registry unit for each month ``first`` → ``last``, every catalogue indicator
    valued, the months closed, the statistics updated (plans are then those of a long history)."""
    units = [row["unit_code"] for row in _seed("reporting_units") if row["valid_from"] <= first and not row["valid_to"]]
    codes = [row["indicator_code"] for row in _seed("indicator_catalogue")]
    conn.execute(LOAD, {"units": units, "codes": codes, "first": first, "last": last})
    fill_value_arrays(conn)  # as ingestion.load leaves a report
    conn.execute(
        "insert into raw.period_closures (period_month)"
        " select cast(generate_series(%s::date, %s::date, interval '1 month') as date)",
        (first, last),
    )
    conn.execute("analyze raw.messages; analyze raw.submissions; analyze raw.submission_values")


def rows_read(node: dict, relation: str) -> tuple[int, set[str]]:
    """Rows the plan read from ``relation`` (rows returned and removed by a filter, every loop) and how."""
    read, kinds = 0, set()
    if node.get("Relation Name") == relation:
        removed = node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
        read, kinds = (node["Actual Rows"] + removed) * node["Actual Loops"], {node["Node Type"]}
    for child in node.get("Plans", []):
        child_read, child_kinds = rows_read(child, relation)
        read, kinds = read + child_read, kinds | child_kinds
    return read, kinds
