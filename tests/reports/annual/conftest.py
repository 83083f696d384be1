"""One scratch warehouse for the annual evaluation's tests: the hand-written history of ``annual_history``,
built by dbt once per session, and both outputs written for 2011 (after 2010, so ranks change) and 2025
(the reorganisations)."""

from __future__ import annotations

import dataclasses
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import annual_history

DATABASE = "itreport_annual_test"
ISSUED_ON = date(2012, 1, 20)


# Every test module here says ``pytestmark = [..., pytest.mark.xdist_group("annual")]``: one worker builds the
# scratch warehouse once and runs them all.


@pytest.fixture(scope="session")
def annual_warehouse(settings, tmp_path_factory):
    """The scratch database built by dbt; yields (settings pointing at it, dbt env, dbt work folder)."""
    from itreport.config import warehouse

    env = annual_history.create_database(settings, DATABASE)
    with psycopg.connect(annual_history.conninfo(env), autocommit=True) as conn:
        annual_history.load_history(conn)
    work = tmp_path_factory.mktemp("annual-dbt")
    annual_history.dbt(env, annual_history.DBT_DIR, work, "build", "--vars", annual_history.vars_json())
    scratch = dataclasses.replace(
        settings,
        home=tmp_path_factory.mktemp("annual-home"),
        warehouse_url=warehouse._embedded_server(settings).get_uri(DATABASE),
    )
    return scratch, env, work


@pytest.fixture(scope="session")
def annual_conn(annual_warehouse):
    with psycopg.connect(annual_warehouse[0].warehouse_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def built(annual_warehouse, annual_conn, tmp_path_factory):
    """Both outputs for 2011 and 2025 with the mart rows they were built from (captured at once)."""
    from itreport.reports.annual_build import write_outputs
    from itreport.reports.annual_data import read_evaluation

    settings = annual_warehouse[0]
    out = tmp_path_factory.mktemp("annual-out")
    result = {}
    for year in (2010, 2011, 2025):
        evaluation = read_evaluation(annual_conn, year, dbt_project_dir=settings.dbt_project_dir)
        outputs = write_outputs(settings, evaluation, out / str(year), issued_on=ISSUED_ON)
        result[year] = {
            "evaluation": evaluation,
            "outputs": outputs,
            "mart": annual_history.mart_rows(annual_conn, year),
        }
    return result
