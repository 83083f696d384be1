"""run_intake over generated months in a scratch database: the ledger agrees with the generator, every message
is accounted for, "same as" notices see the ledger in receipt order, and replies go out once per message."""

from __future__ import annotations

from datetime import date

import pytest
from support.scratch import RecordingSender, delivered_file, mail_files, processed, scratch_settings, unprocessed

from ingestion.domain.periods import format_period

pytestmark = pytest.mark.xdist_group("intake_run")  # one worker runs `intake_run`

PERIODS = [date(2009, 6, 1), date(2009, 7, 1)]
SCRATCH_DB = "itreport_intake_run"


@pytest.fixture(scope="module")
def intake_run(settings, tmp_path_factory):
    import psycopg

    from itreport.demo.sample_mail import generate_mailbox, read_ground_truth
    from itreport.notify.replies import send_pending_replies
    from itreport.orchestration.intake_run import run_intake

    scratch = scratch_settings(settings, tmp_path_factory.mktemp("intake-home"), SCRATCH_DB)
    for period in PERIODS:
        generate_mailbox(scratch.maildir, period, units=30, with_doc=False)
    first = run_intake(scratch)
    second = run_intake(scratch)
    sender = RecordingSender()
    replies = send_pending_replies(scratch, sender)
    again = send_pending_replies(scratch, RecordingSender())
    expected = [
        row
        for period in PERIODS
        for row in read_ground_truth(scratch.maildir.parent / f"messages-{format_period(period)}.csv")
    ]
    with psycopg.connect(scratch.warehouse_url) as conn:
        ledger = conn.execute("select message_hash, state, reason_code from raw.messages").fetchall()
        reply_rows = conn.execute("select message_hash, reply_kind, recipient from raw.replies").fetchall()
        warnings = conn.execute("select message_hash, indicator_code, warning_code from raw.value_warnings").fetchall()
    yield {
        "settings": scratch,
        "first": first,
        "second": second,
        "ledger": {h: (state, reason) for h, state, reason in ledger},
        "expected": expected,
        "sender": sender,
        "replies": replies,
        "again": again,
        "reply_rows": reply_rows,
        "warnings": warnings,
    }


def test_every_message_is_accounted_for(intake_run):
    scratch = intake_run["settings"]
    files = mail_files(scratch.maildir)
    archived = list(scratch.archive_dir.rglob("*.eml"))
    states = intake_run["first"].states
    assert len(files) == len(archived) == len(intake_run["ledger"]) == sum(states.values())
    assert sum(states.values()) == states["accepted"] + states["quarantined"] + states["ignored"]
    assert unprocessed(scratch.maildir) == [] and len(processed(scratch.maildir)) == len(files)
    second = intake_run["second"]  # every file was filed as processed: nothing left to read
    assert (second.seen, second.already_processed, sum(second.states.values())) == (0, 0, 0)


def test_ledger_matches_the_generator(intake_run):
    from ingestion.mailbox.archive import message_hash

    scratch = intake_run["settings"]
    for row in intake_run["expected"]:
        raw = delivered_file(scratch.maildir, row["file"]).read_bytes()
        state, reason = intake_run["ledger"][message_hash(raw)]
        assert state == row["expected_state"], (row, reason)
        if state != "accepted":
            assert reason == row["reason_code"], row


def test_value_warnings_match_the_generator(intake_run):
    """The July typo and unchanged report, each with its one warning; nothing else."""
    from ingestion.mailbox.archive import message_hash
    from itreport.demo.sample_mail import warning_pairs

    scratch = intake_run["settings"]
    expected = [
        (message_hash(delivered_file(scratch.maildir, row["file"]).read_bytes()), indicator, code)
        for row in intake_run["expected"]
        for code, indicator in warning_pairs(row["expected_warnings"])
    ]
    assert {code for _, _, code in expected} == {"jump", "same_as_last_month"}
    assert sorted(intake_run["warnings"]) == sorted(expected)


def test_july_notices_were_judged_against_june(intake_run):
    reasons = intake_run["first"].reasons
    assert reasons["accepted_notice"] >= 1
    assert "notice_without_previous" not in reasons  # the generator only lets units with June accepted send one


