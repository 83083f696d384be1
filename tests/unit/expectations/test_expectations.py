"""The GX submission suite: derived from the catalogue, each kind of check passes real-shaped reports and fails
broken ones with a message naming indicator, value and what is allowed (Vietnamese and English)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from support.submissions import CATALOGUE, real_submission

from ingestion.domain.catalogue import ConsistencyRule
from ingestion.domain.records import ReportValue, Submission


def with_numbers(key: str, **numbers: float | None) -> Submission:
    """A real-shaped report with some normalised numbers forced (values a parser could not produce)."""
    base = real_submission(key)
    forced = {code.replace("_", "."): number for code, number in numbers.items()}
    values = [
        ReportValue(v.indicator_code, None if forced[v.indicator_code] is None else str(forced[v.indicator_code]),
                    forced[v.indicator_code]) if v.indicator_code in forced else v
        for v in base.values
    ]  # fmt: skip
    return replace(base, values=values)


@pytest.fixture(scope="module")
def validate():
    from expectations.validate import validate_submissions

    return validate_submissions


def test_suite_has_one_expectation_per_catalogue_check():
    from expectations.suites import submission_suite

    suite = submission_suite(CATALOGUE)
    required = sum(i.is_required for i in CATALOGUE.indicators)
    counts = sum(i.value_type == "count" for i in CATALOGUE.indicators)
    ranged = sum(i.min_value is not None or i.max_value is not None for i in CATALOGUE.indicators)
    yes_no = sum(i.value_type == "yes_no" for i in CATALOGUE.indicators)
    assert len(suite.expectations) == required + counts + ranged + yes_no + len(CATALOGUE.rules)
    assert all(e.meta.get("indicator_code") for e in suite.expectations)


def test_real_shaped_reports_pass(validate):
    reports = [real_submission(f"ok-{code}", code) for code in ("P01", "P02", "BTC", "P79")]
    assert validate(reports, CATALOGUE) == {}


@pytest.mark.parametrize(
    ("overrides", "indicator", "rule", "value", "words_vi", "words_en"),
    [
        ({"3_3": "150"}, "3.3", "range", "150", "từ 0 đến 100 %", "between 0 and 100 %"),
        ({"3_1": None}, "3.1", "required", None, "bắt buộc", "is required"),
        ({"3_1": "-"}, "3.1", "required", "-", "bắt buộc", "is required"),
        ({"2_1": "12,5"}, "2.1", "whole_number", "12,5", "số nguyên không âm", "whole number"),
        ({"2_5": "-3"}, "2.5", "whole_number", "-3", "số nguyên không âm", "whole number"),
        ({"2_5": "-3"}, "2.5", "range", "-3", "từ 0 đến 100000", "between 0 and 100000"),
        ({"4_5": "20000000"}, "4.5", "range", "20000000", "đến 10000000", "and 10000000"),
        ({"3_2": "999999", "3_1": "10"}, "3.2", "R01", "999999", "3.2 <= 3.1", "3.2 <= 3.1"),
        ({"2_4": "5000", "2_1": "100"}, "2.4", "R05", "5000", "= 100", "= 100"),
    ],
)
def test_broken_report_fails_naming_indicator_value_and_rule(
    validate, overrides, indicator, rule, value, words_vi, words_en
):
    problems = validate([real_submission("ok"), real_submission("bad", **overrides)], CATALOGUE)
    assert set(problems) == {"bad"}
    matching = [p for p in problems["bad"] if p.indicator_code == indicator and p.rule == rule]
    assert matching, problems["bad"]
    problem = matching[0]
    assert problem.value == value
    assert f"chỉ tiêu {indicator}" in problem.message_vi and words_vi in problem.message_vi
    assert f"indicator {indicator}" in problem.message_en and words_en in problem.message_en


def test_yes_no_accepts_only_yes_or_no(validate):
    problems = validate([with_numbers("ok", **{"1_1": 0.0}), with_numbers("bad", **{"1_1": 2.0})], CATALOGUE)
    assert set(problems) == {"bad"}
    (problem,) = problems["bad"]
    assert (problem.indicator_code, problem.rule) == ("1.1", "yes_no")
    assert '"Có"' in problem.message_vi and "yes" in problem.message_en


@pytest.mark.parametrize(
    ("operator", "holds", "breaks"),
    [
        ("<=", (10, 10), (11, 10)),
        ("<", (9, 10), (10, 10)),
        (">=", (10, 10), (9, 10)),
        (">", (11, 10), (10, 10)),
        ("=", (10, 10), (9, 10)),
    ],
)
def test_every_rule_operator(validate, operator, holds, breaks):
    rule = ConsistencyRule("RX", "4.3", operator, "3.4", "Quy tắc thử", "Test rule")
    catalogue = replace(CATALOGUE, rules=(rule,))
    ok = with_numbers("ok", **{"4_3": float(holds[0]), "3_4": float(holds[1])})
    bad = with_numbers("bad", **{"4_3": float(breaks[0]), "3_4": float(breaks[1])})
    problems = validate([ok, bad], catalogue)
    assert set(problems) == {"bad"}
    assert [(p.indicator_code, p.rule) for p in problems["bad"]] == [("4.3", "RX")]
    assert f"4.3 {operator} 3.4" in problems["bad"][0].message_en


def test_changing_the_catalogue_changes_the_checks_without_code_changes(validate):
    stricter = replace(
        CATALOGUE,
        indicators=tuple(replace(i, max_value=40.0) if i.indicator_code == "3.3" else i for i in CATALOGUE.indicators),
    )
    report = real_submission("x", **{"3_3": "50"})
    assert validate([report], CATALOGUE) == {}
    assert [p.rule for p in validate([report], stricter)["x"]] == ["range"]
