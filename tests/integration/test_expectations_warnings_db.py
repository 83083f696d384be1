"""Value warnings read the unit's history from the raw tables and land in raw.value_warnings, idempotently."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ingestion.domain.catalogue import default_catalogue
from ingestion.domain.periods import add_months
from ingestion.domain.records import ReportValue, Submission, SubmissionKind
from ingestion.load import fill_value_arrays

pytestmark = pytest.mark.integration

CATALOGUE = default_catalogue()
PERIOD = date(2008, 7, 1)  # before the first real period: never collides with other tests' data
PREFIX = "test-value-warnings-"


def _submission(key: str, period: date, **numbers: float) -> Submission:
    values = []
    for indicator in CATALOGUE.indicators:
        if indicator.value_type == "text":
            values.append(ReportValue(indicator.indicator_code, "http://x.gov.vn", None))
            continue
        number = numbers.get(
            indicator.indicator_code.replace(".", "_"), 1.0 if indicator.value_type == "yes_no" else 50.0
        )
        values.append(ReportValue(indicator.indicator_code, str(number), number))
    received = datetime(period.year, period.month, 10, tzinfo=UTC)
    return Submission(PREFIX + key, "P02", period, SubmissionKind.REPORT, received, values=values)


def _insert(conn, submission: Submission) -> None:
    conn.execute(
        "insert into raw.messages (message_hash, source, archive_path, state, reason_code, reason_vi, reason_en, "
        "unit_code, period_month, submission_kind) values (%s, 'test', '-', 'accepted', 'accepted', '-', '-', %s, %s, "
        "'report')",
        (submission.message_hash, submission.unit_code, submission.period),
    )
    conn.execute(
        "insert into raw.submissions (message_hash, unit_code, period_month, submission_kind, received_at) "
        "values (%s, %s, %s, 'report', %s)",
        (submission.message_hash, submission.unit_code, submission.period, submission.received_at),
    )
    for value in submission.values:
        conn.execute(
            "insert into raw.submission_values values (%s, %s, %s, %s)",
            (submission.message_hash, value.indicator_code, value.value_text, value.value_number),
        )
    fill_value_arrays(conn, [submission.message_hash])


def _cleanup(conn) -> None:
    for table in ("value_warnings", "submission_values", "submissions", "messages"):
        conn.execute(f"delete from raw.{table} where message_hash like %s", (PREFIX + "%",))


@pytest.fixture
def history(warehouse_conn):
    from ingestion.load import ensure_raw_schema

    ensure_raw_schema(warehouse_conn)
    _cleanup(warehouse_conn)
    for back, officials in zip(range(12, 0, -1), range(1000, 1120, 10), strict=True):
        _insert(warehouse_conn, _submission(f"h{back}", add_months(PERIOD, -back), **{"3_1": float(officials)}))
    yield warehouse_conn
    _cleanup(warehouse_conn)


def test_history_comes_from_the_units_accepted_reports(history):
    from expectations.value_warnings import unit_history

    past = unit_history(history, "P02", PERIOD)
    assert sorted(past) == [add_months(PERIOD, -back) for back in range(12, 0, -1)]
    assert past[add_months(PERIOD, -1)]["3.1"][0] == 1110.0
    assert unit_history(history, "P02", add_months(PERIOD, -12)) == {}


def test_warnings_are_stored_once_and_never_touch_the_ledger(history):
    from expectations.value_warnings import record_value_warnings

    report = _submission("now", PERIOD, **{"3_1": 99000.0, "3_3": 95.0})
    _insert(history, report)
    assert record_value_warnings(history, [report], CATALOGUE, jump_points=30) == 4
    assert record_value_warnings(history, [report], CATALOGUE, jump_points=30) == 0
    rows = history.execute(
        "select indicator_code, warning_code, value, expected_low < 1110 and expected_high < 99000, message_en "
        "from raw.value_warnings where message_hash = %s order by 1, 2",
        (report.message_hash,),
    ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [
        ("3.1", "outlier_minmax"),
        ("3.1", "outlier_zscore"),
        ("3.3", "jump"),
        ("3.3", "outlier_minmax"),
    ]
    assert rows[0][2] == 99000 and rows[0][3] is True
    assert "indicator 3.3" in rows[2][4]
    state = history.execute("select state from raw.messages where message_hash = %s", (report.message_hash,))
    assert state.fetchone() == ("accepted",)


def test_an_unchanged_full_report_is_flagged(history):
    from expectations.value_warnings import record_value_warnings

    report = _submission("same", PERIOD, **{"3_1": 1110.0})
    _insert(history, report)
    assert record_value_warnings(history, [report], CATALOGUE, jump_points=30) == 1
    row = history.execute(
        "select indicator_code, warning_code from raw.value_warnings where message_hash = %s", (report.message_hash,)
    ).fetchone()
    assert row == ("*", "same_as_last_month")


def test_a_runs_reports_are_read_a_chunk_at_a_time_in_receipt_order(history):
    from ingestion.load import iter_reports

    since = history.execute(
        "select min(loaded_at) from raw.submissions where message_hash like %s", (PREFIX + "%",)
    ).fetchone()[0]
    chunks = list(iter_reports(history, "loaded_at >= %s", (since,), chunk_size=5))
    assert chunks and all(0 < len(chunk) <= 5 for chunk in chunks)
    ours = [report for chunk in chunks for report in chunk if report.message_hash.startswith(PREFIX)]
    assert [report.message_hash for report in ours] == [PREFIX + f"h{back}" for back in range(12, 0, -1)]
    assert {len(report.values) for report in ours} == {len(CATALOGUE.indicators)}
    expected = _submission("h1", add_months(PERIOD, -1), **{"3_1": 1110.0}).values
    assert ours[-1].values == sorted(expected, key=lambda value: value.indicator_code)
    at_once = [
        report for chunk in iter_reports(history, "loaded_at >= %s", (since,), chunk_size=100_000) for report in chunk
    ]
    assert [report for report in at_once if report.message_hash.startswith(PREFIX)] == ours


@pytest.fixture(scope="module")
def long_history(settings, warehouse_conn, tmp_path_factory):
    """Its own database: five and a half years of synthetic reports of every registry unit."""
    from dbt_scratch import load_reports, scratch_database

    tmp = tmp_path_factory.mktemp("value-history")
    with scratch_database(settings, warehouse_conn, "itreport_value_history", tmp) as database:
        load_reports(database["conn"], "2009-06-01", "2014-12-01")
        yield database["conn"]


def test_a_months_histories_are_read_through_the_unit_period_index(long_history):
    """A month's reports read their units' last twelve months of raw.submissions, not the whole history (the rows
    the EXPLAIN ANALYZE plan read, not timings)."""
    from dbt_scratch import rows_read

    from expectations.outliers import HISTORY_MONTHS
    from expectations.value_warnings import _HISTORY_SQL

    period = date(2015, 1, 1)
    units = [unit for (unit,) in long_history.execute("select distinct unit_code from raw.submissions order by 1")]
    args = (units, [period] * len(units), [add_months(period, -HISTORY_MONTHS)] * len(units))
    plan = long_history.execute("explain (analyze, format json) " + _HISTORY_SQL, args).fetchone()[0][0]["Plan"]
    read, kinds = rows_read(plan, "submissions")
    (total,) = long_history.execute("select count(*) from raw.submissions").fetchone()
    assert read == len(units) * HISTORY_MONTHS, (read, total, kinds)
    assert "Seq Scan" not in kinds, kinds


def test_a_months_latest_receipt_is_its_history(long_history):
    """Of two reports of one month, the later receipt is the month's history (the smaller hash at equal times)."""
    from expectations.value_warnings import unit_histories

    conn = long_history
    unit, month = conn.execute("select unit_code, period_month from raw.submissions limit 1").fetchone()
    (first,) = conn.execute(
        "select received_at from raw.submissions where unit_code = %s and period_month = %s", (unit, month)
    ).fetchone()
    later = {
        "zz-later": first + timedelta(days=1),
        "00-tie": first + timedelta(days=2),
        "ff-tie": first + timedelta(days=2),
    }
    for digest, received in later.items():
        conn.execute(
            "insert into raw.messages (message_hash, source, archive_path, state, reason_code, reason_vi, reason_en,"
            " unit_code, period_month, submission_kind) values (%s, 'test', '-', 'accepted', 'accepted', '-', '-',"
            " %s, %s, 'report')",
            (digest, unit, month),
        )
        conn.execute(
            "insert into raw.submissions (message_hash, unit_code, period_month, submission_kind, received_at)"
            " values (%s, %s, %s, 'report', %s)",
            (digest, unit, month, received),
        )
        conn.execute("insert into raw.submission_values values (%s, '3.1', %s, %s)", (digest, digest, 7.0))
    fill_value_arrays(conn, list(later))
    try:
        histories = unit_histories(conn, [(unit, add_months(month, 1)), (unit, add_months(month, 2))])
        assert histories[(unit, add_months(month, 1))][month] == {"3.1": (7.0, "00-tie")}
        assert histories[(unit, add_months(month, 2))][month] == {"3.1": (7.0, None)}  # texts: last month's only
    finally:
        for table in ("submission_values", "submissions", "messages"):
            conn.execute(f"delete from raw.{table} where message_hash = any(%s)", (list(later),))
