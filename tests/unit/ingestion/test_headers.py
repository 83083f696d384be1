"""Reading a message's headers without its body: the same headers, the same facts, whatever the line ends."""

from __future__ import annotations

import email
import email.parser
import email.policy
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from support.mail_builders import MX
from support.mail_builders import message as build_message

from ingestion.domain.records import FetchedMessage
from ingestion.mailbox.headers import (
    READ_POLICY,
    fetched_headers,
    fetched_texts,
    fetched_to_inbound,
    header_block,
    parse_bytes,
    parse_headers,
    to_inbound,
)

_END = st.sampled_from(["\r\n", "\n", "\r"])
_LINE = st.one_of(
    st.from_regex(r"[A-Za-z-]{1,12}: [ -~]{0,30}", fullmatch=True),  # a header
    st.from_regex(r"[ \t][ -~]{0,20}", fullmatch=True),  # a continuation
    st.from_regex(r"[ -~]{0,20}", fullmatch=True),  # anything else, a non-header line included
    st.just(""),  # an empty line
)


def _whole_headers(raw: bytes) -> list[tuple[str, str]]:
    """The headers as a headers-only parse of every byte of ``raw`` reads them."""
    msg = email.parser.BytesParser(policy=READ_POLICY).parsebytes(raw, headersonly=True)
    return [(name, str(value)) for name, value in msg.items()]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_LINE, _END), max_size=12), st.binary(max_size=40))
def test_the_header_block_reads_as_the_whole_message_reads(lines, body):
    raw = "".join(line + end for line, end in lines).encode("ascii") + body
    assert raw.startswith(header_block(raw))
    assert [(k, str(v)) for k, v in parse_headers(raw).items()] == _whole_headers(raw)


def test_the_header_block_ends_at_the_first_empty_line():
    assert header_block(b"A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore") == b"A: 1\r\nB: 2\r\n\r"
    assert header_block(b"A: 1\nB: 2\n\nbody") == b"A: 1\nB: 2\n\n"
    assert header_block(b"A: 1\rB: 2\r\rbody") == b"A: 1\rB: 2\r\r"
    assert header_block(b"A: 1\r\nno empty line") == b"A: 1\r\nno empty line"


def test_a_fetched_message_has_the_facts_of_a_parsed_one_and_is_parsed_when_decided():
    received = datetime(2009, 7, 3, 2, 0, tzinfo=UTC)
    raw = build_message(
        "vanphong@hagiang.gov.example",
        received,
        attachment=b"PK\x03\x04 not really a docx",
        filename="Báo cáo tháng 6 năm 2009 của Sở Thông tin và Truyền thông.docx",
        subject="Báo cáo ứng dụng CNTT tháng 6",
        display_name="Văn phòng Sở",
    )
    parsed = to_inbound(raw, source="test", mx_host=MX)
    fetched = fetched_to_inbound(FetchedMessage(raw=raw, source="test"), MX)
    assert parsed.parsed is not None and fetched.parsed is None
    assert fetched == parsed  # every field but the tree (not compared)
    assert fetched.received_at == received


