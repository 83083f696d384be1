"""The corpus of real-shaped agency mail (tests/corpus, made by make_corpus.py) through run_intake: every
message ends where expected.csv says, values load as typed, and messages in = archived = ledger."""

from __future__ import annotations

import csv
import dataclasses
import shutil
from pathlib import Path

import pytest
from support.mail_builders import MX, oversized_message
from support.scratch import RecordingSender, delivered_name, processed, scratch_settings

from ingestion.mailbox.archive import message_hash

pytestmark = pytest.mark.xdist_group("intake_corpus")  # one worker runs `corpus_run`

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
OVERSIZED = "34_oversized_50mb.eml"


@pytest.fixture(scope="module")
def corpus_run(settings, tmp_path_factory):
    import psycopg

    from itreport.notify.replies import send_pending_replies
    from itreport.orchestration.intake_run import run_intake

    home = tmp_path_factory.mktemp("corpus-home")
    scratch = dataclasses.replace(scratch_settings(settings, home, "itreport_corpus"), authserv_id=MX)
    inbox = scratch.maildir / "new"
    inbox.mkdir(parents=True)
    for path in sorted((CORPUS / "mail").glob("*.eml")):
        shutil.copy(path, inbox / path.name)
    (inbox / OVERSIZED).write_bytes(oversized_message())
    with (CORPUS / "expected.csv").open(encoding="utf-8", newline="") as handle:
        expected = list(csv.DictReader(handle))
    expected.append(
        {"file": OVERSIZED, "expected_state": "quarantined", "reason_code": "attachment_too_large",
         "unit_code": "BCT", "period": "2009-07", "values": ""}
    )  # fmt: skip
    counts = run_intake(scratch)
    sender = RecordingSender()
    replies = send_pending_replies(scratch, sender)
    with psycopg.connect(scratch.warehouse_url) as conn:
        ledger = {
            row[0]: row[1:]
            for row in conn.execute(
                "select message_hash, state, reason_code, unit_code, to_char(period_month, 'YYYY-MM'), reason_vi "
                "from raw.messages"
            )
        }
        submissions = {
            row[0]: row[1:] for row in conn.execute("select message_hash, unit_code, received_at from raw.submissions")
        }
        values = {
            (h, code): text
            for h, code, text in conn.execute(
                "select message_hash, indicator_code, value_text from raw.submission_values"
            )
        }
        dump = " ".join(str(row) for row in conn.execute("select * from raw.messages"))
    assert list(inbox.iterdir()) == []  # every message recorded, whatever its verdict, is filed as processed
    files = {delivered_name(path): path.read_bytes() for path in processed(scratch.maildir)}
    return {
        "settings": scratch,
        "counts": counts,
        "expected": expected,
        "ledger": ledger,
        "submissions": submissions,
        "values": values,
        "files": files,
        "dump": dump,
        "sender": sender,
        "replies": replies,
    }


def test_corpus_is_big_enough(corpus_run):
    assert len(corpus_run["expected"]) >= 30
    assert {row["file"] for row in corpus_run["expected"]} == set(corpus_run["files"])


def test_every_message_ends_as_expected(corpus_run):
    ledger, files = corpus_run["ledger"], corpus_run["files"]
    for row in corpus_run["expected"]:
        state, reason, unit, period, reason_vi = ledger[message_hash(files[row["file"]])]
        assert state == row["expected_state"], (row, reason, reason_vi)
        if row["reason_code"] != "duplicate":
            assert reason == row["reason_code"], (row, reason_vi)
        assert (unit or "") == row["unit_code"], row
        if row["period"]:
            assert period == row["period"], row


def test_messages_in_equal_archived_equal_decided(corpus_run):
    files, counts = corpus_run["files"], corpus_run["counts"]
    archived = list(corpus_run["settings"].archive_dir.rglob("*.eml"))
    distinct = {message_hash(raw) for raw in files.values()}
    assert len(distinct) == len(archived) == len(corpus_run["ledger"]) == sum(counts.states.values())
    assert len(files) == sum(counts.states.values()) + counts.already_processed
    assert (
        sum(counts.states.values())
        == counts.states["accepted"] + counts.states["quarantined"] + counts.states["ignored"]
    )


def test_values_load_as_typed(corpus_run):
    files, values = corpus_run["files"], corpus_run["values"]
    checked = 0
    for row in corpus_run["expected"]:
        for pair in filter(None, row["values"].split(";")):
            code, text = pair.split("=", 1)
            assert values[(message_hash(files[row["file"]]), code)] == text, row
            checked += 1
    assert checked >= 8


def test_receipt_time_not_date_header_decides_lateness(corpus_run):
    from ingestion.domain.periods import DeadlineRule, parse_period

    rule, files, submissions = DeadlineRule(), corpus_run["files"], corpus_run["submissions"]
    july = parse_period("2009-07")

    def on_time(name: str) -> bool:
        return rule.is_on_time(submissions[message_hash(files[name])][1], july)

    assert not on_time("18_date_before_receipt_after.eml")
    assert on_time("19_last_second.eml")
    assert not on_time("20_first_late_second.eml")


def test_corrections_keep_both_reports(corpus_run):
    files, submissions = corpus_run["files"], corpus_run["submissions"]
    for name in ("22_message_id_first.eml", "23_message_id_again_corrected.eml"):
        assert message_hash(files[name]) in submissions


def test_xxe_did_not_leak(corpus_run):
    assert "root:" not in corpus_run["dump"]
    assert not any("root:" in str(v) for v in corpus_run["values"].values())


def test_each_decided_message_got_one_reply(corpus_run):
    states = [state for state, *_ in corpus_run["ledger"].values()]
    replies = corpus_run["replies"]
    assert replies["receipt"] == states.count("accepted")
    assert replies["receipt"] + replies["rejection"] + replies["no_reply"] == len(states) - states.count("ignored")
    to_forged = [m for m in corpus_run["sender"].sent if "smtp.spoof" in str(m)]
    assert not to_forged