def test_replies_go_out_once_per_decided_message(intake_run):
    ledger = intake_run["ledger"]
    decided = [h for h, (state, reason) in ledger.items() if state != "ignored"]
    replies, sent = intake_run["replies"], intake_run["sender"].sent
    assert replies["receipt"] + replies["rejection"] == len(sent) == len(intake_run["reply_rows"])
    assert replies["receipt"] == sum(state == "accepted" for state, _ in ledger.values())
    assert len(sent) + replies["no_reply"] == len(decided)
    assert intake_run["again"] == {
        "receipt": 0,
        "rejection": 0,
        "no_reply": replies["no_reply"],
        "withheld": 0,
        "claimed_elsewhere": 0,
    }
    receipts = [m for m in sent if m["subject"].startswith("Đã nhận")]
    assert any("ĐÚNG HẠN" in m["html_content"] for m in receipts)
    assert any("MUỘN" in m["html_content"] for m in receipts)
    rejections = [m for m in sent if m["subject"].startswith("Chưa tiếp nhận")]
    assert rejections and all("Lý do và cách khắc phục" in m["html_content"] for m in rejections)
    assert all(m["custom_headers"]["Auto-Submitted"] == "auto-replied" for m in sent)


def test_backfilled_mail_gets_no_reply_then_or_later(settings, tmp_path):
    """Mail older than the reply window (a backfill) is recorded as withheld and never answered, even once the
    window is lifted; recent mail is answered."""
    import dataclasses
    from datetime import timedelta

    import psycopg

    from itreport.demo.sample_mail import generate_mailbox
    from itreport.notify.replies import send_pending_replies
    from itreport.orchestration.intake_run import run_intake

    scratch = dataclasses.replace(scratch_settings(settings, tmp_path, "itreport_reply_window"), notify_max_age_days=30)
    generate_mailbox(scratch.maildir, PERIODS[0], units=8, with_doc=False)
    run_intake(scratch)
    with psycopg.connect(scratch.warehouse_url) as conn:
        ((first, last),) = conn.execute("select min(received_at), max(received_at) from raw.messages")
    cut = first + (last - first) / 2
    result = send_pending_replies(scratch, sender := RecordingSender(), now=cut + timedelta(days=30))
    lifted = send_pending_replies(dataclasses.replace(scratch, notify_max_age_days=None), later := RecordingSender())
    assert result["withheld"] >= 1 and len(sender.sent) == result["receipt"] + result["rejection"] >= 1
    assert later.sent == [] and lifted["withheld"] == 0
    with psycopg.connect(scratch.warehouse_url) as conn:
        rows = conn.execute(
            "select m.received_at < %s, r.withheld_reason is not null from raw.replies r join raw.messages m using "
            "(message_hash)",
            (cut,),
        ).fetchall()
    assert all(too_old == withheld for too_old, withheld in rows)
    assert sum(withheld for _, withheld in rows) == result["withheld"]


def test_audit_of_a_period_reads_that_period(intake_run):
    """The audit of one period counts and checks that period's messages and archive files only; the whole audit
    still lists the whole archive."""
    import psycopg

    from ingestion.mailbox.archive import archived_path
    from itreport.orchestration.audit import audit

    scratch = intake_run["settings"]
    with psycopg.connect(scratch.warehouse_url) as conn:
        per_period = dict(
            conn.execute("select period_month, count(*) from raw.messages group by period_month").fetchall()
        )
        july = conn.execute("select message_hash from raw.messages where period_month = %s", (PERIODS[1],)).fetchone()
    june_report = audit(scratch, PERIODS[0])
    assert june_report.ok, june_report.lines()
    assert june_report.messages == june_report.archived == per_period[PERIODS[0]]
    assert audit(scratch).archived == sum(per_period.values())
    moved = archived_path(july[0], scratch.archive_dir)
    aside = moved.with_suffix(".aside")
    moved.rename(aside)
    try:
        assert audit(scratch, PERIODS[0]).ok  # June's audit never looks at July's files
        july_report = audit(scratch, PERIODS[1])
        assert [p.code for p in july_report.problems] == ["archive_missing"]
        assert july_report.archived == july_report.messages - 1
    finally:
        aside.rename(moved)
