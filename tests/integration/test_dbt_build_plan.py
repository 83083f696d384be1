"""The monthly dbt build runs what the month needs: the tables (every mart) and the tests on the marts; seeds (and
the tests upstream of the marts) only when the seed files changed, views only when what compiles them changed or
one is missing; no dbt unit tests outside CI. Checked on a real PostgreSQL database and with dbt's own selector
(``dbt ls``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from itreport.orchestration.dbt_build import (
    BuildPlan,
    plan_build,
    record_full_build,
    record_seeds,
    record_views,
    seed_tables,
    view_models,
)

pytestmark = [pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
DBT_DIR = REPO / "dbt_project"
DATABASE = "itreport_dbt_plan_test"


@pytest.fixture
def plan_db(warehouse_conn):
    warehouse_conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DATABASE)))
    warehouse_conn.execute(sql.SQL("create database {}").format(sql.Identifier(DATABASE)))
    with psycopg.connect(warehouse_conn.info.dsn, dbname=DATABASE, autocommit=True) as conn:
        yield conn
    warehouse_conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DATABASE)))


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the dbt project whose seed files a test may change."""
    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    return copy


def _create_seed_tables(conn: psycopg.Connection, project: Path) -> None:
    conn.execute("create schema if not exists reference")
    for table in seed_tables(project):
        conn.execute(sql.SQL("create table if not exists reference.{} (x int)").format(sql.Identifier(table)))


VARS = {"deadline_day": 22, "timezone": "Asia/Ho_Chi_Minh"}


def _create_views(conn: psycopg.Connection, project: Path) -> None:
    for schema, view in view_models(project):
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("create or replace view {} as select 1 as x").format(sql.Identifier(schema, view)))


def _month_after_a_build(conn: psycopg.Connection, project: Path) -> BuildPlan:
    """The state a successful build leaves (seeds loaded, views created and both recorded); the next plan."""
    _create_seed_tables(conn, project)
    _create_views(conn, project)
    plan = plan_build(conn, project, unit_tests=False, dbt_vars=VARS)
    record_seeds(conn, project, plan.checksum)
    record_views(conn, project, plan.views_checksum)
    return plan_build(conn, project, unit_tests=False, dbt_vars=VARS)


def test_a_first_build_loads_the_seeds_and_skips_unit_tests(plan_db, project):
    plan = plan_build(plan_db, project, unit_tests=False)
    assert not plan.seeds_current
    assert plan.exclude == "test_type:unit"
    assert not plan.rebuilt_only


def test_unchanged_seeds_are_skipped_once_recorded(plan_db, project):
    _create_seed_tables(plan_db, project)
    record_seeds(plan_db, project, plan_build(plan_db, project, unit_tests=False).checksum)
    plan = plan_build(plan_db, project, unit_tests=False)
    assert plan.seeds_current
    assert plan.exclude == "resource_type:seed test_type:unit tag:upstream"
    assert plan.rebuilt_only, "the facts' tests read the periods the month rewrites"
    assert not plan_build(plan_db, project, unit_tests=True).rebuilt_only


def test_changed_seed_files_are_loaded_again(plan_db, project):
    _create_seed_tables(plan_db, project)
    record_seeds(plan_db, project, plan_build(plan_db, project, unit_tests=False).checksum)
    units = project / "seeds" / "reporting_units.csv"
    units.write_text(units.read_text(encoding="utf-8").replace("Bộ", "Bô", 1), encoding="utf-8")
    plan = plan_build(plan_db, project, unit_tests=False)
    assert not plan.seeds_current
    assert "resource_type:seed" not in (plan.exclude or "")
    assert "tag:upstream" not in (plan.exclude or ""), "loaded seeds are tested by the upstream tests"
    assert not plan.rebuilt_only, "facts are tested whole against new seeds"


def test_a_dropped_seed_table_is_loaded_again(plan_db, project):
    _create_seed_tables(plan_db, project)
    record_seeds(plan_db, project, plan_build(plan_db, project, unit_tests=False).checksum)
    plan_db.execute("drop table reference.indicator_catalogue")
    assert not plan_build(plan_db, project, unit_tests=False).seeds_current


def test_a_month_of_an_unchanged_release_builds_the_tables_only(plan_db, project):
    plan = _month_after_a_build(plan_db, project)
    assert plan.views_current
    assert plan.exclude == "resource_type:seed test_type:unit tag:upstream config.materialized:view"


def test_a_full_build_outside_the_dag_makes_the_next_month_build_the_tables_only(plan_db, project):
    _create_seed_tables(plan_db, project)
    _create_views(plan_db, project)
    record_full_build(plan_db, project, VARS)
    plan = plan_build(plan_db, project, unit_tests=False, dbt_vars=VARS)
    assert plan.seeds_current and plan.views_current


