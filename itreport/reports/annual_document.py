"""The annual evaluation as a Vietnamese administrative document (.docx, Nghị định 30/2020/NĐ-CP layout):
"Kết quả đánh giá Trang/Cổng thông tin điện tử và mức độ ứng dụng CNTT của các cơ quan nhà nước năm YYYY".

Method (the five groups, their weights and scored indicators, from the seeds), the two rankings (ministries
and agencies, then provinces) each with the overall index, the five sub-indices and the change in rank since
last year, charts, and the units not ranked with the reason. The same inputs give the same bytes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell

from ingestion.domain.private_files import private_dir
from itreport.reports.annual_charts import write_charts
from itreport.reports.annual_data import RANKING_GROUP_TITLES, RANKING_GROUPS, AnnualEvaluation, UnitResult
from itreport.reports.docx_admin import (
    MOTTO,
    MOTTO_SUBTITLE,
    a4_page,
    nfc,
    set_core_properties,
    set_fonts,
    to_bytes,
)
from itreport.reports.docx_admin import (
    paragraph as admin_paragraph,
)

BODY_SIZE = Pt(13)
TABLE_SIZE = Pt(10)
USABLE_WIDTH_MM = 165  # A4 210 mm less margins 30 + 15
RANK_HEADER = "Xếp hạng"
CHANGE_HEADER = "Thay đổi so với năm trước"
MINISTRY_MERGER = date(2025, 3, 1)


def title(year: int) -> str:
    return (
        "Kết quả đánh giá Trang/Cổng thông tin điện tử và mức độ ứng dụng công nghệ thông tin "
        f"của các cơ quan nhà nước năm {year}"
    )


def ministry_on(day: date) -> str:
    """The ministry in charge of IT application on ``day`` (the 2025 merger moved it)."""
    return "Bộ Thông tin và Truyền thông" if day < MINISTRY_MERGER else "Bộ Khoa học và Công nghệ"


def index_text(value: Decimal) -> str:
    """An index as the document prints it: four decimals, decimal comma (0,5500)."""
    return f"{value:.4f}".replace(".", ",")


def weight_text(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def rank_change_text(unit: UnitResult) -> str:
    change = unit.rank_change
    if change is None:
        return "–"
    return f"+{change}" if change > 0 else ("0" if change == 0 else f"−{-change}")


def method_sentences(evaluation: AnnualEvaluation) -> list[str]:
    """The method section's text, built from the seeds (weights, groups, scored indicators)."""
    formula = " + ".join(f"{weight_text(g.weight)} × {g.name_vi}" for g in evaluation.groups)
    months = len(evaluation.closed_months)
    share = f"{evaluation.min_reported_share * 100:.0f}%"
    return [
        "Mức độ ứng dụng công nghệ thông tin của mỗi cơ quan được đánh giá theo năm nhóm tiêu chí. Mỗi chỉ tiêu "
        "được chấm điểm từ 0 đến 1 theo số liệu báo cáo tháng 12 (hoặc tháng gần nhất có số liệu trong năm); "
        "chỉ tiêu không báo cáo được 0 điểm. Chỉ số thành phần của một nhóm là bình quân điểm các chỉ tiêu của "
        "nhóm; chỉ số tổng hợp là tổng có trọng số của năm chỉ số thành phần:",
        f"Chỉ số tổng hợp = {formula}.",
        "Các bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ được xếp hạng riêng với các tỉnh, thành phố trực "
        "thuộc Trung ương. Đơn vị có chỉ số tổng hợp bằng nhau (làm tròn 4 chữ số thập phân) cùng thứ hạng; "
        "thứ hạng tiếp theo bỏ qua số đơn vị đồng hạng.",
        f"Năm {evaluation.year} có {months} kỳ báo cáo đã khóa sổ. Đơn vị gửi báo cáo (hoặc thông báo số liệu "
        f"giống tháng trước) ít hơn {share} số kỳ phải báo cáo không được xếp hạng và được liệt kê ở Mục III.",
    ]


def reorganisation_sentence(evaluation: AnnualEvaluation) -> str | None:
    if not evaluation.reorganisations:
        return None
    return (
        f"Năm {evaluation.year} có sắp xếp lại tổ chức bộ máy và đơn vị hành chính: kết quả xếp hạng các đơn vị "
        f"tồn tại vào tháng 12/{evaluation.year}; số liệu các tháng của các đơn vị trước sắp xếp được gộp vào đơn "
        "vị kế thừa (số lượng cộng dồn, tỷ lệ lấy bình quân, chỉ tiêu có/không lấy giá trị có) như Bảng 5."
    )


