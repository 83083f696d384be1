"""Loading intake results into the raw tables, idempotently (keys are message hashes)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import date

import psycopg

from ingestion.decide.reasons import explain
from ingestion.domain.records import Assessment, Decision, ReceivedMessage
from ingestion.domain.resources import package_file

log = logging.getLogger(__name__)
# What the database (or the driver, before sending) refuses about one message's rows; a lost connection
# (OperationalError) is not one message's fault and fails the run.
REFUSED = (psycopg.DatabaseError, ValueError)

RAW_SCHEMA_SQL = package_file("ingestion", "raw_schema.sql")


SCHEMA_LOCK = 0x17E9_0001  # pg advisory lock key: one process creates or upgrades the raw schema at a time


def ensure_raw_schema(conn: psycopg.Connection) -> None:
    """Create or upgrade the raw tables, once per version of ``raw_schema.sql``.

    Call it on an autocommit connection, before any long transaction: when the schema is current it runs no DDL
    (an ``alter table`` would hold its table's lock until the caller commits, blocking the other DAGs), and
    otherwise it runs in a short transaction of its own under an advisory lock, so two processes starting on a
    brand-new warehouse do not race on ``create schema``."""
    sql = RAW_SCHEMA_SQL.read_text(encoding="utf-8")
    version = hashlib.sha256(sql.encode("utf-8")).hexdigest()
    if _schema_version(conn) == version:
        return
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        if _schema_version(conn) == version:
            return
        conn.execute(sql)
        conn.execute("create table if not exists raw.schema_version (version text not null)")
        conn.execute("delete from raw.schema_version")
        conn.execute("insert into raw.schema_version (version) values (%s)", (version,))


def _schema_version(conn: psycopg.Connection) -> str | None:
    if conn.execute("select to_regclass('raw.schema_version')").fetchone()[0] is None:  # type: ignore[index]
        return None
    row = conn.execute("select version from raw.schema_version").fetchone()
    return row[0] if row else None


def known_hashes(conn: psycopg.Connection) -> set[str]:
    return {row[0] for row in conn.execute("select message_hash from raw.messages")}


def load(conn: psycopg.Connection, received: Iterable[ReceivedMessage]) -> dict[str, int]:
    """Insert each message's ledger row, and its submission and values when accepted. Returns rows inserted.

    Each message goes in under a savepoint: one whose rows the database refuses becomes ``processing_error``
    (its ledger row only, the refusal kept for staff in ``reason_en``) while the others land, so one poison
    message never stops intake."""
    counts = {"messages": 0, "submissions": 0, "values": 0, "processing_errors": 0}
    for item in received:
        try:
            with conn.transaction(), conn.cursor() as cur:
                inserted = _load_one(cur, item)
        except REFUSED as error:
            if isinstance(error, psycopg.OperationalError):
                raise
            log.exception("message %s could not be loaded", item.message.message_hash)
            item.assessment = _load_failure(item, error)
            with conn.transaction(), conn.cursor() as cur:
                inserted = _load_one(cur, item, minimal=True)
            counts["processing_errors"] += 1
        for key, value in inserted.items():
            counts[key] += value
    return counts


def _load_failure(item: ReceivedMessage, error: Exception) -> Assessment:
    state, vi, en = explain("processing_error", detail_en=f"the warehouse refused the message: {error}")
    decision = Decision(item.message.message_hash, state, "processing_error", vi, en)
    decision.unit_code, decision.period = item.decided.decision.unit_code, item.decided.decision.period
    return Assessment(decision)


def _load_one(cur: psycopg.Cursor, item: ReceivedMessage, *, minimal: bool = False) -> dict[str, int]:
    """``minimal``: the ledger row without the sender's texts (what a refused message still gets)."""
    message, archive_path, assessment = item.message, item.archive_path, item.decided
    decision = assessment.decision
    counts = {"messages": 0, "submissions": 0, "values": 0}
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
            None if minimal else message.message_id,
            message.source,
            None if minimal else message.sender,
            None if minimal else message.subject,
            None if minimal else message.date_header,
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
        return counts
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
