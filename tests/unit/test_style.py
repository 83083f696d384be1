"""House style is enforced in CI: ruff for Python, sqlfluff (dbt templater) for the models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]], ids=["ruff-check", "ruff-format"])
def test_ruff(args):
    result = subprocess.run([str(BIN / "ruff"), *args], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sqlfluff_lints_the_dbt_models(settings, warehouse_conn, tmp_path):
    """On a database of its own, empty: dbt compiles each model as its first build (the branches under
    ``is_incremental()`` render only where the model's table exists, which on the session's warehouse would depend
    on the tests that ran before; ``make lint`` on the demo warehouse lints them)."""
    from psycopg import sql

    from itreport.config.warehouse import dbt_env

    database = sql.Identifier("itreport_sqlfluff")
    warehouse_conn.execute(sql.SQL("drop database if exists {} with (force)").format(database))
    warehouse_conn.execute(sql.SQL("create database {}").format(database))
    env = os.environ | dbt_env(settings) | {"DBT_TARGET_PATH": str(tmp_path / "target")}
    env["ITREPORT_PGDATABASE"] = "itreport_sqlfluff"
    result = subprocess.run(
        [str(BIN / "sqlfluff"), "lint", "dbt_project/models"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
