"""The reports ledger on a real PostgreSQL: versions by content, one decision each, archived files owner-only."""

from __future__ import annotations

import hashlib

import pytest

pytestmark = pytest.mark.xdist_group("reports_ledger")


@pytest.fixture(scope="module")
def conn_and_root(settings, tmp_path_factory):
    import psycopg
    from support.scratch import scratch_settings

    from ingestion.load import ensure_raw_schema

    scratch = scratch_settings(settings, tmp_path_factory.mktemp("ledger"), "itreport_ledger")
    with psycopg.connect(scratch.warehouse_url, autocommit=True) as conn:
        ensure_raw_schema(conn)
        yield conn, scratch.home / "reports"


def test_same_bytes_same_version_other_bytes_next_version(conn_and_root):
    from itreport.reports import ledger

    conn, root = conn_and_root
    first, new = ledger.register(conn, root, "annual_evaluation", "2010", "danh-gia-2010.docx", b"one", "run-1")
    assert new and first.version == 1 and first.sha256 == hashlib.sha256(b"one").hexdigest()
    again, new_again = ledger.register(conn, root, "annual_evaluation", "2010", "danh-gia-2010.docx", b"one", "run-2")
    assert not new_again and again.version == 1 and again.dag_run_id == "run-1"
    corrected, new_corrected = ledger.register(conn, root, "annual_evaluation", "2010", "danh-gia-2010.docx", b"two")
    assert new_corrected and corrected.version == 2
    assert first.archive_path.read_bytes() == b"one" and corrected.archive_path.read_bytes() == b"two"
    assert corrected.archive_path.name == "v2-danh-gia-2010.docx" and corrected.file_name == "danh-gia-2010.docx"
    assert corrected.archive_path.stat().st_mode & 0o777 == 0o600
    for folder in (corrected.archive_path.parent, root / "annual_evaluation", root):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    assert [v.version for v in ledger.history(conn, "annual_evaluation", "2010")] == [1, 2]
    assert ledger.find(conn, "annual_evaluation", "2010").version == 2


def test_a_decision_is_recorded_once(conn_and_root):
    from itreport.reports import ledger

    conn, root = conn_and_root
    version, _ = ledger.register(conn, root, "government_monthly", "2009-08", "b.docx", b"briefing")
    rejected = ledger.record_decision(conn, "government_monthly", "2009-08", version.version, "rejected", "a", "sai")
    later = ledger.record_decision(conn, "government_monthly", "2009-08", version.version, "approved", "b", "")
    assert (rejected.decision, rejected.comment) == ("rejected", "sai")
    assert (later.decision, later.decided_by, later.comment) == ("rejected", "a", "sai")
    with pytest.raises(ValueError):
        ledger.record_decision(conn, "government_monthly", "2009-08", version.version, "maybe", "c", "")


def test_decision_from_the_hitl_answer():
    from itreport.reports.approval import decision_from_hitl, needs_decision

    answer = {
        "chosen_options": ["Reject"],
        "params_input": {"comment": " Thiếu tỉnh "},
        "responded_by_user": {"id": "u1", "name": "Nguyễn Văn A"},
    }
    decision = decision_from_hitl(answer)
    assert decision is not None and not decision.approved
    assert (decision.decided_by, decision.comment) == ("Nguyễn Văn A", "Thiếu tỉnh")
    assert decision_from_hitl({"chosen_options": ["Approve"]}).approved
    assert decision_from_hitl(None) is None and decision_from_hitl({"chosen_options": []}) is None
    assert needs_decision({"decision": None}) and not needs_decision({"decision": "approved"})
