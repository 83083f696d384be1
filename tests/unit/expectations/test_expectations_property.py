"""Property: any submission the catalogue allows passes; one broken value fails and names its indicator.

Each Hypothesis example is a batch (valid reports plus reports with exactly one broken value) validated in a
single GX run, so few examples cover many submissions and the test stays fast.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion.domain.catalogue import Catalogue, Indicator, default_catalogue
from ingestion.domain.records import ReportValue, Submission, SubmissionKind

CATALOGUE = default_catalogue()
BREAKS = ("required", "whole_number", "negative", "above_max", "yes_no", "rule")


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


@st.composite
def valid_values(draw, catalogue: Catalogue = CATALOGUE) -> dict[str, float | str | None]:
    values: dict[str, float | str | None] = {}
    for indicator in catalogue.indicators:
        optional_blank = not indicator.is_required and draw(st.booleans())
        if optional_blank:
            values[indicator.indicator_code] = None
        elif indicator.value_type == "text":
            values[indicator.indicator_code] = draw(st.sampled_from(["http://www.example.gov.vn", "cổng thông tin"]))
        elif indicator.value_type == "yes_no":
            values[indicator.indicator_code] = float(draw(st.integers(0, 1)))
        elif indicator.value_type == "count":
            high = int(indicator.max_value if indicator.max_value is not None else 10**6)
            values[indicator.indicator_code] = float(draw(st.integers(int(indicator.min_value or 0), high)))
        else:  # percent, money: halves are fine
            low, high = indicator.min_value or 0.0, indicator.max_value if indicator.max_value is not None else 10**6
            values[indicator.indicator_code] = draw(st.integers(int(low * 2), int(high * 2))) / 2
    for rule in catalogue.rules:  # make every rule hold by lowering/raising the left side
        left, right = values.get(rule.left_indicator), values.get(rule.right_indicator)
        if isinstance(left, float) and isinstance(right, float) and not rule.holds(left, right):
            values[rule.left_indicator] = {"<=": right, "<": right - 1, ">=": right, ">": right + 1, "=": right}[
                rule.operator
            ]
    return values


def _submission(key: str, values: dict[str, float | str | None]) -> Submission:
    report_values = []
    for indicator in CATALOGUE.indicators:
        value = values.get(indicator.indicator_code)
        if isinstance(value, str):
            report_values.append(ReportValue(indicator.indicator_code, value, None))
        else:
            text = None if value is None else _fmt(value)
            report_values.append(ReportValue(indicator.indicator_code, text, value))
    return Submission(
        key, "P02", date(2009, 7, 1), SubmissionKind.REPORT, datetime(2009, 7, 1, tzinfo=UTC), values=report_values
    )


def _candidates(kind: str) -> list[Indicator]:
    indicators = CATALOGUE.indicators
    return {
        "required": [i for i in indicators if i.is_required],
        "whole_number": [i for i in indicators if i.value_type == "count"],
        "negative": [i for i in indicators if i.value_type != "text" and i.min_value == 0],
        "above_max": [i for i in indicators if i.max_value is not None],
        "yes_no": [i for i in indicators if i.value_type == "yes_no"],
    }[kind]


@st.composite
def broken(draw) -> tuple[dict[str, float | str | None], str]:
    """A valid submission with exactly one thing wrong, and the indicator a correct check must name."""
    values = draw(valid_values())
    kind = draw(st.sampled_from(BREAKS))
    if kind == "rule":
        rule = draw(st.sampled_from([r for r in CATALOGUE.rules if r.operator in ("<=", "<")]))
        right = float(draw(st.integers(0, 1000)))
        values[rule.right_indicator] = right
        values[rule.left_indicator] = right + draw(st.integers(1, 1000))
        return values, rule.left_indicator
    indicator = draw(st.sampled_from(_candidates(kind)))
    code = indicator.indicator_code
    if kind == "required":
        values[code] = None
    elif kind == "whole_number":
        values[code] = draw(st.integers(0, 9999)) + 0.5
    elif kind == "negative":
        values[code] = -float(draw(st.integers(1, 1000)))
    elif kind == "above_max":
        values[code] = indicator.max_value + draw(st.integers(1, 1000))
    else:
        values[code] = float(draw(st.integers(2, 9)))
    return values, code


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(good=st.lists(valid_values(), min_size=1, max_size=15), bad=st.lists(broken(), min_size=1, max_size=15))
def test_valid_batches_pass_and_each_broken_value_is_named(good, bad):
    from expectations.validate import validate_submissions

    submissions = [_submission(f"good-{n}", values) for n, values in enumerate(good)]
    submissions += [_submission(f"bad-{n}", values) for n, (values, _code) in enumerate(bad)]
    problems = validate_submissions(submissions, CATALOGUE)
    assert not [key for key in problems if key.startswith("good-")], {k: v for k, v in problems.items() if "good" in k}
    for n, (_values, code) in enumerate(bad):
        named = [p.indicator_code for p in problems.get(f"bad-{n}", [])]
        assert code in named, (code, problems.get(f"bad-{n}"))
