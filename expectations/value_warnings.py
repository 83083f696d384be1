"""Value warnings of accepted reports: raw-table history → :mod:`expectations.outliers` → ``raw.value_warnings``.

Run by intake after loading; warnings never change a message's state or the deadline status.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

import psycopg

from expectations.outliers import HISTORY_MONTHS, Values, ValueWarning, value_warnings
from ingestion.domain.catalogue import Catalogue
from ingestion.domain.periods import add_months
from ingestion.domain.records import Submission, SubmissionKind


def unit_history(conn: psycopg.Connection, unit_code: str, period: date) -> dict[date, Values]:
    """The unit's accepted reports of the ``HISTORY_MONTHS`` months before ``period`` (latest receipt per month)."""
    rows = conn.execute(
        """
        with reports as (
            select message_hash, period_month,
                   row_number() over (partition by period_month order by received_at desc, message_hash) as rank
            from raw.submissions
            where unit_code = %s and submission_kind = 'report'
              and period_month >= %s and period_month < %s
        )
        select r.period_month, v.indicator_code, v.value_number, v.value_text
        from reports r
        join raw.submission_values v using (message_hash)
        where r.rank = 1
        """,
        (unit_code, add_months(period, -HISTORY_MONTHS), period),
    ).fetchall()
    history: dict[date, dict[str, tuple[float | None, str | None]]] = defaultdict(dict)
    for period_month, code, number, text in rows:
        history[period_month][code] = (float(number) if number is not None else None, text)
    return dict(history)


def submission_values(submission: Submission) -> Values:
    return {v.indicator_code: (v.value_number, v.value_text) for v in submission.values}


def warnings_for(
    conn: psycopg.Connection, submissions: Iterable[Submission], catalogue: Catalogue, *, jump_points: float
) -> list[ValueWarning]:
    found: list[ValueWarning] = []
    for submission in submissions:
        if submission.kind != SubmissionKind.REPORT:
            continue
        history = unit_history(conn, submission.unit_code, submission.period)
        found += value_warnings(
            submission.message_hash,
            submission.period,
            submission_values(submission),
            history,
            catalogue,
            jump_points=jump_points,
        )
    return found


def store_warnings(conn: psycopg.Connection, warnings: Sequence[ValueWarning]) -> int:
    """Insert warnings (idempotent on message hash, indicator, warning code); returns rows inserted."""
    inserted = 0
    with conn.cursor() as cur:
        for w in warnings:
            cur.execute(
                """
                insert into raw.value_warnings (message_hash, indicator_code, warning_code, value, expected_low,
                    expected_high, message_vi, message_en)
                values (%s, %s, %s, %s, %s, %s, %s, %s)
                on conflict (message_hash, indicator_code, warning_code) do nothing
                """,
                (
                    w.message_hash,
                    w.indicator_code,
                    w.warning_code,
                    w.value,
                    w.expected_low,
                    w.expected_high,
                    w.message_vi,
                    w.message_en,
                ),
            )
            inserted += cur.rowcount
    return inserted


def record_value_warnings(
    conn: psycopg.Connection, submissions: Iterable[Submission], catalogue: Catalogue, *, jump_points: float
) -> int:
    """Warnings for the accepted reports just loaded (their history read after loading), stored; returns rows."""
    return store_warnings(conn, warnings_for(conn, submissions, catalogue, jump_points=jump_points))
