"""Receipts and rejections to agencies: what they say, to whom, and by when to fix."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from ingestion.domain.periods import DeadlineRule
from ingestion.domain.registry import default_registry
from itreport.notify.replies import LedgerEntry, compose_reply

RULE = DeadlineRule()
JUNE = date(2009, 6, 1)
ADDRESS = default_registry().get("P02").contact_email
ACCEPTED = LedgerEntry(
    message_hash="h1",
    message_id="<m1@hagiang.gov.example>",
    sender=ADDRESS,
    subject="Báo cáo CNTT tháng 6",
    state="accepted",
    reason_code="accepted",
    reason_vi="Đã tiếp nhận báo cáo tháng 2009-06 của Tỉnh Hà Giang.",
    unit_code="P02",
    period=JUNE,
    received_at=datetime(2009, 6, 21, 16, 59, 59, tzinfo=UTC),
    submission_kind="report",
    filename="Báo cáo tháng 6.docx",
    same_as_period=None,
    values_read=42,
)
REJECTED = replace(
    ACCEPTED,
    state="quarantined",
    reason_code="macro_attachment",
    reason_vi="Tệp đính kèm bc.docm có chứa macro nên không được mở.",
    submission_kind=None,
    filename=None,
    values_read=0,
)


def test_receipt_says_what_was_read_and_on_time():
    reply = compose_reply(ACCEPTED, RULE)
    assert reply.kind == "receipt" and reply.to == ADDRESS
    assert "06/2009" in reply.subject and "Tỉnh Hà Giang" in reply.subject
    assert "Báo cáo tháng 6.docx" in reply.html and "42" in reply.html
    assert "ĐÚNG HẠN" in reply.html and "00:00 ngày 22/06/2009" in reply.html
    assert reply.headers["In-Reply-To"] == "<m1@hagiang.gov.example>"


def test_receipt_of_a_late_report_says_how_late():
    late = replace(ACCEPTED, received_at=datetime(2009, 6, 23, 2, 0, tzinfo=UTC))
    assert "MUỘN 2 ngày" in compose_reply(late, RULE).html


def test_rejection_says_what_to_fix_and_by_when():
    reply = compose_reply(REJECTED, RULE, now=datetime(2009, 6, 15, tzinfo=UTC))
    assert reply.kind == "rejection" and reply.to == ADDRESS
    assert "macro" in reply.html and "trước 00:00 ngày 22/06/2009" in reply.html
    after = compose_reply(REJECTED, RULE, now=datetime(2009, 6, 25, tzinfo=UTC))
    assert "đã qua" in after.html


def test_unauthenticated_mail_is_answered_at_the_registered_address_only():
    forged = replace(REJECTED, sender="attacker@evil.example", reason_code="sender_not_authenticated")
    assert compose_reply(forged, RULE).to == ADDRESS
    assert compose_reply(replace(forged, unit_code=None), RULE) is None


def test_ignored_mail_gets_no_reply():
    assert compose_reply(replace(ACCEPTED, state="ignored", reason_code="not_a_submission"), RULE) is None
