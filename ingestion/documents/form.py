"""The official monthly report form, generated from the indicator catalogue.

Agencies fill in this form and email it back; ``ingestion.documents.docx_reader`` reads it. Both follow the catalogue,
so a new indicator appears in the form and the parser without code changes. The layout follows the
Vietnamese administrative standard: A4 portrait, Times New Roman 13 pt, national motto at the top.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

from ingestion.documents.form_layout import (
    DIFFICULTIES_HEADING,
    GENERAL_HEADING,
    INDICATOR_COLUMNS,
    INDICATORS_HEADING,
    LABEL_PERIOD,
    LABEL_REPORTER,
    LABEL_UNIT_CODE,
    LABEL_UNIT_NAME,
    MOTTO,
    MOTTO_SUBTITLE,
    PROPOSALS_HEADING,
    SOURCE_LETTER,
    TITLE,
    format_form_period,
    send_instructions,
)
from ingestion.domain.catalogue import Catalogue, Indicator, default_catalogue
from ingestion.domain.periods import DEFAULT_DEADLINE_DAY
from ingestion.domain.registry import ReportingUnit
from ingestion.domain.text import nfc

FONT = "Times New Roman"
FONT_SIZE = Pt(13)
LANGUAGE = "vi-VN"

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(20), Mm(20), Mm(30), Mm(15)
INDICATOR_WIDTHS = (Mm(13), Mm(82), Mm(25), Mm(25), Mm(20))
GENERAL_WIDTHS = (Mm(50), Mm(115))
MOTTO_WIDTHS = (Mm(58), Mm(107))
SIGNATURE_WIDTHS = (Mm(82), Mm(83))
_SUCCESSORS: dict[str, tuple[str, ...]] = {
    "w:rFonts": (
        *("w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps", "w:strike", "w:dstrike", "w:outline"),
        *("w:shadow", "w:emboss", "w:imprint", "w:noProof", "w:snapToGrid", "w:vanish", "w:webHidden"),
        *("w:color", "w:spacing", "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u"),
        *("w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang"),
        *("w:eastAsianLayout", "w:specVanish", "w:oMath"),
    ),
    "w:lang": ("w:eastAsianLayout", "w:specVanish", "w:oMath"),
    "w:tblW": (
        *("w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar"),
        *("w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange"),
    ),
    "w:shd": (
        *("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark", "w:headers"),
        *("w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange"),
    ),
}
HEADER_SHADING = "D9D9D9"
GROUP_SHADING = "F2F2F2"


def build_form(
    unit: ReportingUnit,
    period: date,
    values: Mapping[str, str] | None = None,
    *,
    catalogue: Catalogue | None = None,
    difficulties: str = "",
    proposals: str = "",
    reporter: str = "",
    deadline_day: int = DEFAULT_DEADLINE_DAY,
) -> bytes:
    """The form for ``unit`` and ``period`` as .docx bytes, prefilled with ``values`` (by indicator code)."""
    catalogue = catalogue or default_catalogue()
    values = {code: str(value) for code, value in (values or {}).items()}
    unknown = sorted(set(values) - set(catalogue.codes))
    if unknown:
        raise ValueError(f"values for indicators not in the catalogue: {', '.join(unknown)}")
    period = period.replace(day=1)
    document = Document()
    _setup_document(document, unit, period)
    _add_masthead(document, unit, period, deadline_day)
    _add_heading(document, GENERAL_HEADING)
    _add_general_table(document, unit, period, reporter)
    _add_heading(document, INDICATORS_HEADING)
    _add_indicator_table(document, catalogue, values)
    _add_heading(document, DIFFICULTIES_HEADING)
    _add_text(document, difficulties)
    _add_heading(document, PROPOSALS_HEADING)
    _add_text(document, proposals)
    _add_signatures(document, reporter)
    return _stable_zip(_save(document), period)


def _save(document: DocumentObject) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _stable_zip(data: bytes, period: date) -> bytes:
    """Rewrite the package with fixed member timestamps, so the same inputs give the same bytes."""
    stamp = (max(period.year, 1980), period.month, 1, 0, 0, 0)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(item.filename))
    return out.getvalue()


def _setup_document(document: DocumentObject, unit: ReportingUnit, period: date) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    _set_default_font(document)
    normal = document.styles["Normal"]
    normal.font.size = FONT_SIZE
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(3)
    normal.paragraph_format.line_spacing = 1.0
    _set_run_fonts(normal.element.get_or_add_rPr())
    heading = document.styles["Heading 1"]
    _set_run_fonts(heading.element.get_or_add_rPr())
    heading.font.size, heading.font.bold, heading.font.color.rgb = FONT_SIZE, True, None
    heading.paragraph_format.space_before, heading.paragraph_format.space_after = Pt(12), Pt(6)
    heading.paragraph_format.keep_with_next = True
    properties = document.core_properties
    properties.title = nfc(f"{TITLE} - Tháng {format_form_period(period)}")
    properties.author = properties.last_modified_by = nfc(unit.name_vi)
    properties.language = LANGUAGE
    properties.created = properties.modified = datetime(period.year, period.month, 1)
    properties.revision = 1


def _set_default_font(document: DocumentObject) -> None:
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is None:
        return
    rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    if rpr is not None:
        _set_run_fonts(rpr)


def _set_run_fonts(rpr: BaseOxmlElement) -> None:
    """Times New Roman for every script, dropping theme fonts (which would win over named ones)."""
    fonts = _child(rpr, "w:rFonts")
    for attribute in list(fonts.attrib):
        if attribute.endswith("Theme"):
            del fonts.attrib[attribute]
    for script in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{script}"), FONT)
    _child(rpr, "w:lang").set(qn("w:val"), LANGUAGE)


def _child(parent: BaseOxmlElement, tag: str) -> BaseOxmlElement:
    """The ``tag`` child of ``parent``, added where the schema's element order puts it if missing."""
    existing = parent.find(qn(tag))
    if existing is not None:
        return existing
    return parent.insert_element_before(OxmlElement(tag), *_SUCCESSORS[tag])


