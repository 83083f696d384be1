"""Warehouse checks after each dbt build: the ``warehouse_checks`` checkpoint on PostgreSQL.

The checkpoint's table assets read views in schema ``gx_checks`` (one per mart in
:func:`expectations.suites.warehouse_suites`). Each run first points those views at the marts (or at
another schema, which is how tests aim the checkpoint at a deliberately broken copy): a mart that does
not exist yet gets an empty stand-in view, so its expectations are skipped — decided at run time — and
the one committed checkpoint always runs. The views are dropped again when the run ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from expectations.project import DATA_DOCS_SITE, WAREHOUSE_CHECKPOINT, WAREHOUSE_SCHEMA, data_docs_index, open_context

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


class WarehouseChecksFailed(RuntimeError):
    """The warehouse checkpoint found rows that break an expectation (the Airflow task fails)."""


@dataclass
class WarehouseCheckResult:
    success: bool
    checked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    data_docs: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "success": self.success,
            "checked": self.checked,
            "skipped": self.skipped,
            "failures": self.failures,
            "data_docs": self.data_docs,
        }


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


def run_warehouse_checks(
    home: Path, warehouse_url: str, *, source_schema: str = "marts", raise_on_failure: bool = True
) -> WarehouseCheckResult:
    """Run the ``warehouse_checks`` checkpoint (and its Data Docs update) on the marts in ``source_schema``."""
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        checked, skipped = point_views(conn, source_schema)
        try:
            context = open_context(home, warehouse_url)
            outcome = context.checkpoints.get(WAREHOUSE_CHECKPOINT).run()
            context.build_data_docs(site_names=[DATA_DOCS_SITE])  # every suite, not only those just run
        finally:
            drop_views(conn)
    failures = []
    for validation in outcome.run_results.values():
        table = validation.suite_name
        for result in validation.results:
            if not result.success:
                config = result.expectation_config
                kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
                detail = result.result.get("unexpected_count")
                failures.append(f"{table}: {config.type} {kwargs} failed ({detail} unexpected rows)")
    result = WarehouseCheckResult(
        success=bool(outcome.success),
        checked=checked,
        skipped=skipped,
        failures=failures,
        data_docs=str(data_docs_index(home)),
    )
    if raise_on_failure and not result.success:
        raise WarehouseChecksFailed("Warehouse checks failed:\n" + "\n".join(failures or ["(see Data Docs)"]))
    return result
