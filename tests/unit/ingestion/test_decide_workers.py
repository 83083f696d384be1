"""Deciding a batch in worker processes: the same decisions, in the same order, as one message after another."""

from __future__ import annotations

import dataclasses
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from support.mail_builders import MX

from ingestion.decide.classify import confirm_notices, may_hold_word_file
from ingestion.decide.workers import DecideContext, Deciders
from ingestion.domain.catalogue import default_catalogue
from ingestion.domain.periods import DeadlineRule
from ingestion.domain.records import InboundMessage
from ingestion.domain.registry import default_registry
from ingestion.mailbox.headers import to_inbound

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "mail"
RECEIVED = datetime(2009, 7, 10, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def context() -> DecideContext:
    return DecideContext(default_registry(), default_catalogue(), DeadlineRule(), authserv_id=MX, mx_host=MX)


@pytest.fixture(scope="module")
def corpus() -> dict[str, InboundMessage]:
    """The test corpus's agency mail (reports, notices, .doc, hostile files) by file name, received on 10 July 2009."""
    return {
        path.name: to_inbound(path.read_bytes(), source="test", mx_host=MX, received_at=RECEIVED)
        for path in sorted(CORPUS.glob("*.eml"))
    }


@pytest.fixture(scope="module")
def messages(corpus) -> list[InboundMessage]:
    return list(corpus.values())


def _outcome(decided) -> tuple:
    assessment = decided.assessment
    submission = assessment.submission
    values = sorted((v.indicator_code, v.value_number, v.value_text) for v in submission.values) if submission else []
    return dataclasses.astuple(assessment.decision), values, decided.failure


def test_workers_decide_as_one_process_does_in_the_same_order(context, messages):
    with Deciders(context, 1) as alone:
        expected = [_outcome(d) for d in alone.decide(messages)]
    with Deciders(context, 2) as workers:
        pool_pids = {p.pid for p in workers._pool._processes.values()}  # type: ignore[union-attr]
        decided = [_outcome(d) for d in workers.decide(messages)]
    assert len(pool_pids) == 2 and os.getpid() not in pool_pids
    assert decided == expected
    assert [d[0][0] for d in decided] == [m.message_hash for m in messages]
    assert {"accepted", "accepted_notice", "ambiguous", "attachment_too_complex"} <= {d[0][2] for d in decided}


def test_a_notice_is_decided_as_if_its_previous_month_were_accepted(context, corpus):
    """Receipt order is checked afterwards (classify.confirm_notices), so a worker needs no other message: the
    notice whose June report is nowhere is accepted here, and confirm_notices turns it down."""
    notices = [corpus["02_july_notice_after_june.eml"], corpus["03_notice_without_june.eml"]]
    with Deciders(context, 2) as workers:
        decided = [d.assessment for d in workers.decide(notices)]
    assert [a.decision.reason_code for a in decided] == ["accepted_notice", "accepted_notice"]
    confirmed = confirm_notices(decided, frozenset(), context.registry)
    assert [a.decision.reason_code for a in confirmed] == ["notice_without_previous", "notice_without_previous"]
    june = {(a.submission.unit_code, date(2009, 6, 1)) for a in decided if a.submission}
    confirmed = confirm_notices(decided, june, context.registry)
    assert [a.decision.reason_code for a in confirmed] == ["accepted_notice", "accepted_notice"]


def test_an_unexpected_error_is_that_messages_alone(context, messages):
    broken = dataclasses.replace(messages[0], received_at=None)  # intake always sets it: assess asserts it
    batch = [messages[1], broken, messages[2]]
    with Deciders(context, 2) as workers:
        decided = list(workers.decide(batch))
    assert [d.assessment.decision.reason_code for d in decided][1] == "processing_error"
    assert "AssertionError" in decided[1].assessment.decision.reason_en and "Traceback" in (decided[1].failure or "")
    assert decided[0].failure is None and decided[2].failure is None
    assert decided[0].assessment.decision.reason_code != "processing_error"


def _docs_antiword_cannot_place(messages: list[InboundMessage]) -> set[str]:
    from ingestion.decide.classify import attachments, check_attachment
    from ingestion.documents.attachments import AttachmentProblem
    from ingestion.documents.doc_reader import antiword_report, content_key
    from ingestion.mailbox.headers import parse_bytes

    keys = set()
    for message in messages:
        for attachment in attachments(parse_bytes(message.raw)):
            try:
                kind = check_attachment(attachment)
            except AttachmentProblem:
                continue
            if kind == "doc" and antiword_report(attachment.payload, default_catalogue()) is None:
                keys.add(content_key(attachment.payload))
    return keys


def test_a_batchs_doc_files_antiword_cannot_place_are_converted_together(context, messages, tmp_path):
    """Not one LibreOffice start per file: the workers hand such files back, one call converts them all (or finds
    them converted before), and their messages are decided again, as one process converting each alone decides."""
    from ingestion.documents.doc_convert import libreoffice_available
    from ingestion.documents.doc_reader import convert_cached

    if not libreoffice_available():
        pytest.fail("LibreOffice (soffice) is required: `make test` installs it as root")
    asked: list[set[str]] = []

    def convert(documents):
        asked.append(set(documents))
        return convert_cached(documents, tmp_path)

    with Deciders(context, 1) as alone:
        expected = [_outcome(d) for d in alone.decide(messages)]
    with Deciders(context, 2) as workers:
        decided = [_outcome(d) for d in workers.decide(messages, convert=convert)]
    assert decided == expected
    assert asked == [_docs_antiword_cannot_place(messages)] and asked[0]
    assert "accepted" in {decided[i][0][2] for i, m in enumerate(messages) if m.raw.count(b"0M8R4KGxGu")}


def _decide_in_a_daemon(context, messages, results) -> None:
    with Deciders(context, 2) as deciders:
        decided = [d.assessment.decision.reason_code for d in deciders.decide(messages)]
        results.put((deciders._pool is None, decided))


def test_a_daemonic_process_decides_in_its_own_process(context, messages):
    """A Celery prefork worker's task is a daemonic process, which may not start processes of its own."""
    import multiprocessing

    fork = multiprocessing.get_context("fork")
    results = fork.Queue()
    daemon = fork.Process(target=_decide_in_a_daemon, args=(context, messages[:3], results), daemon=True)
    daemon.start()
    in_process, decided = results.get(timeout=120)
    daemon.join()
    with Deciders(context, 1) as alone:
        expected = [d.assessment.decision.reason_code for d in alone.decide(messages[:3])]
    assert daemon.exitcode == 0 and in_process and decided == expected


def test_the_batchs_own_work_runs_while_the_workers_decide(context, messages):
    """``meanwhile`` (an intake batch imports GX there) is called once the workers have every message: it can wait
    for them to finish deciding them all."""
    with Deciders(context, 1) as alone:
        expected = [_outcome(d) for d in alone.decide(messages)]
    left_when_done: list[int] = []
    submitted: list[int] = []
    with Deciders(context, 2) as workers:
        pool = workers._pool
        started = pool._queue_count  # type: ignore[union-attr]  (work items submitted so far: the start's)

        def meanwhile() -> None:
            submitted.append(pool._queue_count - started)  # type: ignore[union-attr]
            give_up = time.monotonic() + 300  # only if the workers never got the messages (then it fails below)
            while pool._pending_work_items and time.monotonic() < give_up:  # type: ignore[union-attr]
                time.sleep(0.01)
            left_when_done.append(len(pool._pending_work_items))  # type: ignore[union-attr]

        decided = [_outcome(d) for d in workers.decide(messages, meanwhile=meanwhile)]
    assert submitted and submitted[0] > 0 and left_when_done == [0]
    assert decided == expected


def test_without_workers_the_batchs_own_work_comes_first_and_once(context, messages):
    order: list[str] = []
    with Deciders(context, 1) as alone:
        for _ in alone.decide(messages, meanwhile=lambda: order.append("meanwhile")):
            order.append("decided")
    assert order == ["meanwhile"] + ["decided"] * len(messages)


def test_a_message_with_a_word_file_may_hold_a_report(corpus):
    raw = {name: message.raw for name, message in corpus.items()}
    for name in ("01_june_report.eml", "05_doc_report.eml", "31_rfc2231_name_octet_stream.eml"):
        assert may_hold_word_file(raw[name]), name
    for name in ("02_july_notice_after_june.eml", "29_thanks.eml", "14_pdf_only.eml"):
        assert not may_hold_word_file(raw[name]), name
