"""Value warnings of accepted reports: raw-table history → :mod:`expectations.outliers` → ``raw.value_warnings``.

Run by intake: each batch scores the reports it loaded against the history it sees; the finishing step scores again
the reports a later batch added history to. Warnings never change a message's state or the deadline status.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import psycopg

from expectations.outliers import HISTORY_MONTHS, Values, ValueWarning, value_warnings
from ingestion.domain.catalogue import Catalogue
from ingestion.domain.periods import add_months
from ingestion.domain.records import Submission, SubmissionKind

# Each wanted (unit, period) looks up its unit's months through raw.submissions' (unit_code, period_month) index: a
# lateral subquery is a nested loop over the wanted pairs, where a join let the planner hash the whole history. A month
# is one row, its values the arrays ingestion.load keeps on it (a row per value cost more to send than to find).
_HISTORY_SQL = """
    with wanted as (
        select * from unnest(%s::text[], %s::date[], %s::date[]) as w (unit_code, period_month, since)
    )
    select w.unit_code, w.period_month, r.period_month, r.indicator_codes, r.value_numbers,
        case when r.period_month = w.last_month then r.value_texts end
    from (select *, (period_month - interval '1 month')::date as last_month from wanted) w
    cross join lateral (
        select distinct on (s.period_month) s.period_month, s.indicator_codes, s.value_numbers, s.value_texts
        from raw.submissions s
        where s.unit_code = w.unit_code and s.submission_kind = 'report'
          and s.period_month >= w.since and s.period_month < w.period_month
        order by s.period_month, s.received_at desc, s.message_hash
    ) r
"""


_NO_TEXTS = itertools.repeat(None)


def unit_histories(
    conn: psycopg.Connection, wanted: Iterable[tuple[str, date]]
) -> dict[tuple[str, date], dict[date, Values]]:
    """For each (unit, period): the unit's accepted reports of the ``HISTORY_MONTHS`` months before the period
    (latest receipt per month), in one query; the texts as typed of the month before only (the others' numbers are
    the history; the last month's texts tell an unchanged report)."""
    pairs = sorted(set(wanted))
    histories: dict[tuple[str, date], dict[date, Values]] = {pair: {} for pair in pairs}
    if not pairs:
        return histories
    units, periods = [unit for unit, _ in pairs], [period for _, period in pairs]
    since = [add_months(period, -HISTORY_MONTHS) for period in periods]
    with conn.cursor(binary=True) as cur:
        rows = cur.execute(_HISTORY_SQL, (units, periods, since)).fetchall()  # at once: row-by-row costs a call each
    for unit, wanted_period, period_month, codes, numbers, texts in rows:
        typed = zip(numbers or (), texts or _NO_TEXTS, strict=False)  # no texts: a month before the last
        histories[(unit, wanted_period)][period_month] = dict(zip(codes or (), typed, strict=True))
    return histories


def unit_history(conn: psycopg.Connection, unit_code: str, period: date) -> dict[date, Values]:
    """The unit's accepted reports of the ``HISTORY_MONTHS`` months before ``period`` (latest receipt per month)."""
    return unit_histories(conn, [(unit_code, period)])[(unit_code, period)]


def submission_values(submission: Submission) -> Values:
    return {v.indicator_code: (v.value_number, v.value_text) for v in submission.values}


def warnings_for(
    conn: psycopg.Connection, submissions: Iterable[Submission], catalogue: Catalogue, *, jump_points: float
) -> list[ValueWarning]:
    reports = [submission for submission in submissions if submission.kind == SubmissionKind.REPORT]
    histories = unit_histories(conn, [(report.unit_code, report.period) for report in reports])
    found: list[ValueWarning] = []
    for submission in reports:
        history = histories[(submission.unit_code, submission.period)]
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
    """Insert warnings (idempotent on message hash, indicator, warning code) in one statement; returns rows inserted."""
    if not warnings:
        return 0
    columns = [
        [getattr(w, name) for w in warnings]
        for name in (
            "message_hash",
            "indicator_code",
            "warning_code",
            "value",
            "expected_low",
            "expected_high",
            "message_vi",
            "message_en",
        )
    ]
    with conn.cursor() as cur:
        cur.execute(
            """
            insert into raw.value_warnings (message_hash, indicator_code, warning_code, value, expected_low,
                expected_high, message_vi, message_en)
            select * from unnest(%s::text[], %s::text[], %s::text[], %s::numeric[], %s::numeric[], %s::numeric[],
                %s::text[], %s::text[])
            on conflict (message_hash, indicator_code, warning_code) do nothing
            """,
            columns,
        )
        return cur.rowcount


def record_value_warnings(
    conn: psycopg.Connection, submissions: Iterable[Submission], catalogue: Catalogue, *, jump_points: float
) -> int:
    """Warnings for the accepted reports just loaded (their history read after loading), stored; returns rows."""
    return store_warnings(conn, warnings_for(conn, submissions, catalogue, jump_points=jump_points))


def replace_value_warnings(
    conn: psycopg.Connection, submissions: Sequence[Submission], catalogue: Catalogue, *, jump_points: float
) -> int:
    """These reports' warnings scored again (their history changed), in place of those stored; returns the rows
    added less the rows removed."""
    found = warnings_for(conn, submissions, catalogue, jump_points=jump_points)
    removed = conn.execute(
        "delete from raw.value_warnings where message_hash = any(%s)", ([s.message_hash for s in submissions],)
    ).rowcount
    return store_warnings(conn, found) - removed


# Reports loaded from %(since)s on that a report of their unit, for one of the months their warnings read, was
# loaded after (ingestion.load.begin_loading: a later loaded_at is a batch that was not visible when they scored).
_HISTORY_ADDED_LATER_SQL = """
    select r.message_hash
    from raw.submissions r
    where r.loaded_at >= %(since)s and r.submission_kind = 'report'
      and exists (
        select from raw.submissions s
        where s.unit_code = r.unit_code and s.submission_kind = 'report' and s.loaded_at > r.loaded_at
          and s.period_month < r.period_month and s.period_month >= r.period_month - %(months)s * interval '1 month'
      )
"""


def history_added_later(conn: psycopg.Connection, since: datetime) -> list[str]:
    """The reports loaded from ``since`` on whose history a later batch added to (or replaced a month of)."""
    rows = conn.execute(_HISTORY_ADDED_LATER_SQL, {"since": since, "months": HISTORY_MONTHS}).fetchall()
    return [row[0] for row in rows]