def _paragraph(
    container: DocumentObject | _Cell,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    size: Pt | None = None,
    align: WD_ALIGN_PARAGRAPH | None = None,
) -> Paragraph:
    paragraph = container.add_paragraph()
    if text:
        run = paragraph.add_run(nfc(text))
        run.bold, run.italic = bold or None, italic or None
        if size is not None:
            run.font.size = size
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _cell_text(
    cell: _Cell,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
) -> None:
    paragraph = cell.paragraphs[0]
    if text:
        run = paragraph.add_run(nfc(text))
        run.bold, run.italic = bold or None, italic or None
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(2)


def _add_masthead(document: DocumentObject, unit: ReportingUnit, period: date, deadline_day: int) -> None:
    table = _table(document, 2, MOTTO_WIDTHS, style=None)
    left, right = table.rows[0].cells
    _cell_text(left, unit.name_vi.upper(), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _cell_text(right, MOTTO, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    right.paragraphs[0].runs[0].font.size = Pt(12)
    subtitle = _paragraph(right, MOTTO_SUBTITLE, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    subtitle.runs[0].underline = True
    _paragraph(document)
    _paragraph(document, TITLE, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, f"Tháng {format_form_period(period)}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, SOURCE_LETTER, italic=True, size=Pt(12), align=WD_ALIGN_PARAGRAPH.CENTER)
    note = _paragraph(document, send_instructions(deadline_day), italic=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    note.paragraph_format.space_before = Pt(6)


def _add_heading(document: DocumentObject, text: str) -> None:
    document.add_paragraph(nfc(text), style="Heading 1")


def _add_general_table(document: DocumentObject, unit: ReportingUnit, period: date, reporter: str) -> None:
    rows = (
        (LABEL_UNIT_NAME, unit.name_vi),
        (LABEL_UNIT_CODE, unit.unit_code),
        (LABEL_PERIOD, format_form_period(period)),
        (LABEL_REPORTER, reporter),
    )
    table = _table(document, 2, GENERAL_WIDTHS)
    for index, (label, value) in enumerate(rows):
        row = table.rows[0] if index == 0 else _add_row(table, GENERAL_WIDTHS)
        _cell_text(row.cells[0], label, bold=True)
        _cell_text(row.cells[1], value)


def _add_indicator_table(document: DocumentObject, catalogue: Catalogue, values: Mapping[str, str]) -> None:
    table = _table(document, len(INDICATOR_COLUMNS), INDICATOR_WIDTHS)
    header = table.rows[0]
    _repeat_as_header(header)
    for cell, title in zip(header.cells, INDICATOR_COLUMNS, strict=True):
        _cell_text(cell, title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        _shade(cell, HEADER_SHADING)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    groups = {g.group_code: g for g in catalogue.groups}
    current_group: str | None = None
    for indicator in catalogue.in_form_order():
        if indicator.group_code != current_group:
            current_group = indicator.group_code
            _add_group_row(table, groups[current_group].name_vi)
        _add_indicator_row(table, indicator, values.get(indicator.indicator_code, ""))


def _add_group_row(table: Table, name: str) -> None:
    row = _add_row(table, INDICATOR_WIDTHS)
    merged = row.cells[0].merge(row.cells[-1])
    _cell_text(merged, name, bold=True)
    _shade(merged, GROUP_SHADING)
    _keep_with_next(merged)


def _add_indicator_row(table: Table, indicator: Indicator, value: str) -> None:
    cells = _add_row(table, INDICATOR_WIDTHS).cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    _cell_text(cells[0], indicator.indicator_code, align=center)
    _cell_text(cells[1], indicator.name_vi)
    _cell_text(cells[2], indicator.measure_unit_vi, align=center)
    _cell_text(cells[3], value, align=center)
    _cell_text(cells[4], "")
    for cell in cells:
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _add_text(document: DocumentObject, text: str) -> None:
    lines = nfc(text).strip("\n").split("\n") if text.strip() else [""]
    for line in lines:
        _paragraph(document, line, align=WD_ALIGN_PARAGRAPH.JUSTIFY)


def _add_signatures(document: DocumentObject, reporter: str) -> None:
    _paragraph(document).paragraph_format.keep_with_next = True
    table = _table(document, 2, SIGNATURE_WIDTHS, style=None)
    center = WD_ALIGN_PARAGRAPH.CENTER
    rows = (
        (("", False, False), ("......, ngày ..... tháng ..... năm ......", False, True)),
        (("NGƯỜI LẬP BIỂU", True, False), ("THỦ TRƯỞNG ĐƠN VỊ", True, False)),
        (("(Ký, ghi rõ họ tên)", False, True), ("(Ký tên, đóng dấu)", False, True)),
        (("", False, False), ("", False, False)),
        (("", False, False), ("", False, False)),
        ((reporter, True, False), ("", False, False)),
    )
    for index, pair in enumerate(rows):
        row = table.rows[0] if index == 0 else _add_row(table, SIGNATURE_WIDTHS)
        for cell, (text, bold, italic) in zip(row.cells, pair, strict=True):
            _cell_text(cell, text, bold=bold, italic=italic, align=center)
            if index < len(rows) - 1:
                _keep_with_next(cell)
    _paragraph(document)


def _table(document: DocumentObject, columns: int, widths: Sequence[Mm], *, style: str | None = "Table Grid") -> Table:
    table = document.add_table(rows=1, cols=columns)
    if style:
        table.style = document.styles[style]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _fixed_layout(table, widths)
    _size_row(table.rows[0], widths)
    return table


def _fixed_layout(table: Table, widths: Sequence[Mm]) -> None:
    width = _child(table._tbl.tblPr, "w:tblW")
    width.set(qn("w:w"), str(sum(w.twips for w in widths)))
    width.set(qn("w:type"), "dxa")
    for column, size in zip(table.columns, widths, strict=True):
        column.width = size


def _add_row(table: Table, widths: Sequence[Mm]) -> _Row:
    row = table.add_row()
    _size_row(row, widths)
    return row


def _size_row(row: _Row, widths: Sequence[Mm]) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for cell, width in zip(row.cells, widths, strict=True):
        cell.width = width


def _repeat_as_header(row: _Row) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def _shade(cell: _Cell, fill: str) -> None:
    shading = _child(cell._tc.get_or_add_tcPr(), "w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)


def _keep_with_next(cell: _Cell) -> None:
    for paragraph in cell.paragraphs:
        paragraph.paragraph_format.keep_with_next = True
