""".doc reports: antiword's text first, LibreOffice only for what it cannot place, conversions kept by content."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from support.mail_builders import message as mail_message

from ingestion.documents.doc_convert import doc_to_docx_bytes, docx_to_doc_bytes, libreoffice_available
from ingestion.documents.doc_reader import antiword_report, content_key, convert_cached
from ingestion.documents.docx_reader import parse_report
from ingestion.documents.form import build_form
from ingestion.domain.catalogue import default_catalogue
from ingestion.domain.records import ReceivedMessage
from ingestion.domain.registry import default_registry
from ingestion.mailbox.headers import parse_bytes, to_inbound

CATALOGUE = default_catalogue()
MSWORD = "application/msword"
CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def _values() -> dict[str, str]:
    kinds = {"yes_no": "Có", "text": "https://hagiang.gov.example/cong-thong-tin", "percent": "55,5"}
    return {i.indicator_code: kinds.get(i.value_type, "12") for i in CATALOGUE.indicators}


@pytest.fixture(scope="module")
def unicode_doc() -> tuple[bytes, bytes]:
    if not libreoffice_available():
        pytest.fail("LibreOffice (soffice) is required to make a .doc: `make test` installs it as root")
    docx = build_form(
        default_registry().get("P02"),
        date(2009, 6, 1),
        _values(),
        difficulties="Thiếu kinh phí nâng cấp máy chủ.",
        proposals="Đề nghị Bộ hỗ trợ đào tạo.",
        reporter="Nguyễn Văn A",
    )
    return docx, docx_to_doc_bytes(docx)


def _tcvn3_doc() -> bytes:
    raw = (CORPUS / "mail" / "35_tcvn3_doc.eml").read_bytes()
    (doc,) = [a.get_content() for a in parse_bytes(raw).iter_attachments()]
    return doc


def test_a_unicode_doc_is_read_from_antiword_as_libreoffice_reads_it(unicode_doc):
    quick = antiword_report(unicode_doc[1], CATALOGUE)
    assert quick is not None
    slow = parse_report(doc_to_docx_bytes(unicode_doc[1]), catalogue=CATALOGUE)
    assert {c: v.value_text for c, v in quick.values.items()} == _values()
    assert quick.values == slow.values
    assert (quick.unit_code, quick.unit_name, quick.period) == (slow.unit_code, slow.unit_name, slow.period)
    assert (quick.difficulties, quick.proposals) == (slow.difficulties, slow.proposals)


def test_a_tcvn3_doc_goes_to_libreoffice():
    """antiword loses TCVN3 letters (ư); LibreOffice keeps the fonts, so the quick path declines."""
    assert antiword_report(_tcvn3_doc(), CATALOGUE) is None


def test_what_is_not_a_doc_is_left_to_the_full_path():
    assert antiword_report(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, CATALOGUE) is None


def test_conversions_are_kept_by_content_hash(unicode_doc, tmp_path):
    doc = _tcvn3_doc()
    key = content_key(doc)
    first = convert_cached({key: doc}, tmp_path)
    assert parse_report(first[key], catalogue=CATALOGUE).unit_code == "BYT"
    assert (tmp_path / f"{key}.docx").read_bytes() == first[key]
    (tmp_path / f"{key}.docx").write_bytes(unicode_doc[0])  # a second run reads the cache, never LibreOffice
    assert convert_cached({key: doc}, tmp_path) == {key: unicode_doc[0]}


def test_intake_converts_only_what_antiword_cannot_place(unicode_doc, tmp_path):
    from itreport.orchestration.intake_run import convert_docs

    def received(doc: bytes, name: str) -> ReceivedMessage:
        raw = mail_message(
            "P02", datetime(2009, 6, 15, 3, tzinfo=UTC), attachment=doc, filename=f"{name}.doc", content_type=MSWORD
        )
        return ReceivedMessage(to_inbound(raw, source="test", mx_host="mx.test"), tmp_path / name)

    tcvn3 = _tcvn3_doc()
    converted = convert_docs(
        [received(unicode_doc[1], "unicode"), received(tcvn3, "tcvn3")], catalogue=CATALOGUE, cache_dir=tmp_path
    )
    assert set(converted) == {content_key(tcvn3)}
    assert (tmp_path / f"{content_key(tcvn3)}.docx").is_file()


@pytest.mark.parametrize("encoding", ["base64", "quoted-printable", "8bit"])
def test_a_run_finds_every_doc_to_convert_however_it_is_encoded(encoding):
    from email.message import EmailMessage

    from ingestion.decide.classify import doc_payloads

    doc = _tcvn3_doc()
    msg = EmailMessage()
    msg["From"] = "vanthu@hagiang.gov.example"
    msg.set_content("Kính gửi Cục.")
    msg.add_attachment(doc, maintype="application", subtype="msword", filename="bc.doc", cte=encoding)
    raw = msg.as_bytes(policy=msg.policy.clone(cte_type="8bit"))
    (found,) = doc_payloads(raw).values()  # 8bit: email's own round trip may touch line ends inside the file
    assert found[:512] == doc[:512]
    plain = mail_message("P02", datetime(2009, 6, 15, 3, tzinfo=UTC), attachment=b"PK\x03\x04 not a doc")
    assert doc_payloads(plain) == {}