def write_annual_document(
    evaluation: AnnualEvaluation,
    path: Path,
    *,
    issued_on: date,
    issuing_department: str,
    chart_dir: Path,
) -> Path:
    """Write the document to ``path`` (0600); PNG charts are drawn into ``chart_dir`` first."""
    charts = write_charts(evaluation, chart_dir, "png")
    document = Document()
    _setup(document, evaluation, issued_on)
    _masthead(document, evaluation, issued_on, issuing_department)
    _heading(document, "I. PHƯƠNG PHÁP ĐÁNH GIÁ")
    for sentence in method_sentences(evaluation):
        _paragraph(document, sentence, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    reorganised = reorganisation_sentence(evaluation)
    if reorganised:
        _paragraph(document, reorganised, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _caption(document, "Bảng 1. Nhóm tiêu chí, trọng số và các chỉ tiêu chấm điểm")
    _method_table(document, evaluation)
    _heading(document, "II. KẾT QUẢ XẾP HẠNG")
    _paragraph(
        document,
        f"Cột “{CHANGE_HEADER}”: +n là tăng n bậc, −n là giảm n bậc, 0 là giữ nguyên, – là năm trước "
        "không được xếp hạng (đơn vị mới hoặc chưa đủ báo cáo).",
        italic=True,
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
    )
    figures = {chart.name: (chart, png) for chart, png in charts}
    for number, ranking_group in enumerate(RANKING_GROUPS, start=1):
        _heading(document, f"{number}. {RANKING_GROUP_TITLES[ranking_group]}")
        _caption(document, f"Bảng {number + 1}. Xếp hạng khối {RANKING_GROUP_TITLES[ranking_group].lower()}")
        _ranking_table(document, evaluation, ranking_group)
        chart, png = figures[f"xep-hang-{ranking_group}-{evaluation.year}"]
        _figure(document, png, f"Hình {number}. {chart.title}")
    chart, png = figures[f"chi-so-nhom-{evaluation.year}"]
    _figure(document, png, f"Hình 3. {chart.title}")
    _heading(document, "III. ĐƠN VỊ CHƯA ĐỦ ĐIỀU KIỆN XẾP HẠNG")
    _unranked(document, evaluation)
    if evaluation.reorganisations:
        _caption(document, "Bảng 5. Đơn vị kế thừa và các đơn vị được gộp số liệu")
        _reorganisation_table(document, evaluation)
    _closing(document)
    data = to_bytes(document, issued_on)
    private_dir(path.parent, narrow_existing=False)
    path.write_bytes(data)
    path.chmod(0o600)
    return path


# ---------------------------------------------------------------- layout


def _setup(document: DocumentObject, evaluation: AnnualEvaluation, issued_on: date) -> None:
    a4_page(document, right_margin=Mm(15))
    normal = document.styles["Normal"]
    normal.font.size = BODY_SIZE
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(6)
    set_fonts(normal.element.get_or_add_rPr())
    defaults = document.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    if defaults is not None:
        set_fonts(defaults)
    for name in ("Heading 1", "Heading 2", "Caption"):
        style = document.styles[name]
        set_fonts(style.element.get_or_add_rPr())
        style.font.size, style.font.bold, style.font.color.rgb = BODY_SIZE, True, None
        style.font.italic = name == "Caption"
        style.paragraph_format.space_before, style.paragraph_format.space_after = Pt(9), Pt(6)
        style.paragraph_format.keep_with_next = True
    set_core_properties(document, title(evaluation.year), ministry_on(issued_on), issued_on)


def _paragraph(container, text: str = "", *, bold=False, italic=False, size=None, align=None, underline=False):
    """:func:`docx_admin.paragraph`, but left to the style's alignment unless told."""
    return admin_paragraph(container, text, bold=bold, italic=italic, underline=underline, size=size, align=align)


def _heading(document: DocumentObject, text: str) -> None:
    document.add_paragraph(nfc(text), style="Heading 1")


def _caption(document: DocumentObject, text: str) -> None:
    paragraph = document.add_paragraph(nfc(text), style="Caption")
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _cell(cell: _Cell, text: str, *, bold=False, italic=False, align=None, size=TABLE_SIZE, underline=False) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(nfc(text))
    run.bold, run.italic, run.underline = bold or None, italic or None, underline or None
    run.font.size = size
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(1)


def _table(document: DocumentObject, widths_mm: list[float], *, grid: bool = True) -> Table:
    table = document.add_table(rows=0, cols=len(widths_mm))
    if grid:
        table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    return table


def _row(table: Table, texts: list[str], *, header: bool = False, aligns=None) -> None:
    row = table.add_row()
    for index, (cell, text) in enumerate(zip(row.cells, texts, strict=True)):
        cell.width = table.columns[index].width
        align = WD_ALIGN_PARAGRAPH.CENTER if header else (aligns[index] if aligns else None)
        _cell(cell, text, bold=header, align=align)
    if header:  # repeat the header row on every page
        properties = row._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        properties.append(repeat)


def _masthead(document: DocumentObject, evaluation: AnnualEvaluation, issued_on: date, department: str) -> None:
    table = _table(document, [70, 95], grid=False)
    row = table.add_row()
    left, right = row.cells
    _cell(left, ministry_on(issued_on).upper(), size=Pt(12), align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(left, department.upper(), bold=True, size=Pt(12), align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(left, "Số:        /BC-ƯDCNTT", size=BODY_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
    _cell(right, MOTTO, bold=True, size=Pt(12), align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(right, MOTTO_SUBTITLE, bold=True, size=BODY_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, underline=True)
    _paragraph(
        right,
        f"Hà Nội, ngày {issued_on.day:02d} tháng {issued_on.month:02d} năm {issued_on.year}",
        italic=True,
        size=BODY_SIZE,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _paragraph(document)
    _paragraph(document, "BÁO CÁO", bold=True, size=Pt(14), align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, title(evaluation.year), bold=True, size=Pt(14), align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(
        document,
        "Thực hiện Công văn số 693/BTTTT-ƯDCNTT về việc đánh giá Trang/Cổng thông tin điện tử và mức độ ứng "
        "dụng công nghệ thông tin của các bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ và các tỉnh, thành phố "
        f"trực thuộc Trung ương, trên cơ sở báo cáo tháng của các cơ quan năm {evaluation.year}, "
        f"{ministry_on(issued_on)} báo cáo kết quả đánh giá như sau:",
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
    )


def _method_table(document: DocumentObject, evaluation: AnnualEvaluation) -> None:
    table = _table(document, [45, 18, 102])
    _row(table, ["Nhóm tiêu chí", "Trọng số", "Chỉ tiêu chấm điểm (cách quy về thang 0–1)"], header=True)
    for group in evaluation.groups:
        indicators = "; ".join(f"{i.indicator_code} {i.name_vi} ({i.rule_vi})" for i in group.indicators)
        _row(
            table,
            [group.name_vi, weight_text(group.weight), indicators or "—"],
            aligns=[None, WD_ALIGN_PARAGRAPH.CENTER, None],
        )
    total = sum((g.weight for g in evaluation.groups), Decimal(0))
    _row(table, ["Cộng", weight_text(total), ""], aligns=[None, WD_ALIGN_PARAGRAPH.CENTER, None])


def _ranking_table(document: DocumentObject, evaluation: AnnualEvaluation, ranking_group: str) -> None:
    group_count = len(evaluation.groups)
    sub_width = (USABLE_WIDTH_MM - 12 - 45 - 17 - 16) / group_count
    table = _table(document, [12, 45, 17, *([sub_width] * group_count), 16])
    headers = [RANK_HEADER, "Đơn vị", "Chỉ số tổng hợp", *(g.name_vi for g in evaluation.groups), CHANGE_HEADER]
    _row(table, headers, header=True)
    centre, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    units = evaluation.ranking(ranking_group)
    for unit in units:
        _row(
            table,
            [
                str(unit.group_rank),
                unit.unit_name,
                index_text(unit.overall_index),
                *(index_text(unit.group_indices[g.group_code]) for g in evaluation.groups),
                rank_change_text(unit),
            ],
            aligns=[centre, None, right, *([right] * group_count), centre],
        )
    if not units:
        _paragraph(document, "Không có đơn vị nào đủ điều kiện xếp hạng.", italic=True)


def _figure(document: DocumentObject, png: Path, caption: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run().add_picture(str(png), width=Mm(USABLE_WIDTH_MM))
    _caption(document, caption)


def _unranked(document: DocumentObject, evaluation: AnnualEvaluation) -> None:
    units = evaluation.unranked
    if not units:
        _paragraph(document, "Tất cả các đơn vị đều đủ số kỳ báo cáo để xếp hạng.")
        return
    _caption(document, "Bảng 4. Đơn vị không được xếp hạng và lý do")
    table = _table(document, [60, 45, 60])
    _row(table, ["Đơn vị", "Khối", "Lý do"], header=True)
    for unit in units:
        _row(table, [unit.unit_name, RANKING_GROUP_TITLES[unit.ranking_group], evaluation.unranked_reason_vi(unit)])


def _reorganisation_table(document: DocumentObject, evaluation: AnnualEvaluation) -> None:
    table = _table(document, [60, 105])
    _row(table, ["Đơn vị kế thừa", "Gộp số liệu các tháng của"], header=True)
    for item in evaluation.reorganisations:
        _row(table, [item.unit_name, "; ".join(name for _, name in item.predecessors)])


def _closing(document: DocumentObject) -> None:
    _paragraph(document)
    table = _table(document, [80, 85], grid=False)
    left, right = table.add_row().cells
    _cell(left, "Nơi nhận:", bold=True, italic=True, size=Pt(12))
    for line in (
        "- Lãnh đạo Bộ (để báo cáo);",
        "- Các bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ;",
        "- UBND các tỉnh, thành phố trực thuộc Trung ương;",
        "- Cổng thông tin điện tử của Bộ;",
        "- Lưu: VT.",
    ):
        _paragraph(left, line, size=Pt(11))
    _cell(right, "CỤC TRƯỞNG", bold=True, size=BODY_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
