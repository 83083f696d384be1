"""A scratch database on the session's embedded server for tests that run dbt against their own history: the raw
schema only, dropped afterwards. ``run_dbt`` runs the project's dbt against it (``lookback_months`` 1)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from test_dbt_warehouse import BIN, DBT_DIR


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
