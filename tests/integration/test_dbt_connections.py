"""The monthly build keeps each dbt thread's connection from node to node (dbt-postgres would open a new one for
every model and test); a node that failed leaves the next one a clean session. A real dbt run on a real database,
in its own process (the build patches dbt's connection manager)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from itreport.config import warehouse

pytestmark = [pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
DATABASE = "itreport_dbt_connections_test"
# Each model records the backend that built it; "broken" fails inside its transaction (division by zero in
# ``create table as``), between the others in dbt's order.
MODELS = {
    "a_first": "select pg_backend_pid() as pid",
    "b_broken": "select 1 / 0 as x",
    "c_after": "select pg_backend_pid() as pid",
    "d_last": "select pg_backend_pid() as pid from {{ ref('a_first') }}",
}
RUN = """
import json, sys
from dbt.cli.main import dbtRunner
if sys.argv[1] == "keep":
    from itreport.orchestration.dbt_build import keep_connections_between_nodes

    keep_connections_between_nodes()
result = dbtRunner().invoke(
    ["run", "--project-dir", sys.argv[2], "--profiles-dir", sys.argv[3], "--threads", "1", "--quiet"]
)
print(json.dumps({r.node.name: str(r.status) for r in result.result}))
"""


@pytest.fixture
def project(tmp_path: Path, warehouse_conn: psycopg.Connection) -> Path:
    warehouse_conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DATABASE)))
    warehouse_conn.execute(sql.SQL("create database {}").format(sql.Identifier(DATABASE)))
    (tmp_path / "models").mkdir()
    for name, select in MODELS.items():
        (tmp_path / "models" / f"{name}.sql").write_text(select + "\n", encoding="utf-8")
    (tmp_path / "dbt_project.yml").write_text(
        "name: connections\nversion: '1.0.0'\nconfig-version: 2\nprofile: itreport\nmodel-paths: ['models']\n"
        "models:\n  connections:\n    +materialized: table\n",
        encoding="utf-8",
    )
    yield tmp_path
    warehouse_conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DATABASE)))


def _run(project: Path, settings, mode: str) -> tuple[dict[str, str], dict[str, int]]:
    env = os.environ | warehouse.dbt_env(settings) | {"ITREPORT_PGDATABASE": DATABASE}
    env |= {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PYTHONPATH": str(REPO)}
    profiles = str(REPO / "dbt_project")
    done = subprocess.run(
        [sys.executable, "-c", RUN, mode, str(project), profiles], env=env, capture_output=True, text=True, cwd=project
    )
    statuses = json.loads(done.stdout.strip().splitlines()[-1])
    url = warehouse.connection_parts(warehouse.warehouse_url(settings))
    with psycopg.connect(
        host=url.host, port=url.port, user=url.user, password=url.password, dbname=DATABASE, autocommit=True
    ) as conn:
        pids = {
            name: conn.execute(sql.SQL("select pid from public.{}").format(sql.Identifier(name))).fetchone()[0]
            for name, status in statuses.items()
            if status == "success"
        }
    return statuses, pids


def test_each_thread_keeps_its_connection_and_a_failed_node_leaves_it_clean(project, settings):
    statuses, pids = _run(project, settings, "keep")
    assert statuses == {"a_first": "success", "b_broken": "error", "c_after": "success", "d_last": "success"}
    assert len(set(pids.values())) == 1, f"one backend built every model: {pids}"


def test_without_it_dbt_opens_a_connection_for_every_node(project, settings):
    """The control: dbt-postgres as released builds each model on a backend of its own."""
    statuses, pids = _run(project, settings, "dbt")
    assert statuses["c_after"] == "success" and statuses["b_broken"] == "error"
    assert len(set(pids.values())) == 3, f"a backend per model: {pids}"
