""".doc reports: through LibreOffice when installed, else through antiword's text — same values either way."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from support.mail_builders import TCVN3_DIFFICULTIES, values_for

from ingestion.decide.classify import assess
from ingestion.documents.doc_text_reader import legacy_to_unicode, parse_doc_text, text_layout
from ingestion.domain.catalogue import default_catalogue
from ingestion.domain.periods import DeadlineRule
from ingestion.domain.records import MessageState
from ingestion.domain.registry import default_registry
from ingestion.mailbox.headers import to_inbound

MX = "mx.baocao-cntt.gov.example"
UNIT = "P02"


def _values() -> dict[str, str]:
    kinds = {"yes_no": "Có", "text": "https://hagiang.gov.example/cong-thong-tin", "percent": "55,5"}
    return {i.indicator_code: kinds.get(i.value_type, "12") for i in default_catalogue().indicators}


@pytest.fixture(scope="module")
def form_doc() -> tuple[bytes, bytes]:
    from ingestion.documents.doc_convert import docx_to_doc_bytes, libreoffice_available
    from ingestion.documents.form import build_form

    if not libreoffice_available():
        pytest.fail("LibreOffice (soffice) is required to make a .doc: `make test` installs it as root")
    docx = build_form(default_registry().get(UNIT), date(2009, 6, 1), _values())
    return docx, docx_to_doc_bytes(docx)


def _decide(doc: bytes):
    msg = EmailMessage()
    received = datetime(2009, 6, 15, 3, 0, tzinfo=UTC)
    msg["Received"] = f"from mail.hagiang.gov.example by {MX}; {format_datetime(received)}"
    msg["From"] = default_registry().get(UNIT).contact_email
    msg["Subject"] = "Báo cáo CNTT tháng 6"
    msg.set_content("Kính gửi Cục.")
    msg.add_attachment(doc, maintype="application", subtype="msword", filename="bao cao thang 6.doc")
    message = to_inbound(msg.as_bytes(), source="test", mx_host=MX)
    return assess(message, registry=default_registry(), catalogue=default_catalogue(), deadline=DeadlineRule())


def test_doc_through_libreoffice(form_doc):
    result = _decide(form_doc[1])
    assert result.decision.state is MessageState.ACCEPTED, result.decision.reason_en
    assert {v.indicator_code: v.value_text for v in result.submission.values} == _values()


def test_doc_through_antiword_when_libreoffice_is_absent(form_doc, monkeypatch):
    import ingestion.documents.doc_convert

    monkeypatch.setattr(ingestion.documents.doc_convert, "libreoffice_available", lambda: False)
    monkeypatch.setattr(ingestion.documents.doc_convert, "soffice_binary", lambda: None)
    result = _decide(form_doc[1])
    assert result.decision.state is MessageState.ACCEPTED, result.decision.reason_en
    assert {v.indicator_code: v.value_text for v in result.submission.values} == _values()
    assert result.report.unit_name == "Tỉnh Hà Giang"


ANTIWORD_TEXT = """
|TỈNH HÀ GIANG        |CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM |

Thông tin chung

|Cơ quan báo cáo |Tỉnh Hà Giang   |
|Mã đơn vị       |P02             |
|Kỳ báo cáo      |06/2009         |

|Mã  |Chỉ tiêu             |Đơn vị tính |Giá trị   |Ghi chú |
|Cung cấp thông tin                                         |
|1.1 |Có cổng/trang thông  |Có/Không    |Có        |        |
|    |tin điện tử          |            |          |        |
|1.2 |Địa chỉ cổng/trang   |Địa chỉ     |https://ha|        |
|    |                     |            |giang.gov.|        |
|    |                     |            |example   |        |
|1.4 |Số tin, bài          |Tin/bài     |1.234     |        |

Khó khăn, vướng mắc
Thiếu kinh phí.
"""


def test_antiword_rows_are_joined_back():
    _blocks, tables = text_layout(ANTIWORD_TEXT)
    indicator_rows = [[c.text for c in row] for row in tables[2]]
    assert indicator_rows[2] == ["1.1", "Có cổng/trang thông tin điện tử", "Có/Không", "Có", ""]
    assert indicator_rows[3][3] == "https://hagiang.gov.example"
    report = parse_doc_text(ANTIWORD_TEXT)
    assert (report.unit_code, report.period) == (UNIT, date(2009, 6, 1))
    assert report.values["1.2"].value_text == "https://hagiang.gov.example"
    assert report.values["1.4"].value_number == 1234
    assert report.difficulties == "Thiếu kinh phí."


CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def test_a_tcvn3_doc_through_antiword_is_recognised_by_its_characters(monkeypatch):
    """The corpus's .doc typed in .VnTime: antiword's text has no font names, only TCVN3 codes."""
    import ingestion.documents.doc_convert
    from ingestion.documents.doc_convert import doc_text_with_antiword
    from ingestion.documents.legacy_text import LegacyEncoding, guess_text_encoding
    from ingestion.mailbox.headers import parse_bytes

    raw = (CORPUS / "mail" / "35_tcvn3_doc.eml").read_bytes()
    (doc,) = [a.get_content() for a in parse_bytes(raw).iter_attachments()]
    text = doc_text_with_antiword(doc)
    assert guess_text_encoding(text) is LegacyEncoding.TCVN3
    assert "Bộ Y tế" not in text and "Bé Y tÕ" in text  # really typed in TCVN3
    report = parse_doc_text(text, catalogue=default_catalogue())
    assert (report.unit_code, report.unit_name, report.period) == ("BYT", "Bộ Y tế", date(2009, 7, 1))
    assert {c: v.value_text for c, v in report.values.items()} == values_for(24)
    assert report.problems == []
    assert report.difficulties == TCVN3_DIFFICULTIES  # found under "Khó khăn, vướng mắc"

    monkeypatch.setattr(ingestion.documents.doc_convert, "libreoffice_available", lambda: False)
    monkeypatch.setattr(ingestion.documents.doc_convert, "soffice_binary", lambda: None)
    message = to_inbound(raw, source="test", mx_host=MX)
    result = assess(message, registry=default_registry(), catalogue=default_catalogue(), deadline=DeadlineRule())
    assert result.decision.state is MessageState.ACCEPTED, result.decision.reason_en
    assert result.submission.values == list(report.values.values())


def test_antiword_text_in_unicode_is_left_alone():
    assert legacy_to_unicode(ANTIWORD_TEXT) == ANTIWORD_TEXT


def test_the_tcvn3_u_horn_antiword_drops_comes_back_where_the_rime_shows_it():
    # TCVN3 "ư" is 0xAD, a soft hyphen in Windows-1252: antiword leaves it out of its text
    typed = ["®\xadîc", "tr\xadíc", "v\xadíng", "r\xad\xeeu", "Ng\xadêi", "ch\xada"]
    shown = " ".join(word.replace("\xad", "") for word in typed) + " |M· ®¬n vÞ|Kú b¸o c¸o|"
    assert legacy_to_unicode(shown).split("|")[0].split() == ["được", "trước", "vướng", "rượu", "Ngời", "cha"]
