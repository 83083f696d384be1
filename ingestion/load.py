"""Loading intake results into the raw tables, idempotently (keys are message hashes)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date, datetime

import psycopg

from ingestion.decide.reasons import explain
from ingestion.domain.records import Assessment, Decision, ReceivedMessage, ReportValue, Submission, SubmissionKind
from ingestion.domain.resources import package_file

log = logging.getLogger(__name__)
# What the database (or the driver, before sending) refuses about one message's rows; a lost connection
# (OperationalError) is not one message's fault and fails the run.
REFUSED = (psycopg.DatabaseError, ValueError)

RAW_SCHEMA_SQL = package_file("ingestion", "raw_schema.sql")


SCHEMA_LOCK = 0x17E9_0001  # pg advisory lock key: one process creates or upgrades the raw schema at a time
LOAD_LOCK = 0x17E9_0002  # pg advisory lock key: one intake batch loads (and reads what is loaded) at a time


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
        fill_value_arrays(conn)  # a warehouse loaded before raw.submissions had them
        conn.execute("create table if not exists raw.schema_version (version text not null)")
        conn.execute("delete from raw.schema_version")
        conn.execute("insert into raw.schema_version (version) values (%s)", (version,))


def _schema_version(conn: psycopg.Connection) -> str | None:
    if conn.execute("select to_regclass('raw.schema_version')").fetchone()[0] is None:  # type: ignore[index]
        return None
    row = conn.execute("select version from raw.schema_version").fetchone()
    return row[0] if row else None


def known_among(conn: psycopg.Connection, hashes: Collection[str]) -> set[str]:
    """Which of these message hashes the ledger holds (one query, not the whole ledger)."""
    if not hashes:
        return set()
    rows = conn.execute("select message_hash from raw.messages where message_hash = any(%s)", (list(hashes),))
    return {row[0] for row in rows}


def begin_loading(conn: psycopg.Connection) -> datetime:
    """Wait for the load lock (held until this transaction ends), then the time to stamp the loaded rows with.

    Intake batches that run side by side load one at a time: a batch reading raw.submissions after this call sees
    every batch stamped before it, and none stamped after it (they wait until it committed). So a run's submissions
    in ``loaded_at`` order are in the order each became visible to the others."""
    conn.execute("select pg_advisory_xact_lock(%s)", (LOAD_LOCK,))
    return conn.execute("select clock_timestamp()").fetchone()[0]  # type: ignore[index]


def load(
    conn: psycopg.Connection, received: Iterable[ReceivedMessage], *, loaded_at: datetime | None = None
) -> dict[str, int]:
    """Insert each message's ledger row, and its submission and values when accepted. Returns rows inserted.
    ``loaded_at``: the submissions' stamp (:func:`begin_loading`; by default the transaction's start).

    The whole batch goes in with one statement per table; when the database refuses it, each message goes in under
    a savepoint instead: one whose rows the database refuses becomes ``processing_error`` (its ledger row only, the
    refusal kept for staff in ``reason_en``) while the others land, so one poison message never stops intake."""
    items = list(received)
    if not items:
        return dict.fromkeys(("messages", "submissions", "values", "processing_errors"), 0)
    try:
        with conn.transaction(), conn.cursor() as cur:
            return {**_load_many(cur, items, loaded_at), "processing_errors": 0}
    except REFUSED as error:
        if isinstance(error, psycopg.OperationalError):
            raise
        log.info("the batch was refused (%s): loading its %d messages one by one", error, len(items))
    return _load_each(conn, items, loaded_at)


def _load_each(
    conn: psycopg.Connection, received: Iterable[ReceivedMessage], loaded_at: datetime | None
) -> dict[str, int]:
    counts = {"messages": 0, "submissions": 0, "values": 0, "processing_errors": 0}
    for item in received:
        try:
            with conn.transaction(), conn.cursor() as cur:
                inserted = _load_many(cur, [item], loaded_at)
        except REFUSED as error:
            if isinstance(error, psycopg.OperationalError):
                raise
            log.exception("message %s could not be loaded", item.message.message_hash)
            item.assessment = _load_failure(item, error)
            with conn.transaction(), conn.cursor() as cur:
                inserted = _load_many(cur, [item], loaded_at, minimal=True)
            counts["processing_errors"] += 1
        for key, value in inserted.items():
            counts[key] += value
    return counts


def _load_failure(item: ReceivedMessage, error: Exception) -> Assessment:
    state, vi, en = explain("processing_error", detail_en=f"the warehouse refused the message: {error}")
    decision = Decision(item.message.message_hash, state, "processing_error", vi, en)
    decision.unit_code, decision.period = item.decided.decision.unit_code, item.decided.decision.period
    return Assessment(decision)


_MESSAGES_SQL = """
    insert into raw.messages (message_hash, message_id, source, sender, subject, date_header, received_at,
        archive_path, state, reason_code, reason_vi, reason_en, unit_code, period_month, submission_kind)
    select * from unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::timestamptz[],
        %b::timestamptz[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::date[],
        %b::text[])
    on conflict (message_hash) do nothing
"""
_SUBMISSIONS_SQL = """
    insert into raw.submissions (message_hash, unit_code, period_month, submission_kind, received_at, filename,
        same_as_period, difficulties, proposals, loaded_at)
    select *, coalesce(%b::timestamptz, now()) from unnest(%b::text[], %b::text[], %b::date[], %b::text[],
        %b::timestamptz[], %b::text[], %b::date[], %b::text[], %b::text[])
    on conflict (message_hash) do nothing
"""
_VALUES_SQL = """
    insert into raw.submission_values (message_hash, indicator_code, value_text, value_number)
    select * from unnest(%b::text[], %b::text[], %b::text[], %b::numeric[])
    on conflict (message_hash, indicator_code) do nothing
