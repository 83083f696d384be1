"""Attachments are judged by content before any parser opens them: size, zip bombs, macros, encryption, XXE,
and their names are decoded the way a person reads them."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from support.mail_builders import docm, encrypted_zip, rezip

from ingestion.decide.classify import assess
from ingestion.documents.attachments import (
    MAX_ATTACHMENT_BYTES,
    OLE2_MAGIC,
    AttachmentProblem,
    attachments,
    check_attachment,
    decode_filename,
)
from ingestion.domain.catalogue import default_catalogue
from ingestion.domain.periods import DeadlineRule
from ingestion.domain.records import Attachment, MessageState
from ingestion.domain.registry import default_registry
from ingestion.mailbox.headers import parse_bytes, to_inbound

MX = "mx.baocao-cntt.gov.example"
UNIT = "P02"
JUNE = date(2009, 6, 1)


@pytest.fixture(scope="module")
def form() -> bytes:
    from ingestion.documents.form import build_form

    return build_form(default_registry().get(UNIT), JUNE, {})


def _problem(payload: bytes, name: str = "bao-cao.docx") -> AttachmentProblem:
    with pytest.raises(AttachmentProblem) as raised:
        check_attachment(Attachment(name, "application/octet-stream", payload))
    return raised.value


def _decide(payload: bytes, filename: str = "Báo cáo tháng 6.docx"):
    msg = EmailMessage()
    received = datetime(2009, 6, 15, 3, 0, tzinfo=UTC)
    msg["Received"] = f"from mail.hagiang.gov.example by {MX}; {format_datetime(received)}"
    msg["From"] = default_registry().get(UNIT).contact_email
    msg["To"] = "baocao.cntt@mic.gov.example"
    msg["Subject"] = "Báo cáo CNTT tháng 6"
    msg.set_content("Kính gửi Cục.")
    msg.add_attachment(payload, maintype="application", subtype="octet-stream", filename=filename)
    message = to_inbound(msg.as_bytes(), source="test", mx_host=MX)
    return assess(message, registry=default_registry(), catalogue=default_catalogue(), deadline=DeadlineRule())


def test_a_clean_form_passes(form):
    assert check_attachment(Attachment("x.docx", "application/octet-stream", form)) == "docx"


def test_oversized_attachment_is_refused_before_opening():
    problem = _problem(b"PK\x03\x04" + b"\0" * MAX_ATTACHMENT_BYTES)
    assert problem.code == "attachment_too_large"
    assert "20 MB" in problem.detail_vi


def test_a_50_mb_attachment_in_a_message_is_quarantined():
    import base64

    received = format_datetime(datetime(2009, 6, 15, 3, 0, tzinfo=UTC))
    head = (
        f"Received: from mail.hagiang.gov.example by {MX}; {received}\r\n"
        f"From: {default_registry().get(UNIT).contact_email}\r\nSubject: BC\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nKính gửi.\r\n"
        "--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="=?utf-8?B?QsOhbyBjw6FvIHRow6FuZyA2LmRvY3g=?="\r\n\r\n'
    )
    payload = base64.encodebytes(b"PK\x03\x04" + bytes(50 * 1024 * 1024)).replace(b"\n", b"\r\n")
    raw = head.encode("utf-8") + payload + b"--XX--\r\n"
    message = to_inbound(raw, source="test", mx_host=MX)
    result = assess(message, registry=default_registry(), catalogue=default_catalogue(), deadline=DeadlineRule())
    assert result.decision.state is MessageState.QUARANTINED
    assert result.decision.reason_code == "attachment_too_large"
    assert "Báo cáo tháng 6.docx" in result.decision.reason_vi


def test_zip_bomb_is_refused(form):
    bomb = rezip(form, add={"word/media/padding.bin": bytes(30 * 1024 * 1024)})
    assert len(bomb) < MAX_ATTACHMENT_BYTES
    assert _problem(bomb).code == "attachment_too_complex"
    assert _decide(bomb).decision.reason_code == "attachment_too_complex"


def test_too_many_zip_entries_are_refused(form):
    many = rezip(form, add={f"customXml/item{i}.xml": b"<a/>" for i in range(1200)})
    assert _problem(many).code == "attachment_too_complex"


def test_macro_enabled_document_is_refused(form):
    macro_enabled = docm(form)
    assert _problem(macro_enabled, "bao-cao.docm").code == "macro_attachment"
    result = _decide(macro_enabled, "bao-cao.docm")
    assert result.decision.reason_code == "macro_attachment"
    assert "macro" in result.decision.reason_vi and ".docx" in result.decision.reason_vi


def test_encrypted_zip_entry_is_refused(form):
    assert _problem(encrypted_zip(form)).code == "encrypted_attachment"  # the flag set in every zip entry


def test_password_protected_word_file_is_refused():
    ole = OLE2_MAGIC + b"\0" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\0\0" + b"\0" * 1024
    problem = _problem(ole, "bao-cao.docx")
    assert problem.code == "encrypted_attachment"
    assert _decide(ole).decision.reason_code == "encrypted_attachment"


def test_doc_with_macros_is_refused():
    ole = OLE2_MAGIC + b"\0" * 504 + "Macros".encode("utf-16-le") + b"\0\0" + b"\0" * 1024
    assert _problem(ole, "bao-cao.doc").code == "macro_attachment"


def test_not_a_word_file_is_unreadable():
    assert _problem(b"%PDF-1.4 ...", "bao-cao.pdf").code == "unreadable_attachment"
    result = _decide(b"%PDF-1.4 ...", "bao-cao.docx")
    assert result.decision.reason_code == "unreadable_attachment"


def test_xxe_payload_is_not_resolved(form, tmp_path):
    from ingestion.documents.docx_reader import parse_report

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE", encoding="utf-8")
    with zipfile.ZipFile(io.BytesIO(form)) as package:
        document = package.read("word/document.xml").decode("utf-8")
    declaration, rest = document.split("?>", 1)
    doctype = (
        f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "{secret.as_uri()}">'
        '<!ENTITY lol "lollollollollollollollollollol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    rest = rest.replace("Tỉnh Hà Giang", "&xxe;&lol2;", 1)
    evil = rezip(form, replace={"word/document.xml": (declaration + "?>" + doctype + rest).encode("utf-8")})
    report = parse_report(evil)
    assert "TOP-SECRET" not in repr(report)
    assert "lollol" not in repr(report)
    result = _decide(evil)
    assert "TOP-SECRET" not in result.decision.reason_vi + result.decision.reason_en


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?utf-8?B?QsOhbyBjw6FvIHRow6FuZyA2LmRvY3g=?=", "Báo cáo tháng 6.docx"),
        ("=?utf-8?Q?B=C3=A1o_c=C3=A1o.docx?=", "Báo cáo.docx"),
        ("..\\..\\Windows\\evil.docx", "evil.docx"),
        ("/etc/passwd", "passwd"),
        ("Ba\u0301o ca\u0301o.docx", "Báo cáo.docx"),
        ("bad\x00name\r\n.docx", "badname.docx"),
    ],
)
def test_file_names_are_decoded_and_stripped(raw, expected):
    assert decode_filename(raw) == expected


def test_rfc2231_file_name_from_a_message():
    raw = (
        b"From: a@b.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain\r\n\r\nhi\r\n--XX\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment;\r\n filename*0*=utf-8''B%C3%A1o%20c%C3%A1o%20;\r\n"
        b" filename*1*=th%C3%A1ng%206.docx\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--XX--\r\n"
    )
    [found] = attachments(parse_bytes(raw))
    assert found.filename == "Báo cáo tháng 6.docx"
