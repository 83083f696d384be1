"""The versioned GX file context: committed suites equal what the catalogue generates; runs write only to state."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.submissions import real_submission

from ingestion.domain.catalogue import ConsistencyRule, Indicator, default_catalogue

CATALOGUE = default_catalogue()


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "uncommitted" not in p.parts
    }


def test_committed_suites_equal_what_the_catalogue_generates():
    from expectations.project import SUITES_DIR, stale_suites, suite_files

    stale = list(stale_suites(CATALOGUE))
    assert not stale, f"regenerate with `python -m expectations.project`: {stale}"
    committed = {p.name for p in SUITES_DIR.glob("*.json")}
    assert committed == set(suite_files(CATALOGUE)), "suite files that no generator writes"


def test_a_new_indicator_or_range_changes_the_generated_suite_without_code_changes(tmp_path):
    from expectations.project import stale_suites, suite_files, write_suites

    new_indicator = Indicator(
        "5.6", "infrastructure", 6, "Số máy chủ", "Servers", "Máy", "servers", "count", True, 0.0, 500.0
    )
    grown = replace(CATALOGUE, indicators=(*CATALOGUE.indicators, new_indicator))
    narrower = replace(
        CATALOGUE,
        indicators=tuple(replace(i, max_value=80.0) if i.indicator_code == "5.2" else i for i in CATALOGUE.indicators),
    )
    ruled = replace(CATALOGUE, rules=(*CATALOGUE.rules, ConsistencyRule("R99", "4.3", "<=", "3.1", "vi", "en")))
    original = suite_files(CATALOGUE)["submission_values.json"]
    for changed, needle in ((grown, '"ind_5_6"'), (narrower, '"max_value": 80.0'), (ruled, '"R99"')):
        text = suite_files(changed)["submission_values.json"]
        assert text != original and needle in text and needle not in original
        assert list(stale_suites(changed)) == ["submission_values.json"]
    write_suites(grown, tmp_path)
    assert list(stale_suites(grown, tmp_path)) == []
    assert write_suites(grown, tmp_path) == [], "regenerating twice changes nothing (stable ids)"


def test_committed_checkpoints_and_validation_definitions_load():
    import great_expectations as gx  # noqa: F401  (the context needs it imported)

    from expectations import project

    before = _tree_digest(project.GX_DIR)
    context = project.open_context(Path("/tmp/itreport-gx-unused-state"))
    checkpoints = {c.name: c for c in context.checkpoints.all()}
    for gate, failures in (
        (project.SUBMISSION_CHECKPOINT, project.SUBMISSION_FAILURES_CHECKPOINT),
        (project.WAREHOUSE_CHECKPOINT, project.WAREHOUSE_FAILURES_CHECKPOINT),
    ):  # each gate has its twin on the same validation definitions, listing what failed
        assert checkpoints[gate].result_format == project.GATE_FORMAT
        assert checkpoints[failures].result_format["result_format"] in ("COMPLETE", "SUMMARY")
        definitions = [[d.name for d in checkpoints[name].validation_definitions] for name in (gate, failures)]
        assert definitions[0] == definitions[1] and definitions[0]
    suites = {s.name for s in context.suites.all()}
    for definition in context.validation_definitions.all():
        assert definition.suite.name in suites
    assert _tree_digest(project.GX_DIR) == before


@pytest.fixture(scope="module")
def file_context_run(tmp_path_factory):
    from expectations.project import GX_DIR
    from expectations.validate import update_data_docs, validate_submissions

    home = tmp_path_factory.mktemp("home")
    before = _tree_digest(GX_DIR)
    stored: list[tuple[str, ...]] = []
    problems = validate_submissions(
        [real_submission("ok"), real_submission("bad", **{"3_3": "150"})], CATALOGUE, home=home, stored=stored
    )
    update_data_docs(home, stored)  # what an intake's finishing step does once for all its batches
    return {"home": home, "problems": problems, "stored": stored, "before": before, "after": _tree_digest(GX_DIR)}


def test_the_committed_checkpoint_finds_the_same_problems(file_context_run):
    problems = file_context_run["problems"]
    assert set(problems) == {"bad"}
    assert [(p.indicator_code, p.rule) for p in problems["bad"]] == [("3.3", "range")]


def test_a_run_writes_results_to_the_state_folder_and_nothing_to_the_repository(file_context_run):
    home = file_context_run["home"]
    assert file_context_run["after"] == file_context_run["before"]
    assert list((home / "gx" / "validations" / "submission_values").rglob("*.json"))
    assert len(file_context_run["stored"]) == 1
    assert (home / "gx" / "data_docs" / "index.html").exists()
    pages = list((home / "gx" / "data_docs" / "validations" / "submission_values").rglob("*.html"))
    assert len(pages) == 1  # the stored result has its page


def _stored_results(home: Path) -> list[dict]:
    import json

    return [json.loads(p.read_text(encoding="utf-8")) for p in (home / "gx" / "validations").rglob("*.json")]


def test_a_batch_that_failed_keeps_one_result_listing_the_failing_messages(file_context_run):
    """The gate (pass or fail per expectation) found the failure; its twin's result, with the failing rows,
    replaced the gate's in the store."""
    (result,) = _stored_results(file_context_run["home"])
    failed = [r for r in result["results"] if not r["success"]]
    assert failed and all(
        [row["message_hash"] for row in r["result"]["unexpected_index_list"]] == ["bad"] for r in failed
    )
    passed = [r for r in result["results"] if r["success"]]
    assert passed and all(r["result"].get("unexpected_count") == 0 for r in passed)


