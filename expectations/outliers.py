"""Warnings that never reject: values far from the unit's own history, implausible jumps, unchanged reports.

Pure statistics on one submission and its unit's accepted reports of the previous months (no database,
no GX). The methods follow DHIS2's outlier analysis:

- ``outlier_zscore``: modified z-score ``0.6745 · (x − median) / MAD`` of the last ``HISTORY_MONTHS``
  months; warns above ``Z_THRESHOLD`` (3.5, Iglewicz & Hoaglin). Needs ``MIN_HISTORY`` values and MAD > 0.
  The expected range is where the score stays within the threshold.
- ``outlier_minmax``: outside the history's min–max bounds, widened on each side by the history's spread
  (max − min) or by ``MINMAX_MIN_MARGIN`` of the larger bound, whichever is more — so a steady series
  that grows a little is not flagged, a tenfold value is.
- ``jump``: a percent indicator moving more than ``jump_points`` percentage points from last month.
- ``same_as_last_month``: every indicator of a full report equals last month's report (indicator ``*``);
  the agency may have re-sent an old form instead of updating it.
Only numeric indicators (count, percent, money) get outlier and jump warnings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median

from ingestion.domain.catalogue import NUMERIC_TYPES, Catalogue, Indicator
from ingestion.domain.periods import add_months, format_period

HISTORY_MONTHS = 12
MIN_HISTORY = 3
Z_THRESHOLD = 3.5
Z_CONSTANT = 0.6745
MINMAX_MIN_MARGIN = 0.10
ALL_INDICATORS = "*"

# code → (number, text as typed)
Values = Mapping[str, tuple[float | None, str | None]]
_BLANK = (None, None)


@dataclass(frozen=True)
class ValueWarning:
    """A value worth a second look; stored in ``raw.value_warnings``, never blocks acceptance."""

    message_hash: str
    indicator_code: str
    warning_code: str  # outlier_zscore | outlier_minmax | jump | same_as_last_month
    value: float | None
    expected_low: float | None
    expected_high: float | None
    message_vi: str
    message_en: str


def _median_and_mad(history: Sequence[float]) -> tuple[float, float] | None:
    """``None`` when the history is too short or has no spread around its median (MAD = 0)."""
    if len(history) < MIN_HISTORY:
        return None
    centre = median(history)
    mad = median(abs(x - centre) for x in history)
    return None if mad == 0 else (centre, mad)


def modified_z_score(value: float, history: Sequence[float]) -> float | None:
    if (spread := _median_and_mad(history)) is None:
        return None
    centre, mad = spread
    return Z_CONSTANT * (value - centre) / mad


def z_bounds(history: Sequence[float], threshold: float = Z_THRESHOLD) -> tuple[float, float] | None:
    if (spread := _median_and_mad(history)) is None:
        return None
    return _z_bounds(*spread, threshold)


def _z_bounds(centre: float, mad: float, threshold: float) -> tuple[float, float]:
    half = threshold * mad / Z_CONSTANT
    return centre - half, centre + half


def minmax_bounds(history: Sequence[float]) -> tuple[float, float] | None:
    if len(history) < MIN_HISTORY:
        return None
    low, high = min(history), max(history)
    margin = max(high - low, MINMAX_MIN_MARGIN * max(abs(low), abs(high)))
    return low - margin, high + margin


def _fmt(number: float | None) -> str:
    if number is None:
        return "—"
    return str(int(number)) if float(number).is_integer() else f"{number:.4g}"


def _labels(indicator: Indicator) -> tuple[str, str]:
    return (
        f"chỉ tiêu {indicator.indicator_code} ({indicator.name_vi})",
        f"indicator {indicator.indicator_code} ({indicator.name_en})",
    )


def value_warnings(
    message_hash: str,
    period: date,
    values: Values,
    history: Mapping[date, Values],
    catalogue: Catalogue,
    *,
    jump_points: float = 30.0,
) -> list[ValueWarning]:
    """Warnings for one accepted report of ``period``; ``history`` holds the unit's earlier reports by period."""
    months = [history[month] for i in range(HISTORY_MONTHS, 0, -1) if (month := add_months(period, -i)) in history]
    previous = history.get(add_months(period, -1))
    found: list[ValueWarning] = []
    for indicator in catalogue.indicators:
        if indicator.value_type not in NUMERIC_TYPES:
            continue
        code = indicator.indicator_code
        number = values.get(code, (None, None))[0]
        if number is None:
            continue
        past = [float(x) for month in months if (x := month.get(code, _BLANK)[0]) is not None]
        vi, en = _labels(indicator)
        found.extend(_history_warnings(message_hash, code, number, past, vi, en))
        last = previous.get(code, (None, None))[0] if previous else None
        if indicator.value_type == "percent" and last is not None and abs(number - float(last)) > jump_points:
            change = number - float(last)
            month = format_period(add_months(period, -1))
            found.append(
                ValueWarning(
                    message_hash, code, "jump", number, *_clamped(indicator, last, jump_points),
                    f"{vi} thay đổi {_fmt(abs(change))} điểm phần trăm so với tháng {month} "
                    f"({_fmt(last)}% → {_fmt(number)}%), vượt ngưỡng {_fmt(jump_points)} điểm. Đề nghị kiểm tra lại.",
                    f"{en} moved {_fmt(abs(change))} percentage points from {month} "
                    f"({_fmt(last)}% → {_fmt(number)}%), more than {_fmt(jump_points)} points. Please check it.",
                )
            )  # fmt: skip
    if previous and _identical(values, previous, catalogue):
        last_month = format_period(add_months(period, -1))
        found.append(
            ValueWarning(
                message_hash, ALL_INDICATORS, "same_as_last_month", None, None, None,
                f"Tất cả chỉ tiêu giống hệt báo cáo tháng {last_month}. Nếu số liệu không đổi, đơn vị có thể chỉ gửi "
                f"thư \"giống tháng {last_month}\"; nếu có thay đổi, hãy cập nhật biểu mẫu.",
                f"Every indicator equals the {last_month} report. If nothing changed the agency may simply send "
                f"\"same as {last_month}\"; otherwise the form was not updated.",
            )
        )  # fmt: skip
    return found


