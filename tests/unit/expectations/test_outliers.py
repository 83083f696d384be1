"""Outlier, jump and unchanged-report warnings: pure statistics, no database, no GX."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expectations.outliers import (
    Z_THRESHOLD,
    minmax_bounds,
    modified_z_score,
    value_warnings,
    z_bounds,
)
from ingestion.domain.catalogue import default_catalogue
from ingestion.domain.periods import add_months

CATALOGUE = default_catalogue()
PERIOD = date(2010, 7, 1)


def _values(**numbers: float | None) -> dict[str, tuple[float | None, str | None]]:
    base: dict[str, tuple[float | None, str | None]] = {}
    for indicator in CATALOGUE.indicators:
        if indicator.value_type == "text":
            base[indicator.indicator_code] = (None, "http://www.example.gov.vn")
        elif indicator.value_type == "yes_no":
            base[indicator.indicator_code] = (1.0, "Có")
        elif indicator.value_type == "percent":
            base[indicator.indicator_code] = (50.0, "50")
        else:
            base[indicator.indicator_code] = (100.0, "100")
    for code, number in numbers.items():
        base[code.replace("_", ".")] = (number, None if number is None else str(number))
    return base


def _history(series: dict[str, list[float]], months: int = 12) -> dict[date, dict]:
    """``months`` earlier reports; ``series`` gives an indicator's values oldest first (others stay at the base)."""
    history = {}
    for back in range(months, 0, -1):
        period = add_months(PERIOD, -back)
        overrides = {code: values[months - back] for code, values in series.items()}
        history[period] = _values(**overrides)
    return history


def _codes(warnings, kind):
    return sorted(w.indicator_code for w in warnings if w.warning_code == kind)


def test_modified_z_score_matches_the_textbook_formula():
    history = [10, 11, 12, 13, 14]  # median 12, MAD 1
    assert modified_z_score(20, history) == pytest.approx(0.6745 * 8)
    assert modified_z_score(12, history) == 0
    assert modified_z_score(20, [10, 10]) is None  # too short
    assert modified_z_score(20, [10, 10, 10, 11]) is None  # MAD 0
    low, high = z_bounds(history)
    assert modified_z_score(high, history) == pytest.approx(Z_THRESHOLD)
    assert low == pytest.approx(12 - Z_THRESHOLD / 0.6745)


def test_minmax_bounds_widen_by_the_spread_or_ten_percent():
    assert minmax_bounds([100, 110, 120]) == (80, 140)
    assert minmax_bounds([100, 100, 100]) == (90, 110)
    assert minmax_bounds([1, 2]) is None


def test_a_steady_unit_gets_no_warning():
    history = _history({"3_1": [1000, 1010, 1005, 1020, 1015, 1030, 1025, 1040, 1035, 1050, 1045, 1060]})
    assert value_warnings("h", PERIOD, _values(**{"3_1": 1065}), history, CATALOGUE) == []


def test_a_value_far_from_the_units_history_is_an_outlier():
    history = _history({"3_1": [1000, 1010, 1005, 1020, 1015, 1030, 1025, 1040, 1035, 1050, 1045, 1060]})
    warnings = value_warnings("h", PERIOD, _values(**{"3_1": 10600}), history, CATALOGUE)
    assert _codes(warnings, "outlier_zscore") == ["3.1"]
    assert _codes(warnings, "outlier_minmax") == ["3.1"]
    zscore = next(w for w in warnings if w.warning_code == "outlier_zscore")
    assert zscore.value == 10600 and zscore.expected_low < 1030 < zscore.expected_high < 10600
    assert "chỉ tiêu 3.1" in zscore.message_vi and "10600" in zscore.message_vi
    assert "indicator 3.1" in zscore.message_en and "median" in zscore.message_en


def test_minmax_catches_what_the_z_score_cannot_when_history_is_flat():
    history = _history({"4_3": [12] * 12})
    warnings = value_warnings("h", PERIOD, _values(**{"4_3": 40}), history, CATALOGUE)
    assert _codes(warnings, "outlier_zscore") == []
    assert _codes(warnings, "outlier_minmax") == ["4.3"]
    assert value_warnings("h", PERIOD, _values(**{"4_3": 13}), history, CATALOGUE) == []


def test_short_history_gives_no_outlier_warning():
    history = _history({"3_1": [1000, 1000]}, months=2)
    warnings = value_warnings("h", PERIOD, _values(**{"3_1": 99999}), history, CATALOGUE)
    assert [w for w in warnings if w.warning_code.startswith("outlier")] == []


def test_a_percent_jumping_more_than_the_threshold_is_flagged():
    history = _history({"3_3": [40] * 12}, months=1)
    warnings = value_warnings("h", PERIOD, _values(**{"3_3": 75}), history, CATALOGUE)
    assert _codes(warnings, "jump") == ["3.3"]
    jump = next(w for w in warnings if w.warning_code == "jump")
    assert (jump.expected_low, jump.expected_high) == (10, 70)
    assert "35 điểm phần trăm" in jump.message_vi and "35 percentage points" in jump.message_en
    assert _codes(value_warnings("h", PERIOD, _values(**{"3_3": 69}), history, CATALOGUE), "jump") == []
    assert _codes(value_warnings("h", PERIOD, _values(**{"3_3": 69}), history, CATALOGUE, jump_points=20), "jump") == [
        "3.3"
    ]


def test_counts_never_get_jump_warnings():
    history = _history({"3_1": [40]}, months=1)
    assert _codes(value_warnings("h", PERIOD, _values(**{"3_1": 400}), history, CATALOGUE), "jump") == []


def test_a_report_identical_to_last_month_is_flagged_once():
    history = _history({}, months=3)
    warnings = value_warnings("h", PERIOD, _values(), history, CATALOGUE)
    assert [(w.indicator_code, w.warning_code) for w in warnings] == [("*", "same_as_last_month")]
    assert "2010-06" in warnings[0].message_vi and "2010-06" in warnings[0].message_en
    changed = value_warnings("h", PERIOD, _values(**{"4_4": 101}), history, CATALOGUE)
    assert _codes(changed, "same_as_last_month") == []


def test_no_previous_month_no_identical_warning():
    history = {add_months(PERIOD, -2): _values()}
    assert value_warnings("h", PERIOD, _values(), history, CATALOGUE) == []


@settings(max_examples=200, deadline=None)
@given(
    history=st.lists(st.integers(min_value=0, max_value=100_000), min_size=3, max_size=12),
    value=st.integers(min_value=0, max_value=100_000),
)
def test_warned_exactly_when_outside_the_reported_range(history, value):
    past = _history({"3_1": [float(x) for x in history]}, months=len(history))
    warnings = {w.warning_code: w for w in value_warnings("h", PERIOD, _values(**{"3_1": value}), past, CATALOGUE)}
    for code in ("outlier_zscore", "outlier_minmax"):
        bounds = (z_bounds if code == "outlier_zscore" else minmax_bounds)([float(x) for x in history])
        if bounds is None:
            assert code not in warnings
            continue
        outside = not bounds[0] - 1e-9 <= value <= bounds[1] + 1e-9
        if code in warnings:
            assert outside
            assert (warnings[code].expected_low, warnings[code].expected_high) == pytest.approx(bounds)
        elif outside and code == "outlier_minmax":
            pytest.fail(f"{value} outside {bounds} but no {code} warning")
