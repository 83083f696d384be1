"""Reading the compliance mart: who reported, who is late, who is missing, for one period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import psycopg


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


@dataclass
class PeriodCompliance:
    period: date
    rows: list[ComplianceRow] = field(default_factory=list)

    def with_status(self, status: str) -> list[ComplianceRow]:
        return [r for r in self.rows if r.status == status]

    @property
    def expected(self) -> int:
        return len(self.rows)

    @property
    def counts(self) -> dict[str, int]:
        return {s: len(self.with_status(s)) for s in ("on_time", "late", "missing")}


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
    return PeriodCompliance(period, [ComplianceRow(*row) for row in rows])