def _history_warnings(
    message_hash: str, code: str, number: float, past: Sequence[float], vi: str, en: str
) -> Iterator[ValueWarning]:
    """Outliers against the unit's own history: a modified z-score beyond the threshold, and values outside the
    min-max bounds of the window."""
    spread, limits = _median_and_mad(past), minmax_bounds(past)
    far = spread is not None and abs(Z_CONSTANT * (number - spread[0]) / spread[1]) > Z_THRESHOLD
    usual = None if spread is None else _z_bounds(*spread, Z_THRESHOLD)
    outside = limits is not None and not limits[0] <= number <= limits[1]
    n, shown = len(past), _fmt(number)
    if far and usual is not None:
        low, high = usual
        middle, bounds = _fmt(median(past)), f"{_fmt(low)}–{_fmt(high)}"
        vi_text = f"{vi} = {shown} khác xa số liệu {n} tháng trước của đơn vị (trung vị {middle}, khoảng thường gặp "
        en_text = f"{en} = {shown} is far from the unit's previous {n} months (median {middle}, usual range "
        yield ValueWarning(
            message_hash, code, "outlier_zscore", number, low, high,
            vi_text + f"{bounds}). Đề nghị kiểm tra lại.", en_text + f"{bounds}). Please check it.",
        )  # fmt: skip
    if outside and limits is not None:
        low, high = limits
        extremes_vi = f"(thấp nhất {_fmt(min(past))}, cao nhất {_fmt(max(past))})"
        extremes_en = f"(lowest {_fmt(min(past))}, highest {_fmt(max(past))})"
        yield ValueWarning(
            message_hash, code, "outlier_minmax", number, low, high,
            f"{vi} = {shown} nằm ngoài giới hạn {_fmt(low)}–{_fmt(high)} tính từ {n} tháng trước của đơn vị "
            f"{extremes_vi}. Đề nghị kiểm tra lại.",
            f"{en} = {shown} is outside {_fmt(low)}–{_fmt(high)}, the bounds from the unit's previous {n} months "
            f"{extremes_en}. Please check it.",
        )  # fmt: skip


def _clamped(indicator: Indicator, last: float, points: float) -> tuple[float, float]:
    low, high = float(last) - points, float(last) + points
    if indicator.min_value is not None:
        low = max(low, indicator.min_value)
    if indicator.max_value is not None:
        high = min(high, indicator.max_value)
    return low, high


def _identical(values: Values, previous: Values, catalogue: Catalogue) -> bool:
    """A full report (some value given) whose every indicator equals last month's report."""
    if not any(number is not None or text for number, text in values.values()):
        return False
    for code in catalogue.codes:
        now, before = values.get(code, (None, None)), previous.get(code, (None, None))
        if now[0] is not None or before[0] is not None:
            if now[0] is None or before[0] is None or float(now[0]) != float(before[0]):
                return False
        elif (now[1] or "") != (before[1] or ""):
            return False
    return True