def test_a_message_too_deep_to_parse_still_has_its_headers():
    raw = build_message("vanphong@hagiang.gov.example", datetime(2009, 7, 3, tzinfo=UTC), attachment=b"PK")
    head = raw.split(b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n", 1)[0]
    head = b"\n".join(line for line in head.splitlines() if not line.lower().startswith(b"content-type"))
    deep = (
        head
        + b"\nContent-Type: multipart/mixed; boundary=b0\n\n"
        + b"".join(
            b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (depth, depth + 1) for depth in range(5000)
        )
    )
    parsed = to_inbound(deep, source="test", mx_host=MX)
    fetched = fetched_to_inbound(FetchedMessage(raw=deep, source="test"), MX)
    assert parsed.parsed is None and fetched == parsed and fetched.sender == "vanphong@hagiang.gov.example"


def test_fetched_headers_are_the_named_items_in_order():
    raw = (
        b"Received: from a by mx.test; Fri, 3 Jul 2009 09:00:00 +0700\r\nSubject: =?utf-8?b?QsOhbyBjw6Fv?=\r\n"
        b"Received: from b by a; Fri, 3 Jul 2009 08:59:00 +0700\r\nAuthentication-Results: mx.test; dkim=pass\r\n"
        b"\r\nbody\r\n"
    )
    msg = parse_bytes(raw)
    wanted = ("received", "authentication-results")
    assert list(fetched_headers(msg, wanted)) == [(k, v) for k, v in msg.items() if k.lower() in wanted]
    assert [str(v) for _, v in fetched_headers(msg, ("subject",))] == ["Báo cáo"]


def _vietnamese_message() -> bytes:
    return build_message(
        "vanphong@hagiang.gov.example",
        datetime(2009, 7, 3, 2, 0, tzinfo=UTC),
        attachment=b"PK\x03\x04 not really a docx",
        filename="Báo cáo tháng 6 năm 2009 của Sở Thông tin và Truyền thông.docx",
        subject="Báo cáo ứng dụng CNTT tháng 6",
        display_name="Văn phòng Sở",
    )


def test_the_header_block_gives_the_default_policys_header_objects():
    raw = _vietnamese_message()
    whole = email.message_from_bytes(raw, policy=email.policy.default)
    block = parse_headers(raw)
    assert block.policy is READ_POLICY
    assert [(k, type(v).__name__, str(v)) for k, v in block.items()] == [
        (k, type(v).__name__, str(v)) for k, v in whole.items()
    ]
    assert block["Date"].datetime == whole["Date"].datetime
    assert block["From"].addresses == whole["From"].addresses


def test_the_read_policy_parses_headers_as_the_default_policy():
    raw = _vietnamese_message()
    ours, stock = parse_bytes(raw), email.message_from_bytes(raw, policy=email.policy.default)
    for mine, theirs in zip(ours.walk(), stock.walk(), strict=True):
        assert [(k, type(v).__name__, str(v)) for k, v in mine.items()] == [
            (k, type(v).__name__, str(v)) for k, v in theirs.items()
        ]
        assert mine.get_filename() == theirs.get_filename()
        assert mine.get_params() == theirs.get_params()
    # an RFC 2231 file name (Vietnamese, split in pieces) reads the same
    rfc2231 = "attachment; filename*0*=utf-8''B%C3%A1o%20c%C3%A1o%20th%C3%A1ng; filename*1*=%206%20n%C4%83m%202009.docx"
    header = READ_POLICY.header_fetch_parse("Content-Disposition", rfc2231)
    reference = email.policy.default.header_fetch_parse("Content-Disposition", rfc2231)
    assert (type(header).__name__, str(header), dict(header.params)) == (
        type(reference).__name__,
        str(reference),
        dict(reference.params),
    )
    assert dict(header.params)["filename"] == "Báo cáo tháng 6 năm 2009.docx"
    # each header class is made once per name, not once per header parsed
    assert type(READ_POLICY.header_fetch_parse("X-One", "a")) is type(READ_POLICY.header_fetch_parse("X-One", "b"))


def test_a_fetched_message_keeps_the_digest_it_was_given():
    raw = _vietnamese_message()
    fetched = FetchedMessage(raw=raw, source="test")
    computed = fetched_to_inbound(fetched, MX)
    given = fetched_to_inbound(fetched, MX, digest=computed.message_hash)
    assert given == computed


def test_fetched_texts_are_the_header_objects_as_text() -> None:
    raw = (
        "Received: from a (b [192.0.2.1])\r\n\tby mx.example with ESMTP; Wed, 10 Jun 2009 15:43:07 +0700\r\n"
        "Received: from x (comment (nested) \\q) by y;\r\n  Wed, 10 Jun 2009\r\n"
        "Received: =?utf-8?q?caf=C3=A9?= by mx.example; Wed, 10 Jun 2009 15:43:07 +0700\r\n"
        "Authentication-Results: mx.example; dkim=pass header.d=a.example\r\n"
        "Received: from h\xc3\xa9 by mx.example; Wed, 10 Jun 2009 15:43:07 +0700\r\n"
        "Subject: x\r\n\r\nbody\r\n"
    ).encode("utf-8", "surrogateescape")
    wanted = ("received", "authentication-results")
    for msg in (parse_headers(raw), parse_bytes(raw)):
        expected = [(name, str(value)) for name, value in fetched_headers(msg, wanted)]
        assert list(fetched_texts(msg, wanted)) == expected
