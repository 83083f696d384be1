"""The accepted (unit, period) pairs intake decides "same as" notices against: the ledger's, as loaded before the
run was planned, asked pair by pair (never the whole history), plus what the run accepted since."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from support.scratch import scratch_settings

pytestmark = [pytest.mark.integration]

JUNE, JULY = date(2009, 6, 1), date(2009, 7, 1)


@pytest.fixture
def conn(settings, tmp_path):
    from ingestion.load import ensure_raw_schema

    scratch = scratch_settings(settings, tmp_path / "home", "accepted_pairs")
    with psycopg.connect(scratch.warehouse_url, autocommit=True) as conn:
        ensure_raw_schema(conn)
        yield conn


def _accept(conn: psycopg.Connection, digest: str, unit: str, period: date, loaded_at: datetime) -> None:
    conn.execute(
        "insert into raw.messages (message_hash, source, archive_path, state, reason_code, reason_vi, reason_en,"
        " unit_code, period_month, submission_kind) values (%s, 'test', '/a', 'accepted', 'accepted', 'v', 'e',"
        " %s, %s, 'report')",
        (digest, unit, period),
    )
    conn.execute(
        "insert into raw.submissions (message_hash, unit_code, period_month, submission_kind, received_at, loaded_at)"
        " values (%s, %s, %s, 'report', %s, %s)",
        (digest, unit, period, loaded_at, loaded_at),
    )


def test_pairs_are_those_loaded_before_the_plan_and_those_added(conn):
    from ingestion.accepted import AcceptedPairs

    planned_at = datetime(2026, 12, 1, tzinfo=UTC)
    _accept(conn, "a" * 64, "P01", JUNE, planned_at - timedelta(days=1))
    _accept(conn, "b" * 64, "P02", JUNE, planned_at + timedelta(seconds=1))  # loaded by this very run
    accepted = AcceptedPairs(conn, planned_at)
    assert ("P01", JUNE) in accepted
    assert ("P02", JUNE) not in accepted
    assert ("P01", JULY) not in accepted
    copied = accepted.copy()
    copied.add(("P01", JULY))
    assert ("P01", JULY) in copied and ("P01", JULY) not in accepted
    assert ("P01", JUNE) in copied
