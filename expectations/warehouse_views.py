"""The views the warehouse checkpoint reads: ``gx_checks.<mart>`` pointed at the marts (or at another schema,
which is how tests aim the checkpoint at a deliberately broken copy), with a typed empty stand-in for a mart
not built yet. Plain SQL, no GX: the GX project (``expectations.project``) and the checks both use it."""

from __future__ import annotations

from datetime import date

import psycopg
from psycopg import sql

WAREHOUSE_SCHEMA = "gx_checks"

# Columns of the stand-in view for a mart that does not exist yet (typed, no rows).
STAND_IN_COLUMNS: dict[str, dict[str, str]] = {
    "fct_reporting_compliance": {
        "unit_code": "text",
        "period_month": "date",
        "status": "text",
        "days_late": "integer",
    },
    "fct_indicator_values": {"unit_code": "text", "period_month": "date", "indicator_code": "text"},
    "rpt_reporting_rate": {"reporting_rate": "numeric", "reporting_rate_on_time": "numeric"},
}


# Where each incremental fact records the first period its last build rewrote (dbt_project/macros/incremental.sql,
# ``rebuilt_from``), fct_reporting_compliance the first period the month changed, from which it was rebuilt
# (``record_changed_periods``): the checks read those periods, every earlier row having been checked after the
# build that wrote it (rpt_reporting_rate those its build replaced: the periods fct_reporting_compliance rewrote).
# A mart without a record (or another schema's copy) is read whole.
INCREMENTAL_STATE = sql.Identifier("intermediate", "dbt_incremental_state")


class WarehouseChecksFailed(RuntimeError):
    """The warehouse checkpoint found rows that break an expectation (the Airflow task fails)."""


def existing_tables(conn: psycopg.Connection, schema: str) -> set[str]:
    rows = conn.execute(
        "select table_name from information_schema.tables where table_schema = %s", (schema,)
    ).fetchall()
    return {row[0] for row in rows}


def missing_columns(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    rows = conn.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
        (schema, table),
    ).fetchall()
    present = {row[0] for row in rows}
    return [column for column in STAND_IN_COLUMNS[table] if column not in present]


def rebuilt_from(conn: psycopg.Connection, schema: str, table: str) -> date | None:
    """The first period the last build of ``schema.table`` rewrote; None when it keeps no record (read it whole)."""
    if conn.execute("select to_regclass(%s)", (INCREMENTAL_STATE.as_string(conn),)).fetchone() == (None,):
        return None
    row = conn.execute(
        sql.SQL("select rebuilt_from from {} where model = %s").format(INCREMENTAL_STATE), (f"{schema}.{table}",)
    ).fetchone()
    return None if row is None else row[0]


def point_views(conn: psycopg.Connection, source_schema: str = "marts") -> tuple[list[str], list[str]]:
    """(Re)create ``gx_checks.<mart>`` over ``source_schema.<mart>`` (empty when missing); (checked, skipped).

    A mart that exists without a column the checks read is a broken contract: raises WarehouseChecksFailed.
    """
    present = existing_tables(conn, source_schema)
    broken = {t: missing_columns(conn, source_schema, t) for t in STAND_IN_COLUMNS if t in present}
    broken = {t: columns for t, columns in broken.items() if columns}
    if broken:
        raise WarehouseChecksFailed(
            "Warehouse checks cannot run: "
            + "; ".join(f"{source_schema}.{t} has no column {', '.join(c)}" for t, c in broken.items())
        )
    checked, skipped = [], []
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(WAREHOUSE_SCHEMA)))
    for table, columns in STAND_IN_COLUMNS.items():
        view = sql.Identifier(WAREHOUSE_SCHEMA, table)
        conn.execute(sql.SQL("drop view if exists {}").format(view))
        if table in present:
            body = sql.SQL("select * from {}").format(sql.Identifier(source_schema, table))
            since = rebuilt_from(conn, source_schema, table)
            if since is not None:
                body += sql.SQL(" where period_month >= {}").format(sql.Literal(since))
            checked.append(table)
        else:
            body = sql.SQL("select {} where false").format(
                sql.SQL(", ").join(
                    sql.SQL("cast(null as {}) as {}").format(sql.SQL(kind), sql.Identifier(name))
                    for name, kind in columns.items()
                )
            )
            skipped.append(table)
        conn.execute(sql.SQL("create view {} as {}").format(view, body))
    return checked, skipped


def drop_views(conn: psycopg.Connection) -> None:
    conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(WAREHOUSE_SCHEMA)))
