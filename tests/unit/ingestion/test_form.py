"""The report form: generated from the catalogue, read back by the parser, and through .doc and back."""

from __future__ import annotations

import copy
import io
import unicodedata
from collections.abc import Callable
from datetime import date

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.table import Table, _Row

from ingestion.documents.attachments import OLE2_MAGIC
from ingestion.documents.doc_convert import (
    ConversionError,
    convert,
    doc_text_with_antiword,
    doc_to_docx_bytes,
    docx_to_doc_bytes,
    libreoffice_available,
)
from ingestion.documents.docx_reader import parse_report
from ingestion.documents.form import build_form
from ingestion.documents.form_layout import COLUMN_NOTE, COLUMN_VALUE
from ingestion.documents.values import normalise_value, parse_form_period
from ingestion.domain.catalogue import Catalogue, default_catalogue
from ingestion.domain.records import ParsedReport, ReportValue
from ingestion.domain.registry import ReportingUnit

UNIT = ReportingUnit(
    unit_code="BTTTT",
    official_code=None,
    name_vi="Bộ Thông tin và Truyền thông",
    name_en="Ministry of Information and Communications",
    unit_type="ministry",
    valid_from=date(2009, 6, 1),
    valid_to=date(2025, 3, 1),
    successor_code="BKHCN",
    contact_email="baocao.cntt@mic.gov.example",
)
PERIOD = date(2009, 6, 1)
SAMPLE_INDICATOR = {"count": "3.1", "percent": "1.3", "money": "4.5", "yes_no": "1.1", "text": "1.2"}
DIFFICULTIES = "Thiếu kinh phí đầu tư hạ tầng.\nNhân lực công nghệ thông tin ở cấp huyện còn mỏng."
PROPOSALS = "Đề nghị Bộ hỗ trợ đào tạo cán bộ chuyên trách."
REPORTER = "Nguyễn Thị Hồng Nhung"
TYPED: dict[str, list[tuple[str, float | None]]] = {
    "count": [("1.234", 1234.0), ("56", 56.0), ("0", 0.0), ("12 345", 12345.0)],
    "percent": [("55,5", 55.5), ("80%", 80.0), ("12.75", 12.75)],
    "money": [("1.234,5", 1234.5)],
    "yes_no": [("Có", 1.0), ("Không", 0.0)],
    "text": [("Cổng thông tin điện tử: https://mic.gov.vn", None)],
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return default_catalogue()


@pytest.fixture(scope="module")
def filled(catalogue: Catalogue) -> dict[str, tuple[str, float | None]]:
    """A typed value and its number for every indicator, cycling through each value type's spellings."""
    seen: dict[str, int] = {}
    result = {}
    for indicator in catalogue.in_form_order():
        options = TYPED[indicator.value_type]
        index = seen.get(indicator.value_type, 0)
        seen[indicator.value_type] = index + 1
        result[indicator.indicator_code] = options[index % len(options)]
    return result


@pytest.fixture(scope="module")
def form(filled: dict[str, tuple[str, float | None]]) -> bytes:
    return build_form(
        UNIT,
        PERIOD,
        {code: typed for code, (typed, _) in filled.items()},
        difficulties=unicodedata.normalize("NFD", DIFFICULTIES),
        proposals=PROPOSALS,
        reporter=REPORTER,
    )


def _require_libreoffice() -> None:
    if not libreoffice_available():
        pytest.fail("LibreOffice (soffice) is required for the .doc tests: install libreoffice-writer")


@pytest.fixture(scope="module")
def doc_form(form: bytes) -> bytes:
    _require_libreoffice()
    return docx_to_doc_bytes(form)


def _expected(filled: dict[str, tuple[str, float | None]]) -> dict[str, ReportValue]:
    return {code: ReportValue(code, typed, number) for code, (typed, number) in filled.items()}


def _edit(data: bytes, change: Callable[[DocumentObject], None]) -> bytes:
    document = Document(io.BytesIO(data))
    change(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _indicator_table(document: DocumentObject) -> Table:
    return next(t for t in document.tables if COLUMN_VALUE in [c.text for c in t.rows[0].cells])


def _row(table: Table, code: str) -> _Row:
    return next(r for r in table.rows if r.cells[0].text.strip().rstrip(".") == code)


def _set_value(table: Table, code: str, text: str) -> None:
    _row(table, code).cells[3].text = text


def _is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


def test_round_trip_gives_back_every_value(form: bytes, filled: dict[str, tuple[str, float | None]]) -> None:
    report = parse_report(form)
    assert report.problems == []
    assert report.values == _expected(filled)
    assert (report.unit_code, report.unit_name, report.period) == (UNIT.unit_code, UNIT.name_vi, PERIOD)
    assert report.reporter == REPORTER
    assert report.difficulties == DIFFICULTIES
    assert report.proposals == PROPOSALS
    texts = [
        report.unit_name or "",
        report.difficulties,
        *(v.value_text or "" for v in report.values.values()),
    ]
    assert all(_is_nfc(text) for text in texts)


def test_blank_form_reads_as_blank_values(catalogue: Catalogue) -> None:
    report = parse_report(build_form(UNIT, date(2024, 12, 1)))
    assert report.problems == []
    assert report.period == date(2024, 12, 1)
    assert set(report.values) == set(catalogue.codes)
    assert all(v.value_text is None and v.value_number is None for v in report.values.values())
    assert (report.difficulties, report.proposals, report.reporter) == ("", "", "")


def test_form_layout(form: bytes, catalogue: Catalogue) -> None:
    document = Document(io.BytesIO(form))
    section = document.sections[0]
    assert section.page_width.mm == pytest.approx(210, abs=0.1)
    assert section.page_height.mm == pytest.approx(297, abs=0.1)
    normal = document.styles["Normal"].font
    assert (normal.name, normal.size.pt) == ("Times New Roman", 13)
    text = "\n".join(p.text for p in document.paragraphs)
    for expected in (
        "BÁO CÁO TÌNH HÌNH ỨNG DỤNG CÔNG NGHỆ THÔNG TIN",
        "Tháng 06/2009",
        "trước ngày 22",
        "Báo cáo của (tên cơ quan) giống tháng (tên tháng)",
        "Khó khăn, vướng mắc",
        "Đề xuất, kiến nghị",
    ):
        assert expected in text
    masthead = document.tables[0].rows[0].cells[1].text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in masthead and "Độc lập - Tự do - Hạnh phúc" in masthead
    general = {row.cells[0].text: row.cells[1].text for row in document.tables[1].rows}
    assert general == {
        "Cơ quan báo cáo": UNIT.name_vi,
        "Mã đơn vị": UNIT.unit_code,
        "Kỳ báo cáo": "06/2009",
        "Người lập báo cáo": REPORTER,
    }
    table = _indicator_table(document)
    assert [c.text for c in table.rows[0].cells] == [
        "Mã",
        "Chỉ tiêu",
        "Đơn vị tính",
        COLUMN_VALUE,
        COLUMN_NOTE,
    ]
    assert table.rows[0]._tr.trPr.xpath("./w:tblHeader")
    assert len(table.rows) == 1 + len(catalogue.groups) + len(catalogue.indicators)
    group_names = [r.cells[0].text for r in table.rows[1:] if len({id(c._tc) for c in r.cells}) == 1]
    assert group_names == [g.name_vi for g in sorted(catalogue.groups, key=lambda g: g.sort_order)]


def test_build_form_is_deterministic_and_rejects_unknown_codes() -> None:
    assert build_form(UNIT, PERIOD, {"1.4": "3"}) == build_form(UNIT, PERIOD, {"1.4": "3"})
    with pytest.raises(ValueError, match=r"9\.9"):
        build_form(UNIT, PERIOD, {"9.9": "1"})


def _vary(document: DocumentObject) -> None:
    table = _indicator_table(document)
    body = table._tbl
    for code, text in {
        "3.3": "55,5",
        "3.1": "1.234",
        "2.6": "-",
        "1.1": "Có",
        "3.7": "Không",
        "4.1": "co",
        "4.2": "x",
        "5.4": "khong",
        "5.2": "55.5%",
        "4.5": "12,5",
        "1.4": " 7 ",
        "1.2": "  ",
    }.items():
        _set_value(table, code, text)
    _row(table, "2.1").cells[0].text = " 2.1. "
    moved = _row(table, "3.3")._tr
    body.remove(moved)
    body.append(moved)
    first = _row(table, "1.1")._tr
    body.remove(first)
    _row(table, "5.5")._tr.addnext(first)
    blank = table.add_row()._tr
    body.remove(blank)
    _row(table, "2.3")._tr.addnext(blank)
    _row(table, "1.5")._tr.addprevious(copy.deepcopy(blank))
    body.append(copy.deepcopy(blank))


def test_parser_tolerates_edited_forms(form: bytes, filled: dict[str, tuple[str, float | None]]) -> None:
    report = parse_report(_edit(form, _vary))
    assert report.problems == []
    numbers = {code: value.value_number for code, value in report.values.items()}
    assert numbers["3.3"] == 55.5
    assert numbers["3.1"] == 1234.0
    assert numbers["2.6"] is None and report.values["2.6"].value_text == "-"
    assert (numbers["1.1"], numbers["3.7"], numbers["4.1"], numbers["4.2"], numbers["5.4"]) == (1, 0, 1, 1, 0)
    assert numbers["5.2"] == 55.5
    assert numbers["4.5"] == 12.5
    assert report.values["1.4"] == ReportValue("1.4", "7", 7.0)
    assert report.values["1.2"] == ReportValue("1.2", None, None)
    assert report.values["2.1"] == ReportValue("2.1", *filled["2.1"])


def test_unknown_code_is_a_problem(form: bytes) -> None:
    def add_unknown(document: DocumentObject) -> None:
        row = _indicator_table(document).add_row()
        row.cells[0].text, row.cells[1].text, row.cells[3].text = "9.9", "Chỉ tiêu tự thêm", "12"

    report = parse_report(_edit(form, add_unknown))
    assert len(report.problems) == 1
    assert "9.9" in report.problems[0] and "12" in report.problems[0]
    assert "9.9" not in report.values


def test_rows_without_codes_are_matched_by_indicator_name(form: bytes, catalogue: Catalogue) -> None:
    """A form retyped by hand may lose its codes; the indicator's name (any case, with or without diacritics)
    still places the value."""
    from ingestion.domain.text import fold

    def drop_codes(document: DocumentObject) -> None:
        table = _indicator_table(document)
        for code, name in (("2.1", catalogue.get("2.1").name_vi.upper()), ("3.1", fold(catalogue.get("3.1").name_vi))):
            if code == "2.1":
                _set_value(table, code, "321")
            row = _row(table, code)
            row.cells[0].text, row.cells[1].text = "", name + " :"

    report = parse_report(_edit(form, drop_codes))
    assert report.problems == []
    assert report.values["2.1"] == ReportValue("2.1", "321", 321.0)
    assert report.values["3.1"].value_number is not None


def test_unreadable_value_names_indicator_and_text(form: bytes) -> None:
    def spoil(document: DocumentObject) -> None:
        table = _indicator_table(document)
        _set_value(table, "3.1", "khoảng 200")
        _set_value(table, "5.4", "Có/Không")

    report = parse_report(_edit(form, spoil))
    assert report.values["3.1"] == ReportValue("3.1", "khoảng 200", None)
    assert report.values["5.4"].value_number is None
    assert len(report.problems) == 2
    assert "3.1" in report.problems[0] and "khoảng 200" in report.problems[0]
    assert "5.4" in report.problems[1] and "Có/Không" in report.problems[1]


def test_value_column_is_found_by_its_header(form: bytes, filled: dict[str, tuple[str, float | None]]) -> None:
    def swap(document: DocumentObject) -> None:
        table = _indicator_table(document)
        header = table.rows[0].cells
        header[3].text, header[4].text = COLUMN_NOTE, COLUMN_VALUE
        for row in table.rows[1:]:
            cells = row.cells
            if len({id(c._tc) for c in cells}) > 1:
                cells[4].text, cells[3].text = cells[3].text, "ghi chú"

    report = parse_report(_edit(form, swap))
    assert report.problems == []
    assert report.values == _expected(filled)


def test_merged_cells_do_not_repeat_values(form: bytes) -> None:
    def merge(document: DocumentObject) -> None:
        table = _indicator_table(document)
        _set_value(table, "2.2", "5")
        _set_value(table, "2.3", "")
        _row(table, "2.2").cells[3].merge(_row(table, "2.3").cells[3])

    report = parse_report(_edit(form, merge))
    assert report.values["2.2"].value_number == 5.0
    assert report.values["2.3"] == ReportValue("2.3", None, None)


@pytest.mark.parametrize("text", ["06/2009", "6/2009", "tháng 6/2009", "Tháng 06-2009", "06-2009", "tháng 6 năm 2009"])
def test_period_spellings(form: bytes, text: str) -> None:
    def set_period(document: DocumentObject) -> None:
        document.tables[1].rows[2].cells[1].text = text

    assert parse_report(_edit(form, set_period)).period == date(2009, 6, 1)


def test_unreadable_period_is_none_with_a_problem(form: bytes) -> None:
    def set_period(document: DocumentObject) -> None:
        document.tables[1].rows[2].cells[1].text = "quý II"

    report = parse_report(_edit(form, set_period))
    assert report.period is None
    assert "quý II" in report.problems[0]


def test_not_a_docx_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"not a \.docx"):
        parse_report(b"\xd0\xcf\x11\xe0 not a zip")


@pytest.mark.parametrize(
    ("value_type", "text", "number"),
    [
        ("count", "1.234", 1234.0),
        ("count", "1,234", 1234.0),
        ("count", "1.234.567", 1234567.0),
        ("count", "55,5", 55.5),
        ("count", "12 người", 12.0),
        ("count", "-", None),
        ("count", "", None),
        ("percent", "55,5", 55.5),
        ("percent", "55.5", 55.5),
        ("percent", "55,5 %", 55.5),
        ("percent", "1.234", 1.234),
        ("money", "1.234", 1234.0),
        ("money", "12,5", 12.5),
        ("money", "1.234,5", 1234.5),
        ("money", "1,234.5", 1234.5),
        ("money", "120 triệu đồng", 120.0),
        ("yes_no", "Có", 1.0),
        ("yes_no", "co", 1.0),
        ("yes_no", "X", 1.0),
        ("yes_no", "yes", 1.0),
        ("yes_no", "1", 1.0),
        ("yes_no", "Có (đã triển khai)", 1.0),
        ("yes_no", "Không", 0.0),
        ("yes_no", "khong", 0.0),
        ("yes_no", "no", 0.0),
        ("yes_no", "0", 0.0),
        ("yes_no", "Chưa có", 0.0),
        ("text", "http://example.vn", None),
    ],
)
def test_normalise_value(catalogue: Catalogue, value_type: str, text: str, number: float | None) -> None:
    indicator = catalogue.get(SAMPLE_INDICATOR[value_type])
    assert indicator.value_type == value_type
    assert normalise_value(indicator, text) == (number, None)


@pytest.mark.parametrize(("code", "text"), [("3.1", "nhiều"), ("3.1", "1.2.3"), ("1.3", "50-60%"), ("1.1", "Có/Không")])
def test_normalise_value_problems(catalogue: Catalogue, code: str, text: str) -> None:
    number, problem = normalise_value(catalogue.get(code), text)
    assert number is None
    assert problem is not None and code in problem and text in problem


def test_parse_form_period_rejects_nonsense() -> None:
    assert parse_form_period("13/2009") is None
    assert parse_form_period("") is None
    assert parse_form_period("2009-06") == date(2009, 6, 1)


def test_doc_round_trip_through_libreoffice(form: bytes, doc_form: bytes) -> None:
    assert doc_form.startswith(OLE2_MAGIC)
    original, converted = parse_report(form), parse_report(doc_to_docx_bytes(doc_form))
    assert converted == original
    assert isinstance(converted, ParsedReport)


def test_antiword_reads_a_libreoffice_doc(doc_form: bytes, catalogue: Catalogue) -> None:
    text = doc_text_with_antiword(doc_form)
    assert UNIT.unit_code in text
    assert catalogue.get("3.3").name_vi in text
    assert DIFFICULTIES.splitlines()[0] in text


def test_conversion_timeout_is_a_clear_error(tmp_path, form: bytes) -> None:
    _require_libreoffice()
    source = tmp_path / "form.docx"
    source.write_bytes(form)
    with pytest.raises(ConversionError, match="within"):
        convert([source], "doc", tmp_path / "out", timeout=0.05)
