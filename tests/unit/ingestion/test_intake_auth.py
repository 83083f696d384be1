"""Sender authentication: only our own server's topmost Authentication-Results counts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from support.mail_builders import MX
from support.mail_builders import message as build_message

from ingestion.decide.classify import assess
from ingestion.domain.catalogue import default_catalogue
from ingestion.domain.periods import DeadlineRule
from ingestion.domain.records import MessageState
from ingestion.domain.registry import default_registry
from ingestion.mailbox.headers import authentication_failure, parse_bytes, to_inbound

AUTHSERV = "mx.baocao-cntt.gov.example"
UNIT = "P02"
RECEIVED = datetime(2009, 7, 15, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def address() -> str:
    return default_registry().get(UNIT).contact_email


def _raw(address: str, *top: str, below: tuple[str, ...] = ()) -> bytes:
    """A notice from ``address``; ``top`` headers as our server prepends them, ``below`` after the sender's hop."""
    return build_message(
        address,
        RECEIVED,
        body="Báo cáo của UBND tỉnh Hà Giang giống tháng 6.",
        message_id="<n1@hagiang.gov.example>",
        auth=None,
        extra_top=top,
        below=below,
        subject="Báo cáo CNTT",
    )


def _decide(raw: bytes, authserv_id: str | None = AUTHSERV):
    message = to_inbound(raw, source="test", mx_host=MX)
    return assess(
        message,
        registry=default_registry(),
        catalogue=default_catalogue(),
        deadline=DeadlineRule(),
        accepted={(UNIT, date(2009, 6, 1))},
        authserv_id=authserv_id,
        mx_host=MX,
    ).decision


def test_dmarc_pass_is_authenticated(address):
    raw = _raw(address, f"Authentication-Results: {AUTHSERV}; spf=pass; dkim=fail; dmarc=pass header.from=x")
    assert _decide(raw).state is MessageState.ACCEPTED


def test_aligned_dkim_pass_is_authenticated(address):
    domain = address.rsplit("@", 1)[1]
    raw = _raw(address, f"Authentication-Results: {AUTHSERV} 1; dkim=pass (good) header.d=mail.{domain}; dmarc=none")
    assert _decide(raw).state is MessageState.ACCEPTED


def test_unaligned_dkim_pass_is_not_enough(address):
    raw = _raw(address, f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=bulkmailer.example; dmarc=fail")
    decision = _decide(raw)
    assert decision.reason_code == "sender_not_authenticated"
    assert decision.unit_code == UNIT
    assert "dmarc=fail" in decision.reason_en


def test_missing_results_fail_when_the_check_is_on(address):
    assert _decide(_raw(address)).reason_code == "sender_not_authenticated"
    assert _decide(_raw(address), authserv_id=None).state is MessageState.ACCEPTED


def test_forged_results_below_a_foreign_hop_do_not_count(address):
    forged = (
        "Received: from pc by smtp.attacker.example; Tue, 14 Jul 2009 10:00:00 +0700",
        f"Authentication-Results: {AUTHSERV}; dmarc=pass header.from=hagiang.gov.example",
    )
    decision = _decide(_raw(address, below=forged))
    assert decision.reason_code == "sender_not_authenticated"
    assert "below a Received" in decision.reason_en


def test_only_the_topmost_of_our_headers_counts(address):
    raw = _raw(
        address,
        f"Authentication-Results: {AUTHSERV}; dmarc=fail",
        "Authentication-Results: other.example; dmarc=pass",
        f"Authentication-Results: {AUTHSERV}; dmarc=pass",
    )
    assert authentication_failure(parse_bytes(raw), AUTHSERV, MX, address) == "dmarc=fail"


def test_results_of_another_server_are_ignored(address):
    raw = _raw(address, "Authentication-Results: mx.google.example; dmarc=pass")
    assert _decide(raw).reason_code == "sender_not_authenticated"
