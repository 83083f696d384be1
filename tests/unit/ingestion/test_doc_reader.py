""".doc reports: antiword's text first, LibreOffice only for what it cannot place, conversions kept by content."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ingestion.documents.doc_convert import doc_to_docx_bytes, docx_to_doc_bytes, libreoffice_available
from ingestion.documents.doc_reader import antiword_report, content_key, convert_cached
from ingestion.documents.docx_reader import parse_report
from ingestion.documents.form import build_form
from ingestion.domain.catalogue import default_catalogue
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


@pytest.mark.parametrize("encoding", ["base64", "quoted-printable", "8bit"])
def test_a_doc_to_convert_is_handed_to_the_run_however_it_is_encoded(encoding):
    """Deciding a batch, a .doc antiword cannot place is not converted alone: the run converts the batch's .doc
    files in one LibreOffice batch (workers.Deciders) and decides the message again."""
    from email.message import EmailMessage

    from support.mail_builders import address

    from ingestion.decide.classify import ConversionNeeded, assess
    from ingestion.domain.periods import DeadlineRule

    if not libreoffice_available():
        pytest.fail("LibreOffice (soffice) is required: `make test` installs it as root")
    doc = _tcvn3_doc()
    msg = EmailMessage()
    msg["From"] = address("BYT")
    msg["Date"] = "Wed, 15 Jul 2009 10:00:00 +0700"
    msg.set_content("Kính gửi Cục.")
    msg.add_attachment(doc, maintype="application", subtype="msword", filename="bc.doc", cte=encoding)
    raw = msg.as_bytes(policy=msg.policy.clone(cte_type="8bit"))
    message = to_inbound(raw, source="test", mx_host="mx.test", received_at=datetime(2009, 7, 15, 3, tzinfo=UTC))
    registry = default_registry()

    with pytest.raises(ConversionNeeded) as needed:
        assess(message, registry=registry, catalogue=CATALOGUE, deadline=DeadlineRule(), defer_conversion=True)
    assert needed.value.payload[:512] == doc[:512]  # 8bit: email's round trip may touch line ends inside the file
    assert needed.value.key == content_key(needed.value.payload)
    converted = {needed.value.key: doc_to_docx_bytes(needed.value.payload)}
    decided = assess(message, registry=registry, catalogue=CATALOGUE, deadline=DeadlineRule(), converted=converted)
    assert decided.decision.unit_code == "BYT"
    if encoding != "8bit":  # the file as sent: read from its conversion
        assert decided.report is not None and decided.report.unit_code == "BYT"