def test_a_clean_batch_stores_only_which_expectations_passed(tmp_path):
    from expectations.validate import update_data_docs, validate_submissions

    stored: list[tuple[str, ...]] = []
    problems = validate_submissions(
        [real_submission("ok"), real_submission("ok2")], CATALOGUE, home=tmp_path, stored=stored
    )
    assert problems == {}
    (result,) = _stored_results(tmp_path)
    assert result["success"] and result["results"]
    assert all(r["success"] and "unexpected_count" not in r["result"] for r in result["results"])
    update_data_docs(tmp_path, stored)
    (page,) = (tmp_path / "gx" / "data_docs" / "validations" / "submission_values").rglob("*.html")
    text = page.read_text(encoding="utf-8")  # the page lists every expectation, passed, without observed values
    assert "Succeeded" in text and "ind_3_3" in text


def test_the_catalogue_suite_gates_then_explains_as_the_committed_checkpoints(tmp_path):
    """Without a state folder the suite runs in an ephemeral context, two passes all the same."""
    from expectations.validate import validate_submissions

    problems = validate_submissions([real_submission("ok"), real_submission("bad", **{"3_3": "150"})], CATALOGUE)
    assert [(p.indicator_code, p.rule) for p in problems["bad"]] == [("3.3", "range")] and set(problems) == {"bad"}
    assert validate_submissions([real_submission("ok")], CATALOGUE) == {}


def test_a_stale_committed_suite_falls_back_to_the_catalogue(tmp_path):
    from expectations.validate import validate_submissions

    stricter = replace(
        CATALOGUE,
        indicators=tuple(replace(i, max_value=40.0) if i.indicator_code == "3.3" else i for i in CATALOGUE.indicators),
    )
    problems = validate_submissions([real_submission("x", **{"3_3": "50"})], stricter, home=tmp_path)
    assert [p.rule for p in problems["x"]] == ["range"]


@pytest.mark.parametrize(
    "run_time",
    [
        datetime(2026, 12, 4, 21, 5, 7, 123456, tzinfo=UTC),
        datetime(2009, 7, 22, 0, 0, tzinfo=UTC),
    ],
)
@pytest.mark.parametrize("run_name", ["monthly_close-2026-12", None])
def test_the_data_docs_index_reads_a_stored_result_name_as_gx_does(run_time, run_name):
    """The index parses the names of the results it lists itself (expectations/data_docs_index.py): the key is
    the one GX's from_tuple makes of the same name, and names the same stored result."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from expectations.data_docs_index import _result_key

    stored = ValidationResultIdentifier(
        ExpectationSuiteIdentifier(name="warehouse_reporting_rate"), RunIdentifier(run_name, run_time), "batch-1"
    ).to_tuple()
    ours, gx = _result_key(stored), ValidationResultIdentifier.from_tuple(stored)
    assert ours.to_tuple() == gx.to_tuple() == stored
    assert ours.run_id.run_time == gx.run_id.run_time == run_time
    assert ours.run_id.run_name == gx.run_id.run_name


def test_the_data_docs_index_leaves_a_run_time_in_another_format_to_gx():
    from expectations.data_docs_index import _result_key

    key = _result_key(("warehouse_reporting_rate", "a-run", "2026-12-04 21:05:07+00:00", "batch-1"))
    assert key.run_id.run_time == datetime(2026, 12, 4, 21, 5, 7, tzinfo=UTC)
