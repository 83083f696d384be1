"""Reporting periods and the deadline rule: the one definition used by intake, alerts and tests.

A period is a calendar month, represented by the date of its first day (``period_month``) and shown
as ``YYYY-MM``. The report for month M is due *before* day ``deadline_day`` 00:00 of month M in the
ministry's timezone (Công văn 1485/BTTTT-UDCNTT: "trước ngày 22 hằng tháng"). dbt applies the same rule
through the ``deadline_utc`` macro, fed the same two settings as ``dbt`` vars.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

FIRST_PERIOD = date(2009, 6, 1)
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_DEADLINE_DAY = 22

_PERIOD_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def parse_period(text: str | date) -> date:
    """``'2009-06'`` (or a date) → ``date(2009, 6, 1)``; raises ``ValueError`` with the accepted form."""
    if isinstance(text, date):
        return text.replace(day=1)
    match = _PERIOD_RE.match(text)
    if not match:
        raise ValueError(f"period must look like YYYY-MM, got {text!r}")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, got {text!r}")
    return date(year, month, 1)


def format_period(period: date) -> str:
    return f"{period.year:04d}-{period.month:02d}"


def add_months(period: date, months: int) -> date:
    index = period.year * 12 + period.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def previous_period(period: date) -> date:
    return add_months(period, -1)


def periods_between(first: date, last: date) -> list[date]:
    """Every period from ``first`` to ``last`` inclusive."""
    count = (last.year - first.year) * 12 + last.month - first.month
    return [add_months(first.replace(day=1), i) for i in range(count + 1)]


@dataclass(frozen=True)
class DeadlineRule:
    """Reports for a period must be *received* strictly before ``day`` 00:00 local time of that month."""

    day: int = DEFAULT_DEADLINE_DAY
    timezone: str = DEFAULT_TIMEZONE

    def deadline(self, period: date) -> datetime:
        """The first instant that is late, as an aware UTC datetime."""
        local = datetime(period.year, period.month, self.day, tzinfo=ZoneInfo(self.timezone))
        return local.astimezone(UTC)

    def is_on_time(self, received_at: datetime, period: date) -> bool:
        if received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware")
        return received_at < self.deadline(period)

    def days_late(self, received_at: datetime, period: date) -> int:
        """0 when on time, else whole days started after the deadline (1 second late → 1 day)."""
        overdue = received_at - self.deadline(period)
        if overdue < timedelta(0):
            return 0
        return max(1, math.ceil(overdue / timedelta(days=1)))

    def receipt_period(self, received_at: datetime) -> date:
        """The calendar month, in the deadline's timezone, in which a message was received."""
        local = received_at.astimezone(ZoneInfo(self.timezone))
        return date(local.year, local.month, 1)

    def accepts_period(self, period: date, received_at: datetime) -> bool:
        """A message may report on the month it was received in or, late, on the month before (not before 2009-06)."""
        receipt = self.receipt_period(received_at)
        return period >= FIRST_PERIOD and period in (receipt, add_months(receipt, -1))

    def period_closing_at(self, moment: datetime) -> date:
        """The period whose deadline is the first one at or after ``moment`` (what a run at ``moment`` closes)."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        period = date(local.year, local.month, 1)
        return period if moment <= self.deadline(period) else add_months(period, 1)
