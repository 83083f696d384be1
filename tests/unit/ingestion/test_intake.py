"""Deciding single messages: sender, receipt time, report vs notice vs other, and the reasons given."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial

import pytest
from support.mail_builders import MX
from support.mail_builders import message as build_message

from ingestion.decide.classify import assess, word_kind
from ingestion.domain.catalogue import default_catalogue
from ingestion.domain.periods import DeadlineRule
from ingestion.domain.records import MessageState, SubmissionKind
from ingestion.domain.registry import default_registry
from ingestion.mailbox.headers import receipt_time, to_inbound

RULE = DeadlineRule()
HA_GIANG = "P02"


# A message from a sender whose server writes no Authentication-Results, its file sent as octet-stream.
_message = partial(
    build_message,
    body="Kính gửi Cục Ứng dụng CNTT.",
    filename="Báo cáo tháng 6.docx",
    content_type="application/octet-stream",
    auth=None,
    subject="Báo cáo CNTT",
    display_name="Văn phòng",
)


def _decide(raw: bytes, **options):
    message = to_inbound(raw, source="test", mx_host=MX)
    return message, assess(
        message, registry=default_registry(), catalogue=default_catalogue(), deadline=RULE, **options
    )


def _form(unit_code: str, period: date, **values: str) -> bytes:
    from ingestion.documents.form import build_form

    filled = {i.indicator_code: _plausible(i) for i in default_catalogue().indicators}
    filled.update(values)
    return build_form(default_registry().get(unit_code), period, filled)


def _plausible(indicator) -> str:
    return {"yes_no": "Có", "text": "https://hagiang.gov.example", "percent": "55,5"}.get(indicator.value_type, "12")


@pytest.fixture(scope="module")
def ha_giang_address() -> str:
    return default_registry().get(HA_GIANG).contact_email


def test_receipt_time_is_our_servers_not_the_date_header(ha_giang_address):
    received = datetime(2009, 6, 21, 17, 0, 0, tzinfo=UTC)
    raw = _message(ha_giang_address, received, sent=datetime(2009, 6, 20, 9, 0, tzinfo=UTC))
    message = to_inbound(raw, source="test", mx_host=MX)
    assert message.received_at == received
    assert message.date_header == datetime(2009, 6, 20, 9, 0, tzinfo=UTC)


def test_received_headers_of_other_servers_are_not_trusted(ha_giang_address):
    from ingestion.mailbox.headers import parse_bytes

    raw = _message(ha_giang_address, datetime(2009, 6, 1, tzinfo=UTC)).replace(MX.encode(), b"mx.other.example")
    assert receipt_time(parse_bytes(raw), MX) is None


def test_on_time_report_is_accepted_with_its_values(ha_giang_address):
    received = datetime(2009, 6, 21, 16, 59, 59, tzinfo=UTC)
    _, result = _decide(_message(ha_giang_address, received, attachment=_form(HA_GIANG, date(2009, 6, 1))))
    assert result.decision.state is MessageState.ACCEPTED, result.decision
    assert result.submission.kind is SubmissionKind.REPORT
    assert result.submission.period == date(2009, 6, 1)
    assert {v.indicator_code for v in result.submission.values} == set(default_catalogue().codes)


def test_unknown_sender_is_quarantined_with_a_reason():
    _, result = _decide(_message("someone@gmail.example", datetime(2009, 6, 10, tzinfo=UTC)))
    assert result.decision.state is MessageState.QUARANTINED
    assert result.decision.reason_code == "unknown_sender"
    assert "someone@gmail.example" in result.decision.reason_vi


def test_corrupt_attachment_is_quarantined(ha_giang_address):
    raw = _message(ha_giang_address, datetime(2009, 6, 10, tzinfo=UTC), attachment=b"PK\x03\x04 not really a zip")
    _, result = _decide(raw)
    assert result.decision.reason_code == "unreadable_attachment"
    assert "Báo cáo tháng 6.docx" in result.decision.reason_vi


def test_report_for_a_period_that_is_not_open_is_quarantined(ha_giang_address):
    raw = _message(ha_giang_address, datetime(2009, 8, 10, tzinfo=UTC), attachment=_form(HA_GIANG, date(2009, 6, 1)))
    _, result = _decide(raw)
    assert result.decision.reason_code == "wrong_period"
    assert "2009-06" in result.decision.reason_vi


def test_form_of_another_unit_is_quarantined(ha_giang_address):
    raw = _message(ha_giang_address, datetime(2009, 6, 10, tzinfo=UTC), attachment=_form("P04", date(2009, 6, 1)))
    _, result = _decide(raw)
    assert result.decision.reason_code == "unit_mismatch"


def test_same_as_notice_is_accepted_for_the_following_month(ha_giang_address):
    raw = _message(
        ha_giang_address, datetime(2009, 7, 15, tzinfo=UTC), body="Báo cáo của UBND tỉnh Hà Giang giống tháng 6"
    )
    _, result = _decide(raw, accepted={(HA_GIANG, date(2009, 6, 1))})
    assert result.decision.state is MessageState.ACCEPTED
    assert result.submission.kind is SubmissionKind.SAME_AS_NOTICE
    assert (result.submission.period, result.submission.same_as_period) == (date(2009, 7, 1), date(2009, 6, 1))


def test_same_as_notice_without_the_previous_month_is_quarantined(ha_giang_address):
    raw = _message(
        ha_giang_address, datetime(2009, 7, 15, tzinfo=UTC), body="Báo cáo của UBND tỉnh Hà Giang giống tháng 6"
    )
    _, result = _decide(raw, accepted={(HA_GIANG, date(2009, 5, 1)), ("P04", date(2009, 6, 1))})
    assert result.decision.reason_code == "notice_without_previous"
    assert result.decision.period == date(2009, 7, 1)
    assert "2009-06" in result.decision.reason_vi and "2009-06" in result.decision.reason_en


def test_report_with_notice_text_is_ambiguous(ha_giang_address):
    raw = _message(
        ha_giang_address,
        datetime(2009, 7, 15, tzinfo=UTC),
        body="Báo cáo của UBND tỉnh Hà Giang giống tháng 6",
        attachment=_form(HA_GIANG, date(2009, 7, 1)),
    )
    _, result = _decide(raw, accepted={(HA_GIANG, date(2009, 6, 1))})
    assert result.decision.state is MessageState.QUARANTINED
    assert result.decision.reason_code == "ambiguous"


def test_same_as_notice_in_the_first_period_is_quarantined(ha_giang_address):
    raw = _message(
        ha_giang_address, datetime(2009, 6, 15, tzinfo=UTC), body="Báo cáo của UBND tỉnh Hà Giang giống tháng 5"
    )
    _, result = _decide(raw)
    assert result.decision.reason_code == "notice_in_first_period"


def test_other_mail_is_ignored_with_a_reason(ha_giang_address):
    _, result = _decide(_message(ha_giang_address, datetime(2009, 6, 15, tzinfo=UTC), body="Xin cảm ơn!"))
    assert result.decision.state is MessageState.IGNORED
    assert result.decision.reason_code == "not_a_submission"


def test_word_kind_is_decided_by_content():
    assert word_kind(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100) == "doc"
    assert word_kind(_form(HA_GIANG, date(2009, 6, 1))) == "docx"
    assert word_kind(b"%PDF-1.4") is None
    assert word_kind(b"PK\x03\x04garbage") is None
