"""Questions the command line and the run summary ask the warehouse, one function each (no SQL in the CLI)."""

from __future__ import annotations

from datetime import date, datetime

import psycopg


def latest_report_values(conn: psycopg.Connection, unit_code: str, period: date) -> dict[str, str]:
    """The values of the unit's last accepted report for the period, as typed (empty when there is none)."""
    rows = conn.execute(
        """
        select v.indicator_code, v.value_text
        from raw.submission_values v
        join raw.submissions s using (message_hash)
        where s.unit_code = %s and s.period_month = %s and s.submission_kind = 'report'
          and s.received_at = (select max(received_at) from raw.submissions
                               where unit_code = %s and period_month = %s and submission_kind = 'report')
        """,
        (unit_code, period, unit_code, period),
    ).fetchall()
    return {code: text for code, text in rows if text is not None}


def message_ledger(conn: psycopg.Connection) -> list[tuple[str, str, int]]:
    """(state, reason_code, count) over every received message, most frequent reasons first within a state."""
    return conn.execute(
        "select state, reason_code, count(*) from raw.messages group by 1, 2 order by 1, 3 desc"
    ).fetchall()


def reply_counts(conn: psycopg.Connection) -> tuple[dict[str, int], int]:
    """Replies sent by kind (receipt, rejection), and how many were withheld (mail too old to answer)."""
    sent = dict(conn.execute("select reply_kind, count(*) from raw.replies where withheld_reason is null group by 1"))
    withheld = conn.execute("select count(*) from raw.replies where withheld_reason is not null").fetchone()
    return sent, withheld[0] if withheld else 0


def last_report_period(conn: psycopg.Connection, unit_code: str, before: date) -> date | None:
    """The latest period before ``before`` for which the unit has an accepted report (not a notice)."""
    row = conn.execute(
        "select max(period_month) from raw.submissions "
        "where unit_code = %s and period_month < %s and submission_kind = 'report'",
        (unit_code, before),
    ).fetchone()
    return row[0] if row else None


def units_with_submissions(conn: psycopg.Connection, period: date, received_before: datetime) -> set[str]:
    """Units with an accepted report or "same as" notice for ``period`` received before ``received_before``."""
    rows = conn.execute(
        "select distinct unit_code from raw.submissions where period_month = %s and received_at < %s",
        (period, received_before),
    )
    return {code for (code,) in rows}


def reminder_steps(conn: psycopg.Connection, period: date) -> list[tuple[int, int, int]]:
    """(days before the deadline, reminders sent, reminders withheld) of each step run for ``period``."""
    return conn.execute(
        "select days_before, count(*) filter (where withheld_reason is null),"
        " count(*) filter (where withheld_reason is not null)"
        " from raw.reminders where period_month = %s group by 1 order by 1 desc",
        (period,),
    ).fetchall()
