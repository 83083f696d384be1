"""The GX suite is derived from the catalogue and names the indicator that failed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from ingestion.catalogue import default_catalogue
from ingestion.models import ReportValue, Submission, SubmissionKind

CATALOGUE = default_catalogue()


def _submission(key: str, **overrides: float | None) -> Submission:
    values = []
    for indicator in CATALOGUE.indicators:
        number = {"yes_no": 1.0, "text": None, "percent": 50.0}.get(indicator.value_type, 10.0)
        number = overrides.get(indicator.indicator_code.replace(".", "_"), number)
        text = "https://x.gov.example" if indicator.value_type == "text" else (None if number is None else str(number))
        values.append(ReportValue(indicator.indicator_code, text, number))
    return Submission(
        key, "P02", date(2009, 6, 1), SubmissionKind.REPORT, datetime(2009, 6, 1, tzinfo=UTC), values=values
    )


@pytest.fixture(scope="module")
def validate():
    from expectations.validate import validate_submissions

    return validate_submissions


def test_suite_has_one_expectation_per_catalogue_check():
    import great_expectations as gx

    from expectations.suites import submission_suite

    gx.get_context(mode="ephemeral")
    suite = submission_suite(CATALOGUE)
    required = sum(i.is_required for i in CATALOGUE.indicators)
    ranged = sum(i.min_value is not None for i in CATALOGUE.indicators)
    yes_no = sum(i.value_type == "yes_no" for i in CATALOGUE.indicators)
    assert len(suite.expectations) == required + ranged + yes_no + len(CATALOGUE.rules)


def test_valid_submission_passes(validate):
    assert validate([_submission("ok")], CATALOGUE) == {}


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"3_3": 150.0}, "3.3"),
        ({"3_1": None}, "3.1"),
        ({"1_1": 2.0}, "1.1"),
        ({"3_2": 11.0, "3_1": 10.0}, "3.2 <= 3.1"),
        ({"2_5": -1.0}, "2.5"),
    ],
)
def test_broken_submission_fails_naming_the_indicator(validate, overrides, named):
    problems = validate([_submission("ok"), _submission("bad", **overrides)], CATALOGUE)
    assert set(problems) == {"bad"}
    assert any(named in p for p in problems["bad"]), problems


def test_changing_the_catalogue_changes_the_suite_without_code_changes(validate):
    stricter = replace(
        CATALOGUE,
        indicators=tuple(replace(i, max_value=40.0) if i.indicator_code == "3.3" else i for i in CATALOGUE.indicators),
    )
    assert validate([_submission("x", **{"3_3": 50.0})], CATALOGUE) == {}
    assert "x" in validate([_submission("x", **{"3_3": 50.0})], stricter)
