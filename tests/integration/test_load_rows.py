"""What ``ingestion.load.load`` stores is what the texts and numbers were: each column arrives as the value a
query parameter of its type gives (numbers as float8 made numeric, text without NUL characters, exact times)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from support.scratch import scratch_settings

from ingestion.domain.records import (
    Assessment,
    Decision,
    InboundMessage,
    MessageState,
    ReceivedMessage,
    ReportValue,
    Submission,
    SubmissionKind,
)

pytestmark = [pytest.mark.integration]

JUNE = date(2009, 6, 1)
NUMBERS = [0.1 + 0.2, 1 / 3, 1e-7, 12_345_678_901_234.5, 1e300, -0.0, 7.0, None]


@pytest.fixture
def conn(settings, tmp_path):
    from ingestion.load import ensure_raw_schema
    from itreport.config import warehouse

    scratch = scratch_settings(settings, tmp_path / "home", "load_rows")
    with warehouse.connect(scratch, autocommit=True) as conn:
        ensure_raw_schema(conn)
        yield conn


def _received(digest: str, *, values: list[ReportValue] | None, message_id: str | None) -> ReceivedMessage:
    received = datetime(2009, 6, 17, 9, 25, 2, 123456, tzinfo=UTC)
    message = InboundMessage(digest, b"", message_id, "a@b.example", "Báo cáo\x00 6", None, received, "test")
    state = MessageState.ACCEPTED if values is not None else MessageState.IGNORED
    decision = Decision(digest, state, "accepted", "vi\x00", "en", "P01", JUNE, SubmissionKind.REPORT)
    submission = None
    if values is not None:
        submission = Submission(digest, "P01", JUNE, SubmissionKind.REPORT, received, "f.docx", None, values)
    return ReceivedMessage(message, Path("/archive") / digest, Assessment(decision, submission))


def test_rows_hold_the_values_as_parameters_of_their_types_give_them(conn):
    from ingestion.load import load

    values = [ReportValue(f"C{i}", None if n is None else f"t{i}\x00", n) for i, n in enumerate(NUMBERS)]
    counts = load(
        conn, [_received("a" * 64, values=values, message_id=None), _received("b" * 64, values=None, message_id=None)]
    )
    assert counts == {"messages": 2, "submissions": 1, "values": len(NUMBERS), "processing_errors": 0}
    stored = conn.execute(
        "select indicator_code, value_text, value_number from raw.submission_values order by indicator_code"
    ).fetchall()
    expected = [
        (f"C{i}", None if n is None else f"t{i}", conn.execute("select %s::float8::numeric", (n,)).fetchone()[0])
        for i, n in enumerate(NUMBERS)
    ]
    assert stored == expected
    arrays = conn.execute("select indicator_codes, value_numbers, value_texts from raw.submissions").fetchone()
    assert arrays == tuple(list(column) for column in zip(*_as_floats(stored), strict=True))
    ledger = conn.execute(
        "select message_id, subject, received_at, reason_vi, period_month from raw.messages order by message_hash"
    ).fetchall()
    assert ledger == [(None, "Báo cáo 6", datetime(2009, 6, 17, 9, 25, 2, 123456, tzinfo=UTC), "vi", JUNE)] * 2


def test_a_batch_whose_columns_are_all_blank_loads(conn):
    from ingestion.load import load

    counts = load(conn, [_received("c" * 64, values=[ReportValue("C1", None, None)], message_id=None)])
    assert counts["values"] == 1
    assert conn.execute("select value_text, value_number from raw.submission_values").fetchall() == [(None, None)]


def test_loading_again_inserts_nothing(conn):
    from ingestion.load import load

    batch = [_received("d" * 64, values=[ReportValue("C1", "1", 1.0)], message_id="<m@x>")]
    assert load(conn, batch)["values"] == 1
    assert load(conn, batch) == {"messages": 0, "submissions": 0, "values": 0, "processing_errors": 0}


def _as_floats(rows: list[tuple]) -> list[tuple]:
    """(code, text, number) rows as the value arrays hold them: (code, number as float8, text)."""
    return [(code, None if number is None else float(number), text) for code, text, number in rows]


def test_a_warehouse_loaded_before_the_value_arrays_gets_them_once_on_upgrade(conn):
    """Reports loaded before raw.submissions had its value arrays get them from raw.submission_values when the
    schema is upgraded; a "same as" notice (no values) has none."""
    from ingestion.load import ensure_raw_schema, load

    values = [ReportValue("C2", "2", 2.0), ReportValue("C1", "một", None)]
    notice = _received("f" * 64, values=[], message_id=None)
    notice.decided.decision.kind = notice.decided.submission.kind = SubmissionKind.SAME_AS_NOTICE
    load(conn, [_received("e" * 64, values=values, message_id=None), notice])
    conn.execute("update raw.submissions set indicator_codes = null, value_numbers = null, value_texts = null")
    conn.execute("delete from raw.schema_version")  # as a warehouse of the version before
    ensure_raw_schema(conn)
    rows = conn.execute(
        "select submission_kind, indicator_codes, value_numbers, value_texts from raw.submissions order by 1"
    ).fetchall()
    assert rows == [("report", ["C1", "C2"], [None, 2.0], ["một", "2"]), ("same_as_notice", None, None, None)]
