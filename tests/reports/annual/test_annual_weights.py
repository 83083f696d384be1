"""A changed weight in the seeds changes both the ranking and the method text of the document.

Its own scratch database: the history built once with the project's seeds, then again from a copy of the dbt
project whose scoring_weights.csv swaps the weights of information provision and infrastructure."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import annual_history
import psycopg
import pytest
from docx_reading import body_text, read_tables

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("annual")]

DATABASE = "itreport_annual_weights"
YEAR = 2011


def _document(settings, conn, project, out):
    from itreport.reports.annual_build import write_outputs
    from itreport.reports.annual_data import read_evaluation

    evaluation = read_evaluation(conn, YEAR, dbt_project_dir=project)
    outputs = write_outputs(settings, evaluation, out, issued_on=date(2012, 1, 20))
    return outputs.document, annual_history.mart_rows(conn, YEAR)


@pytest.fixture(scope="module")
def two_builds(settings, tmp_path_factory):
    from itreport.config import warehouse

    env = annual_history.create_database(settings, DATABASE)
    work = tmp_path_factory.mktemp("weights")
    scratch = dataclasses.replace(
        settings, home=work / "home", warehouse_url=warehouse._embedded_server(settings).get_uri(DATABASE)
    )
    with psycopg.connect(annual_history.conninfo(env), autocommit=True) as conn:
        annual_history.load_history(conn)
        annual_history.dbt(env, annual_history.DBT_DIR, work / "a", "build", "--vars", annual_history.vars_json())
        before = _document(scratch, conn, annual_history.DBT_DIR, work / "before")
        project = annual_history.copy_project(work / "project")
        annual_history.set_weights(project, {"information": "0.15", "infrastructure": "0.20"})
        annual_history.dbt(
            env, project, work / "b", "build", "--select", "scoring_weights+", "--vars", annual_history.vars_json()
        )
        after = _document(scratch, conn, project, work / "after")
    return before, after


def _ranks(document) -> dict[str, int]:
    return {
        row[1]: int(row[0])
        for table in read_tables(document)
        if table.caption.startswith(("Bảng 2.", "Bảng 3."))
        for row in table.rows
    }


def test_the_ranking_follows_the_weights(two_builds):
    (doc_before, mart_before), (doc_after, mart_after) = two_builds
    before, after = _ranks(doc_before), _ranks(doc_after)
    # Bộ Công Thương scores only on information provision, Bộ Y tế only on infrastructure: they swap places
    assert before["Bộ Công Thương"] < before["Bộ Y tế"]
    assert after["Bộ Công Thương"] > after["Bộ Y tế"]
    assert before != after
    for ranks, mart in ((before, mart_before), (after, mart_after)):
        assert ranks == {name: row["group_rank"] for name, row in mart.items() if row["is_ranked"]}
    # its overall index is the infrastructure weight itself
    assert (mart_before["Bộ Y tế"]["overall_index"], mart_after["Bộ Y tế"]["overall_index"]) == (
        Decimal("0.1500"),
        Decimal("0.2000"),
    )


def test_the_method_text_follows_the_weights(two_builds):
    (doc_before, _), (doc_after, _) = two_builds
    text_before, text_after = body_text(doc_before), body_text(doc_after)
    assert "0,20 × Cung cấp thông tin" in text_before and "0,15 × Hạ tầng kỹ thuật" in text_before
    assert "0,15 × Cung cấp thông tin" in text_after and "0,20 × Hạ tầng kỹ thuật" in text_after
    [weights_after] = [t for t in read_tables(doc_after) if t.caption.startswith("Bảng 1.")]
    assert {row[0]: row[1] for row in weights_after.rows}["Cung cấp thông tin"] == "0,15"
