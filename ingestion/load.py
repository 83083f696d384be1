"""Loading intake results into the raw tables, idempotently (keys are message hashes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import psycopg

from ingestion.domain.records import ReceivedMessage
from ingestion.domain.resources import package_file

RAW_SCHEMA_SQL = package_file("ingestion", "raw_schema.sql")


def ensure_raw_schema(conn: psycopg.Connection) -> None:
    conn.execute(RAW_SCHEMA_SQL.read_text(encoding="utf-8"))


def known_hashes(conn: psycopg.Connection) -> set[str]:
    return {row[0] for row in conn.execute("select message_hash from raw.messages")}


def load(conn: psycopg.Connection, received: Iterable[ReceivedMessage]) -> dict[str, int]:
    """Insert each message's ledger row, and its submission and values when accepted. Returns rows inserted."""
    counts = {"messages": 0, "submissions": 0, "values": 0}
    with conn.cursor() as cur:
        for item in received:
            message, archive_path, assessment = item.message, item.archive_path, item.decided
            decision = assessment.decision
            cur.execute(
                """
                insert into raw.messages (message_hash, message_id, source, sender, subject, date_header,
                    received_at, archive_path, state, reason_code, reason_vi, reason_en, unit_code,
                    period_month, submission_kind)
                values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                on conflict (message_hash) do nothing
                """,
                (
                    message.message_hash,
                    message.message_id,
                    message.source,
                    message.sender,
                    message.subject,
                    message.date_header,
                    message.received_at,
                    str(archive_path),
                    decision.state.value,
                    decision.reason_code,
                    decision.reason_vi,
                    decision.reason_en,
                    decision.unit_code,
                    decision.period,
                    decision.kind.value if decision.kind else None,
                ),
            )
            counts["messages"] += cur.rowcount
            submission = assessment.submission
            if submission is None:
                continue
            cur.execute(
                """
                insert into raw.submissions (message_hash, unit_code, period_month, submission_kind, received_at,
                    filename, same_as_period, difficulties, proposals)
                values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
                on conflict (message_hash) do nothing
                """,
                (
                    submission.message_hash,
                    submission.unit_code,
                    submission.period,
                    submission.kind.value,
                    submission.received_at,
                    submission.filename,
                    submission.same_as_period,
                    submission.difficulties,
                    submission.proposals,
                ),
            )
            counts["submissions"] += cur.rowcount
            for value in submission.values:
                cur.execute(
                    """
                    insert into raw.submission_values (message_hash, indicator_code, value_text, value_number)
                    values (%s, %s, %s, %s)
                    on conflict (message_hash, indicator_code) do nothing
                    """,
                    (submission.message_hash, value.indicator_code, value.value_text, value.value_number),
                )
                counts["values"] += cur.rowcount
    return counts


def record_closure(conn: psycopg.Connection, period: date, run_id: str | None) -> None:
    conn.execute(
        "insert into raw.period_closures (period_month, dag_run_id) values (%s, %s) "
        "on conflict (period_month) do nothing",
        (period, run_id),
    )


def accepted_pairs(conn: psycopg.Connection) -> set[tuple[str, date]]:
    """(unit code, period) of every accepted submission in the ledger."""
    return {(unit, period) for unit, period in conn.execute("select unit_code, period_month from raw.submissions")}
