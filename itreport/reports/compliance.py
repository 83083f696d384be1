"""Reading the marts for one period: who reported, who is late, who is missing, and the value warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import psycopg

from itreport.config import warehouse
from itreport.config.settings import Settings


@dataclass(frozen=True)
class ComplianceRow:
    unit_code: str
    unit_name: str
    unit_type: str
    period_month: date
    status: str
    submission_kind: str | None
    received_at: datetime | None
    days_late: int | None


@dataclass(frozen=True)
class WarningRow:
    """A value warning on a unit's effective report for the period (marts.fct_value_warnings)."""

    unit_code: str
    unit_name: str
    indicator_code: str  # '*' for the whole report
    warning_code: str
    value: Decimal | None
    expected_low: Decimal | None
    expected_high: Decimal | None
    message_vi: str
    message_en: str
    received_at: datetime


@dataclass
class PeriodCompliance:
    period: date
    rows: list[ComplianceRow] = field(default_factory=list)
    # value warnings never change a status; None when marts.fct_value_warnings is not built yet
    warnings: list[WarningRow] | None = field(default_factory=list)

    def with_status(self, status: str) -> list[ComplianceRow]:
        return [r for r in self.rows if r.status == status]

    @property
    def expected(self) -> int:
        return len(self.rows)

    @property
    def counts(self) -> dict[str, int]:
        return {s: len(self.with_status(s)) for s in ("on_time", "late", "missing")}


def read_period_compliance(settings: Settings, period: date) -> PeriodCompliance:
    """The period's compliance and value warnings, on a connection of its own."""
    with warehouse.connect(settings) as conn:
        return period_compliance(conn, period)


def period_compliance(conn: psycopg.Connection, period: date) -> PeriodCompliance:
    rows = conn.execute(
        """
        select unit_code, unit_name, unit_type, period_month, status, submission_kind, received_at, days_late
        from marts.fct_reporting_compliance
        where period_month = %s
        order by unit_code
        """,
        (period,),
    ).fetchall()
    return PeriodCompliance(period, [ComplianceRow(*row) for row in rows], period_warnings(conn, period))


def period_warnings(conn: psycopg.Connection, period: date) -> list[WarningRow] | None:
    """The value warnings on the units' effective reports for ``period``, by unit and catalogue order."""
    if conn.execute("select to_regclass('marts.fct_value_warnings')").fetchone()[0] is None:
        return None
    rows = conn.execute(
        """
        select w.unit_code, coalesce(u.unit_name, w.unit_code), w.indicator_code, w.warning_code, w.value,
               w.expected_low, w.expected_high, w.message_vi, w.message_en, w.received_at
        from marts.fct_value_warnings w
        left join marts.dim_reporting_unit u on u.unit_code = w.unit_code
        left join marts.dim_indicator i on i.indicator_code = w.indicator_code
        where w.period_month = %s and w.is_effective
        order by w.unit_code, i.group_sort_order nulls first, i.indicator_sort_order nulls first,
                 w.indicator_code, w.warning_code
        """,
        (period,),
    ).fetchall()
    return [WarningRow(*row) for row in rows]
