"""Intake's plan records travel through XCom as JSON and come back equal; the batch size setting; the Maildir
listing the plan starts from."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from ingestion.domain.records import DeferredNotice, IntakeBatch, SourcePlan

PLANNED_AT = datetime(2009, 7, 22, 1, 2, 3, 456789, tzinfo=UTC)


def _json(data):
    return json.loads(json.dumps(data))


def test_a_batch_and_a_deferred_notice_survive_xcom():
    batch = IntakeBatch(3, "maildir:/srv/mail", PLANNED_AT, ("new/1.a", "cur/2.b:2,S"), None)
    assert IntakeBatch.from_dict(_json(batch.as_dict())) == batch
    imap = IntakeBatch(0, "imap:mx/INBOX", PLANNED_AT, ("17", "18"), 4242)
    assert IntakeBatch.from_dict(_json(imap.as_dict())) == imap
    notice = DeferredNotice("ab" * 32, "new/3.c", "maildir:/srv/mail", PLANNED_AT)
    assert DeferredNotice.from_dict(_json(notice.as_dict())) == notice


def test_the_plan_and_a_batch_outcome_survive_xcom():
    from itreport.orchestration.intake_run import BatchOutcome, IntakeCounts, IntakePlan

    counts = IntakeCounts(seen=5, already_processed=2, states=Counter(accepted=3), reasons=Counter(accepted=3))
    counts.rows_inserted, counts.source, counts.notes = {"messages": 3}, "imap:mx/INBOX", ["UIDVALIDITY changed"]
    plan = IntakePlan([], counts, SourcePlan([], uidvalidity=7, last_uid=99), PLANNED_AT, [("new/4.d", "ef" * 32)])
    back = IntakePlan.from_dict(_json(plan.as_dict(with_batches=False)))
    assert (back.counts, back.source.uidvalidity, back.source.last_uid, back.planned_at) == (counts, 7, 99, PLANNED_AT)
    assert back.duplicates == [("new/4.d", "ef" * 32)]  # the finishing step files a run's duplicate copies
    notice = DeferredNotice("cd" * 32, "18", "imap:mx/INBOX", PLANNED_AT)
    outcome = BatchOutcome(counts, [notice])
    assert BatchOutcome.from_dict(_json(outcome.as_dict())) == outcome


def test_counts_of_batches_add_up():
    from itreport.orchestration.intake_run import IntakeCounts

    total = IntakeCounts()
    for state in ("accepted", "accepted", "ignored"):
        part = IntakeCounts(seen=1, states=Counter([state]), rows_inserted={"messages": 1}, source="maildir:x")
        total.add(part)
    assert (total.seen, total.states, total.rows_inserted) == (3, Counter(accepted=2, ignored=1), {"messages": 3})


def test_batch_size_setting():
    from itreport.config.settings import Settings

    assert Settings.from_env({}).intake_batch_size == 1000
    assert Settings.from_env({"ITREPORT_INTAKE_BATCH_SIZE": "40"}).intake_batch_size == 40
    with pytest.raises(ValueError, match="ITREPORT_INTAKE_BATCH_SIZE"):
        Settings.from_env({"ITREPORT_INTAKE_BATCH_SIZE": "0"})


def test_the_maildir_listing_skips_deliveries_in_progress(tmp_path):
    from ingestion.mailbox.maildir import list_maildir, read_message

    for sub in ("new", "cur", "tmp"):
        (tmp_path / sub).mkdir()
    (tmp_path / "new" / "2.b").write_bytes(b"B")
    (tmp_path / "cur" / "1.a:2,S").write_bytes(b"AA")
    (tmp_path / "new" / ".3.c").write_bytes(b"in progress")
    (tmp_path / "tmp" / "4.d").write_bytes(b"being delivered")
    listed = list_maildir(tmp_path)
    assert [(f.key, f.size) for f in listed] == [("cur/1.a:2,S", 2), ("new/2.b", 1)]
    assert read_message(tmp_path, "new/2.b")[0] == b"B"
    assert read_message(tmp_path, "new/gone") is None


def test_intake_processes_setting():
    import os

    from itreport.config.settings import Settings

    assert Settings.from_env({}).intake_processes == len(os.sched_getaffinity(0))
    assert Settings.from_env({"ITREPORT_INTAKE_PROCESSES": "1"}).intake_processes == 1
    with pytest.raises(ValueError, match="ITREPORT_INTAKE_PROCESSES"):
        Settings.from_env({"ITREPORT_INTAKE_PROCESSES": "0"})
