""".doc reports: through LibreOffice when installed, else through antiword's text — same values either way."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from ingestion.catalogue import default_catalogue
from ingestion.doc_text_reader import parse_doc_text, text_layout
from ingestion.intake import assess
from ingestion.mail_reader import to_inbound
from ingestion.models import MessageState
from ingestion.periods import DeadlineRule
from ingestion.registry import default_registry

MX = "mx.baocao-cntt.gov.example"
UNIT = "P02"


def _values() -> dict[str, str]:
    kinds = {"yes_no": "Có", "text": "https://hagiang.gov.example/cong-thong-tin", "percent": "55,5"}
    return {i.indicator_code: kinds.get(i.value_type, "12") for i in default_catalogue().indicators}


@pytest.fixture(scope="module")
def form_doc() -> tuple[bytes, bytes]:
    from ingestion.doc_convert import docx_to_doc_bytes, libreoffice_available
    from ingestion.form import build_form

    if not libreoffice_available():
        pytest.skip("LibreOffice is needed to make a .doc")
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
    import ingestion.doc_convert

    monkeypatch.setattr(ingestion.doc_convert, "libreoffice_available", lambda: False)
    monkeypatch.setattr(ingestion.doc_convert, "soffice_binary", lambda: None)
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
