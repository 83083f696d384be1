"""A Vietnamese administrative document (Nghị định 30/2020/NĐ-CP) with python-docx: A4, Times New Roman 13–14 pt,
the issuing body and number top left, the national motto top right over the place and date, the kind of document and
its summary line, the body, recipients bottom left and the signature bottom right.

Shared by the product's documents (the monthly briefing, the annual evaluation): each builds its body between
:func:`new_document` + :func:`add_masthead` and :func:`add_closing`, then :func:`to_bytes` gives stable bytes
(fixed zip timestamps and core properties), so the same figures give the same sha256.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

FONT = "Times New Roman"
BODY_SIZE = Pt(14)
SMALL_SIZE = Pt(12)
LANGUAGE = "vi-VN"
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_SUBTITLE = "Độc lập - Tự do - Hạnh phúc"
TEXT_WIDTH = Mm(160)  # A4 210 mm minus 30 mm left and 20 mm right margins


@dataclass(frozen=True)
class Issuer:
    """Who issues the document: the ministry in office on its date, the department, the number's suffix, the
    place, and who signs."""

    ministry: str
    department: str
    number_suffix: str
    place: str
    signer_title: str


def issuer_on(day: date) -> Issuer:
    """The Department of IT Application under the ministry in office on ``day`` (the 1 March 2025 merger)."""
    ministry = "BỘ THÔNG TIN VÀ TRUYỀN THÔNG" if day < date(2025, 3, 1) else "BỘ KHOA HỌC VÀ CÔNG NGHỆ"
    return Issuer(ministry, "CỤC ỨNG DỤNG CÔNG NGHỆ THÔNG TIN", "BC-UDCNTT", "Hà Nội", "CỤC TRƯỞNG")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def new_document(title: str, author: str, dated: date) -> DocumentObject:
    document = Document()
    a4_page(document, right_margin=Mm(20))
    for style_name in ("Normal", "Heading 1", "Heading 2", "Caption"):
        style = document.styles[style_name]
        set_fonts(style.element.get_or_add_rPr())
        style.font.name = FONT
        style.font.color.rgb = None
        style.font.size = BODY_SIZE if style_name != "Caption" else SMALL_SIZE
        style.paragraph_format.space_before = Pt(6 if style_name != "Normal" else 0)
        style.paragraph_format.space_after = Pt(6 if style_name != "Normal" else 3)
    document.styles["Heading 1"].font.bold = True
    document.styles["Heading 2"].font.bold = True
    document.styles["Heading 2"].font.italic = True
    set_core_properties(document, title, author, dated)
    return document


def a4_page(document: DocumentObject, *, right_margin: Mm) -> None:
    """A4 portrait, margins 20 mm top and bottom, 30 mm left, ``right_margin`` right."""
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), right_margin


def set_fonts(rpr) -> None:
    """Times New Roman for every script in a run-properties element (theme fonts removed)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in list(fonts.attrib):
        if attribute.endswith("Theme"):
            del fonts.attrib[attribute]
    for script in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{script}"), FONT)


def set_core_properties(document: DocumentObject, title: str, author: str, dated: date) -> None:
    """Title, author, language and dates fixed by the inputs (stable bytes)."""
    properties = document.core_properties
    properties.title = nfc(title)
    properties.author = properties.last_modified_by = nfc(author)
    properties.language = LANGUAGE
    properties.created = properties.modified = datetime(dated.year, dated.month, dated.day)
    properties.revision = 1


def paragraph(
    container: DocumentObject | _Cell,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    size: Pt | None = None,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.JUSTIFY,
    first: bool = False,
) -> Paragraph:
    """A paragraph (``first``: reuse a table cell's empty first paragraph)."""
    para = container.paragraphs[0] if first else container.add_paragraph()
    if text:
        run = para.add_run(nfc(text))
        run.bold, run.italic, run.underline = bold or None, italic or None, underline or None
        if size is not None:
            run.font.size = size
    if align is not None:
        para.alignment = align
    return para


def heading(document: DocumentObject, text: str, level: int = 1) -> Paragraph:
    return document.add_paragraph(nfc(text), style=f"Heading {level}")


def add_masthead(document: DocumentObject, issuer: Issuer, dated: date, kind: str, summary: str) -> None:
    """Issuer and number | motto, subtitle and place-date; then the kind of document and its summary line."""
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    left.width, right.width = Mm(65), Mm(95)
    center = WD_ALIGN_PARAGRAPH.CENTER
    paragraph(left, issuer.ministry, size=SMALL_SIZE, align=center, first=True)
    paragraph(left, issuer.department, bold=True, size=SMALL_SIZE, align=center)
    paragraph(left, f"Số:      /{issuer.number_suffix}", size=Pt(13), align=center)
    paragraph(right, MOTTO, bold=True, size=SMALL_SIZE, align=center, first=True)
    paragraph(right, MOTTO_SUBTITLE, bold=True, underline=True, size=Pt(13), align=center)
    paragraph(right, f"{issuer.place}, ngày {dated:%d} tháng {dated:%m} năm {dated:%Y}", italic=True, align=center)
    paragraph(document)
    paragraph(document, kind, bold=True, align=center)
    paragraph(document, summary, bold=True, align=center)


def add_table(document: DocumentObject, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A bordered table with a bold, repeated header row; numbers are right-aligned by the caller's text."""
    table = document.add_table(rows=1, cols=len(header))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        paragraph(cell, text, bold=True, size=SMALL_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, first=True)
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for values in rows:
        cells = table.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, values, strict=True)):
            align = WD_ALIGN_PARAGRAPH.LEFT if index == 0 or not _numeric(text) else WD_ALIGN_PARAGRAPH.RIGHT
            paragraph(cell, text, size=SMALL_SIZE, align=align, first=True)
    return table


def add_picture(document: DocumentObject, png: bytes, caption: str) -> None:
    document.add_picture(io.BytesIO(png), width=TEXT_WIDTH)
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph(document, caption, italic=True, size=SMALL_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)


def add_closing(document: DocumentObject, recipients: Sequence[str], issuer: Issuer) -> None:
    """ "Nơi nhận:" bottom left, the signature block bottom right."""
    paragraph(document)
    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.width, right.width = Mm(80), Mm(80)
    paragraph(left, "Nơi nhận:", bold=True, italic=True, size=SMALL_SIZE, align=WD_ALIGN_PARAGRAPH.LEFT, first=True)
    for name in recipients:
        paragraph(left, f"- {name};", size=Pt(11), align=WD_ALIGN_PARAGRAPH.LEFT)
    center = WD_ALIGN_PARAGRAPH.CENTER
    paragraph(right, issuer.signer_title, bold=True, align=center, first=True)
    for _ in range(3):
        paragraph(right, align=center)


def to_bytes(document: DocumentObject, dated: date) -> bytes:
    """The .docx bytes with every zip member dated ``dated``: the same content gives the same bytes."""
    raw = io.BytesIO()
    document.save(raw)
    stamp = (max(dated.year, 1980), dated.month, dated.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(item.filename))
    return out.getvalue()


def _numeric(text: str) -> bool:
    stripped = text.replace(",", "").replace(".", "").replace("+", "").replace("-", "").replace("%", "").strip()
    return stripped.isdigit()