def test_changed_models_or_vars_replace_the_views(plan_db, project):
    _month_after_a_build(plan_db, project)
    assert not plan_build(plan_db, project, unit_tests=False, dbt_vars=VARS | {"deadline_day": 20}).views_current
    model = project / "models" / "staging" / "stg_messages.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n-- changed\n", encoding="utf-8")
    plan = plan_build(plan_db, project, unit_tests=False, dbt_vars=VARS)
    assert not plan.views_current and "config.materialized:view" not in (plan.exclude or "")


def test_a_dropped_view_is_created_again(plan_db, project):
    _month_after_a_build(plan_db, project)
    plan_db.execute("drop view intermediate.int_first_submissions")
    assert not plan_build(plan_db, project, unit_tests=False, dbt_vars=VARS).views_current


def test_a_build_that_loads_seeds_replaces_the_views_and_runs_every_data_test(plan_db, project):
    _month_after_a_build(plan_db, project)
    units = project / "seeds" / "reporting_units.csv"
    units.write_text(units.read_text(encoding="utf-8").replace("Bộ", "Bô", 1), encoding="utf-8")
    assert plan_build(plan_db, project, unit_tests=False, dbt_vars=VARS).exclude == "test_type:unit"


def test_ci_runs_the_unit_tests(plan_db, project):
    assert plan_build(plan_db, project, unit_tests=True).exclude is None


def test_ci_runs_every_data_test_even_with_current_seeds(plan_db, project):
    _create_seed_tables(plan_db, project)
    record_seeds(plan_db, project, plan_build(plan_db, project, unit_tests=True).checksum)
    assert plan_build(plan_db, project, unit_tests=True).exclude == "resource_type:seed"


def _dbt_ls(tmp_path: Path, *args: str) -> list[str]:
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), "ls", "--profiles-dir", str(DBT_DIR), "--target-path", str(tmp_path / "target"), *args]
    env = os.environ | {"DBT_LOG_PATH": str(tmp_path / "logs"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(command, cwd=DBT_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return result.stdout.split()


def test_dbt_reads_the_exclusion_as_meant(tmp_path):
    everything = _dbt_ls(tmp_path, "--output", "json", "--output-keys", "resource_type")
    assert '"seed"}' in everything and '"unit_test"}' in everything
    excluded = _dbt_ls(
        tmp_path, "--exclude", "resource_type:seed test_type:unit", "--output", "json", "--output-keys", "resource_type"
    )
    assert '"seed"}' not in excluded and '"unit_test"}' not in excluded
    assert '"model"}' in excluded and '"test"}' in excluded


def _nodes(tmp_path: Path, *args: str) -> dict[str, dict]:
    keys = ("unique_id", "resource_type", "original_file_path")
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), "ls", "--profiles-dir", str(DBT_DIR), "--target-path", str(tmp_path / "target"), *args]
    command += ["--output", "json", "--output-keys", *keys, "--quiet"]
    env = os.environ | {"DBT_LOG_PATH": str(tmp_path / "logs"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(command, cwd=DBT_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    nodes = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return {node["unique_id"]: node for node in nodes}


def _of(nodes: dict[str, dict], kind: str) -> set[str]:
    return {key for key, node in nodes.items() if node["resource_type"] == kind}


def test_a_monthly_build_builds_every_mart_and_tests_every_mart(plan_db, project, tmp_path):
    """A month of an unchanged release: every table model (every mart among them) and every data test defined on
    a mart; the views, the tests upstream of the marts, the seeds and the unit tests are left to the builds that
    change them and to CI. A full build (CI) selects everything."""
    monthly_exclude = _month_after_a_build(plan_db, project).exclude
    assert monthly_exclude is not None

    everything = _nodes(tmp_path / "all")
    monthly = _nodes(tmp_path / "monthly", "--exclude", monthly_exclude)

    def under(nodes: set[str], folder: str) -> set[str]:
        return {key for key in nodes if everything[key]["original_file_path"].startswith(f"models/{folder}/")}

    models, tests = _of(everything, "model"), _of(everything, "test")
    marts = under(models, "marts")
    views = _of(_nodes(tmp_path / "views", "--select", "config.materialized:view"), "model")
    assert len(marts) >= 10 and marts <= _of(monthly, "model") == models - views
    assert views and views <= under(models, "staging") | under(models, "intermediate"), "no mart is a view"
    assert models - views - marts <= under(models, "intermediate"), "the other tables are intermediate models"
    mart_tests = under(tests, "marts")
    assert mart_tests and _of(monthly, "test") == mart_tests
    assert not _of(monthly, "seed") and not _of(monthly, "unit_test")
    assert tests - mart_tests, "the upstream tests still exist and run in full builds"
