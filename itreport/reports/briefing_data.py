"""The figures of the Government's monthly briefing, read from the marts only (as the read-only role ``bi_reader``,
the way a BI tool reads them): reporting rates, late and missing units, a 12-month trend, Quyết định 48/2009 targets
and value warnings. One dataclass holds them, so the document and the tests read the same numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import psycopg

from ingestion.domain.periods import add_months, format_period
from itreport.config import warehouse
from itreport.config.settings import Settings

UNIT_TYPE_LABELS = {
    "all": "Tổng số",
    "ministry": "Bộ",
    "ministerial_agency": "Cơ quan ngang Bộ",
    "government_agency": "Cơ quan thuộc Chính phủ",
    "province": "Tỉnh",
    "central_city": "Thành phố trực thuộc TW",
}
TREND_MONTHS = 12


class BriefingNotReady(RuntimeError):
    """The period is not closed (no rows in marts.rpt_reporting_rate): nothing to brief on yet."""


@dataclass(frozen=True)
class RateRow:
    """One row of marts.rpt_reporting_rate (rates are fractions 0–1 with 4 decimals)."""

    period: date
    unit_type: str
    expected: int
    actual: int
    on_time: int
    late: int
    missing: int
    reporting_rate: Decimal
    on_time_rate: Decimal


@dataclass(frozen=True)
class UnitStatus:
    unit_code: str
    unit_name: str
    unit_type: str
    status: str  # late or missing
    days_late: int | None


@dataclass(frozen=True)
class TargetProgress:
    """A Quyết định 48/2009 target for a unit type, against the units' effective values for the period."""

    indicator_code: str
    indicator_name: str
    unit_type: str
    target_year: int
    target_value: Decimal
    units: int  # units of the type expected in the period
    reported: int  # of them, with a value for the indicator
    met: int  # of them, at or above the target
    average: Decimal | None  # mean of the reported values


@dataclass(frozen=True)
class WarningNote:
    unit_code: str
    unit_name: str
    indicator_code: str
    warning_code: str
    message_vi: str


@dataclass(frozen=True)
class MonthlyBriefing:
    period: date
    totals: RateRow
    previous: RateRow | None
    by_type: list[RateRow]
    late_and_missing: list[UnitStatus]
    trend: list[RateRow]
    targets: list[TargetProgress]
    warnings: list[WarningNote]
    notes: dict[str, int] = field(default_factory=dict)  # same_as_notice, corrections, rejections

    @property
    def label(self) -> str:
        return format_period(self.period)


_RATES = """
select period_month, unit_type, expected_reports, actual_reports, reports_on_time, reports_late, reports_missing,
       coalesce(reporting_rate, 0), coalesce(reporting_rate_on_time, 0)
from marts.rpt_reporting_rate
where period_month between %s and %s
order by period_month, unit_type
"""

_LATE_MISSING = """
select unit_code, unit_name, unit_type, status, days_late
from marts.fct_reporting_compliance
where period_month = %s and status in ('late', 'missing')
order by unit_type, status, unit_code
"""

_TARGETS = """
with targets as (
    select distinct unit_type, indicator_code, target_year, target_value
    from marts.rpt_target_progress
    where target_year = %(year)s
),
units as (
    select c.unit_code, c.unit_type
    from marts.fct_reporting_compliance c
    where c.period_month = %(period)s
),
values_now as (
    select v.unit_code, v.indicator_code, v.value_number
    from marts.fct_indicator_values v
    where v.period_month = %(period)s and v.value_number is not null
)
select t.indicator_code, coalesce(i.indicator_name_vi, t.indicator_code), t.unit_type, t.target_year,
       t.target_value, count(u.unit_code), count(v.value_number),
       count(v.value_number) filter (where v.value_number >= t.target_value),
       round(avg(v.value_number), 2)
from targets t
left join marts.dim_indicator i on i.indicator_code = t.indicator_code
left join units u on u.unit_type = t.unit_type
left join values_now v on v.unit_code = u.unit_code and v.indicator_code = t.indicator_code
group by t.indicator_code, i.indicator_name_vi, t.unit_type, t.target_year, t.target_value
having count(u.unit_code) > 0
order by t.indicator_code, t.unit_type
"""

_WARNINGS = """
select w.unit_code, coalesce(u.unit_name, w.unit_code), w.indicator_code, w.warning_code, w.message_vi
from marts.fct_value_warnings w
left join marts.dim_reporting_unit u on u.unit_code = w.unit_code
where w.period_month = %s and w.is_effective
order by w.unit_code, w.indicator_code, w.warning_code
"""

_NOTES = """
select
    (select count(*) from marts.fct_reporting_compliance
     where period_month = %(period)s and submission_kind = 'same_as_notice'),
    (select count(distinct unit_code) from marts.fct_submissions
     where period_month = %(period)s and version_count > 1),
    (select coalesce(sum(rejections), 0) from marts.fct_reporting_compliance where period_month = %(period)s)
"""


def briefing_from(conn: psycopg.Connection, period: date) -> MonthlyBriefing:
    """Every figure of the briefing for ``period`` from the marts on ``conn``."""
    first = add_months(period, 1 - TREND_MONTHS)
    rates = [RateRow(*row) for row in conn.execute(_RATES, (first, period))]
    current = [r for r in rates if r.period == period]
    totals = next((r for r in current if r.unit_type == "all"), None)
    if totals is None:
        raise BriefingNotReady(f"period {format_period(period)} is not closed: no rows in marts.rpt_reporting_rate")
    previous = next((r for r in rates if r.period == add_months(period, -1) and r.unit_type == "all"), None)
    order = list(UNIT_TYPE_LABELS)
    by_type = sorted((r for r in current if r.unit_type != "all"), key=lambda r: order.index(r.unit_type))
    same_as, corrected, rejections = conn.execute(_NOTES, {"period": period}).fetchone()
    return MonthlyBriefing(
        period=period,
        totals=totals,
        previous=previous,
        by_type=by_type,
        late_and_missing=[UnitStatus(*row) for row in conn.execute(_LATE_MISSING, (period,))],
        trend=[r for r in rates if r.unit_type == "all"],
        targets=[TargetProgress(*row) for row in conn.execute(_TARGETS, {"year": period.year, "period": period})],
        warnings=[WarningNote(*row) for row in conn.execute(_WARNINGS, (period,))],
        notes={"same_as_notice": same_as, "corrected_units": corrected, "rejections": int(rejections)},
    )


def read_briefing(settings: Settings, period: date) -> MonthlyBriefing:
    """The briefing's figures, read as ``bi_reader`` (no access to raw data, as a BI tool)."""
    with warehouse.connect_bi_reader(settings) as conn:
        return briefing_from(conn, period)