"""


def _load_many(
    cur: psycopg.Cursor, items: Sequence[ReceivedMessage], loaded_at: datetime | None, *, minimal: bool = False
) -> dict[str, int]:
    """The messages' ledger rows, submissions and values, one statement per table (columns as arrays).
    ``minimal``: the ledger rows without the sender's texts (what a refused message still gets)."""
    messages = []
    for item in items:
        message, decision = item.message, item.decided.decision
        messages.append(
            (
                message.message_hash,
                None if minimal else message.message_id,
                message.source,
                None if minimal else message.sender,
                None if minimal else message.subject,
                None if minimal else message.date_header,
                message.received_at,
                str(item.archive_path),
                decision.state.value,
                decision.reason_code,
                decision.reason_vi,
                decision.reason_en,
                decision.unit_code,
                decision.period,
                decision.kind.value if decision.kind else None,
            )
        )
    submissions = [item.decided.submission for item in items if item.decided.submission is not None]
    counts = {"messages": _insert(cur, _MESSAGES_SQL, messages), "submissions": 0, "values": 0}
    if not submissions:
        return counts
    rows = [
        (
            s.message_hash,
            s.unit_code,
            s.period,
            s.kind.value,
            s.received_at,
            s.filename,
            s.same_as_period,
            s.difficulties,
            s.proposals,
        )
        for s in submissions
    ]
    counts["submissions"] = _insert(cur, _SUBMISSIONS_SQL, rows, first=[loaded_at])
    values = [(s.message_hash, v.indicator_code, v.value_text, v.value_number) for s in submissions for v in s.values]
    counts["values"] = _insert(cur, _VALUES_SQL, values)
    fill_value_arrays(cur, [s.message_hash for s in submissions if s.kind == SubmissionKind.REPORT])
    return counts


# A report's values are also kept on its raw.submissions row as three arrays (in indicator order), derived from
# raw.submission_values here only: value warnings read twelve months of a unit as twelve rows, not 336.
_VALUE_ARRAYS_SQL = """
    update raw.submissions s
    set (indicator_codes, value_numbers, value_texts) = (
        select array_agg(v.indicator_code order by v.indicator_code),
            array_agg(v.value_number::float8 order by v.indicator_code),
            array_agg(v.value_text order by v.indicator_code)
        from raw.submission_values v
        where v.message_hash = s.message_hash
    )
    where s.submission_kind = 'report' and s.indicator_codes is null
"""


def fill_value_arrays(conn: psycopg.Connection | psycopg.Cursor, hashes: Sequence[str] | None = None) -> int:
    """Set the value arrays of these reports (``None``: of every report without them) from their values;
    returns rows updated."""
    if hashes is None:
        return conn.execute(_VALUE_ARRAYS_SQL).rowcount
    if not hashes:
        return 0
    return conn.execute(_VALUE_ARRAYS_SQL + " and s.message_hash = any(%s)", (list(hashes),)).rowcount


def _insert(cur: psycopg.Cursor, sql: str, rows: Sequence[tuple], *, first: Sequence[object] = ()) -> int:
    """``rows`` in one statement that unnests one array per column, sent in binary (PostgreSQL reads a binary
    array of tens of thousands of values faster than its text; the same values arrive); returns rows inserted.
    ``first``: the statement's parameters before the columns."""
    if not rows:
        return 0
    cur.execute(sql, [*first, *(list(column) for column in zip(*rows, strict=True))])
    return cur.rowcount


def record_closure(conn: psycopg.Connection, period: date, run_id: str | None) -> None:
    conn.execute(
        "insert into raw.period_closures (period_month, dag_run_id) values (%s, %s) "
        "on conflict (period_month) do nothing",
        (period, run_id),
    )


def accepted_since(conn: psycopg.Connection, since: datetime) -> list[tuple[datetime, str, str, date]]:
    """Submissions loaded from ``since`` on, in receipt order: (received_at, message hash, unit code, period)."""
    rows = conn.execute(
        "select received_at, message_hash, unit_code, period_month from raw.submissions where loaded_at >= %s "
        "order by received_at, message_hash",
        (since,),
    ).fetchall()
    return [(received, digest, unit, period) for received, digest, unit, period in rows]


def iter_reports(
    conn: psycopg.Connection, where: str, params: Sequence[object], chunk_size: int = 500
) -> Iterator[list[Submission]]:
    """Accepted reports whose raw.submissions row meets ``where`` (a condition with its ``params``), with their
    values, in receipt order, ``chunk_size`` reports at a time: a run that loaded the whole history holds one
    chunk's values in memory, not the history's."""
    rows = conn.execute(
        "select message_hash, unit_code, period_month, received_at, filename from raw.submissions "
        f"where submission_kind = 'report' and ({where}) order by received_at, message_hash",
        params,
    ).fetchall()
    for start in range(0, len(rows), max(1, chunk_size)):
        chunk = rows[start : start + max(1, chunk_size)]
        values: dict[str, list[ReportValue]] = {}
        found = conn.execute(
            "select message_hash, indicator_code, value_text, value_number from raw.submission_values "
            "where message_hash = any(%s) order by message_hash, indicator_code",
            ([row[0] for row in chunk],),
        ).fetchall()
        for digest, code, text, number in found:
            values.setdefault(digest, []).append(ReportValue(code, text, float(number) if number is not None else None))
        yield [
            Submission(digest, unit, period, SubmissionKind.REPORT, received, filename, None, values.get(digest, []))
            for digest, unit, period, received, filename in chunk
        ]


def database_now(conn: psycopg.Connection) -> datetime:
    return conn.execute("select now()").fetchone()[0]  # type: ignore[index]
