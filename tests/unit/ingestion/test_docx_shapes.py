"""``parse_report`` on WordprocessingML shapes agencies' editors produce, each built here from its XML: merged
cells, content controls, tracked changes, nested tables, text boxes, tabs and breaks, legacy fonts, the strict
namespace. The expected results were read with the reader these shapes were first written for; they pin what the
walk over the XML must keep giving."""

from __future__ import annotations

import io
import zipfile
import zlib
from datetime import date

import pytest

from ingestion.documents.docx_reader import parse_report
from ingestion.domain.records import ReportValue

TRANSITIONAL = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
VML = 'xmlns:v="urn:schemas-microsoft-com:vml"'


def run(text: str, font: str | None = None) -> str:
    fonts = f'<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}"/></w:rPr>' if font else ""
    return f'<w:r>{fonts}<w:t xml:space="preserve">{text}</w:t></w:r>'


def para(*runs: str) -> str:
    return f"<w:p>{''.join(runs)}</w:p>"


def cell(*content: str, props: str = "") -> str:
    return f"<w:tc>{f'<w:tcPr>{props}</w:tcPr>' if props else ''}{''.join(content) or '<w:p/>'}</w:tc>"


def text_cell(text: str, props: str = "", font: str | None = None) -> str:
    return cell(para(run(text, font)) if text else "", props=props)


def row(*cells: str, props: str = "") -> str:
    return f"<w:tr>{f'<w:trPr>{props}</w:trPr>' if props else ''}{''.join(cells)}</w:tr>"


def table(*rows: str) -> str:
    return f"<w:tbl><w:tblPr/>{''.join(rows)}</w:tbl>"


def info_table(unit_name: str = "Tỉnh Lào Cai", unit_code: str = "P02", period: str = "06/2009") -> str:
    labels = (("Cơ quan báo cáo", unit_name), ("Mã đơn vị", unit_code), ("Kỳ báo cáo", period))
    return table(*(row(text_cell(label), text_cell(value)) for label, value in labels))


HEADER = row(*(text_cell(t) for t in ("Mã", "Chỉ tiêu", "Đơn vị tính", "Giá trị", "Ghi chú")))


def indicator_row(code: str, value: str, name: str = "", note: str = "") -> str:
    return row(text_cell(code), text_cell(name), text_cell(""), text_cell(value), text_cell(note))


def docx(
    body: str,
    *,
    namespace: str = TRANSITIONAL,
    styles: str | None = None,
    main_part: str = "word/document.xml",
) -> bytes:
    declaration = '<?xml version="1.0" encoding="UTF-8"?>'
    document = f'{declaration}<w:document xmlns:w="{namespace}" {VML}><w:body>{body}</w:body></w:document>'
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'officeDocument" Target="{main_part}"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr("_rels/.rels", rels)
        package.writestr(main_part, document)
        if styles is not None:
            package.writestr("word/styles.xml", f'{declaration}<w:styles xmlns:w="{namespace}">{styles}</w:styles>')
    return buffer.getvalue()


def doc_defaults(fonts: str) -> str:
    return f"<w:docDefaults><w:rPrDefault><w:rPr>{fonts}</w:rPr></w:rPrDefault></w:docDefaults>"


def form(*indicator_rows: str, before: str = "", after: str = "", **info: str) -> bytes:
    return docx(before + info_table(**info) + para() + table(HEADER, *indicator_rows) + after)


def values(report) -> dict[str, tuple[str | None, float | None]]:
    return {code: (v.value_text, v.value_number) for code, v in report.values.items()}


def test_a_plain_form() -> None:
    report = parse_report(form(indicator_row("1.1", "Có"), indicator_row("1.4", "1.234")))
    assert (report.unit_code, report.unit_name, report.period) == ("P02", "Tỉnh Lào Cai", date(2009, 6, 1))
    assert report.values == {"1.1": ReportValue("1.1", "Có", 1.0), "1.4": ReportValue("1.4", "1.234", 1234.0)}
    assert report.problems == []


def test_a_value_spanning_two_grid_columns_is_read_once_at_its_first_column() -> None:
    spanned = row(text_cell("1.4"), text_cell(""), text_cell("12", props='<w:gridSpan w:val="2"/>'), text_cell(""))
    assert values(parse_report(form(spanned))) == {"1.4": ("12", 12.0)}


def test_a_value_merged_down_is_read_in_its_first_row_only() -> None:
    first = row(text_cell("1.4"), text_cell(""), text_cell(""), text_cell("7", props='<w:vMerge w:val="restart"/>'))
    second = row(text_cell("1.5"), text_cell(""), text_cell(""), text_cell("7", props="<w:vMerge/>"))
    assert values(parse_report(form(first, second))) == {"1.4": ("7", 7.0), "1.5": (None, None)}


def test_horizontally_merged_cells_and_cells_before_the_grid() -> None:
    merged = row(
        text_cell("1.4"),
        text_cell("", props='<w:hMerge w:val="restart"/>'),
        text_cell("x", props="<w:hMerge/>"),
        text_cell("5"),
    )
    shifted = row(text_cell("1.5"), text_cell(""), text_cell(""), text_cell("9"), props='<w:gridBefore w:val="1"/>')
    report = parse_report(form(merged, shifted))
    assert values(report) == {"1.4": ("5", 5.0)}  # the shifted row's code sits in the name column: no code there


def test_content_controls_and_custom_xml_around_rows_cells_runs_and_paragraphs() -> None:
    wrapped_row = f"<w:sdt><w:sdtPr/><w:sdtContent>{indicator_row('1.4', '21')}</w:sdtContent></w:sdt>"
    wrapped_cells = row(
        f"<w:customXml w:element='code'>{text_cell('1.5')}</w:customXml>",
        text_cell(""),
        text_cell(""),
        f"<w:sdt><w:sdtContent>{cell(para(run('3'), '<w:sdt><w:sdtContent>' + run('4') + '</w:sdtContent></w:sdt>'))}"
        "</w:sdtContent></w:sdt>",
    )
    heading = f"<w:sdt><w:sdtContent>{para(run('Khó khăn, vướng mắc:'))}</w:sdtContent></w:sdt>"
    smart = para(run("Thiếu "), "<w:smartTag w:element='place'>" + run("máy chủ") + "</w:smartTag>")
    report = parse_report(form(wrapped_row, wrapped_cells, after=heading + smart))
    assert values(report) == {"1.4": ("21", 21.0), "1.5": ("34", 34.0)}
    assert report.difficulties == "Thiếu máy chủ"


def test_tracked_insertions_count_and_deletions_do_not() -> None:
    tracked = row(
        text_cell("1.4"),
        text_cell(""),
        text_cell(""),
        cell(
            para(
                "<w:del w:id='1' w:author='a'><w:r><w:delText>99</w:delText></w:r></w:del>",
                "<w:ins w:id='2' w:author='a'>" + run("15") + "</w:ins>",
            )
        ),
    )
    assert values(parse_report(form(tracked))) == {"1.4": ("15", 15.0)}


def test_tabs_breaks_and_paragraphs_inside_a_cell() -> None:
    note = cell(
        para(
            '<w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>',
            run("a"),
            "<w:r><w:tab/></w:r>",
            run("b"),
        ),
        para(run("c"), "<w:r><w:br/><w:t>d</w:t><w:cr/></w:r>"),
    )
    name = cell(para(run("x")), para(run("y")))
    report = parse_report(form(row(text_cell("1.2"), name, text_cell(""), note, text_cell(""))))
    assert values(report) == {"1.2": ("a\tb\nc\nd", None)}


def test_a_nested_table_is_a_table_of_its_own() -> None:
    nested = table(indicator_row("1.5", "8"))
    outer = row(text_cell("1.4"), text_cell(""), text_cell(""), cell(para(run("6")), nested))
    report = parse_report(form(outer))
    assert values(report) == {"1.4": ("6", 6.0), "1.5": ("8", 8.0)}


def test_a_text_box_inside_a_run_is_read_after_the_runs_own_text() -> None:
    box = (
        "<w:r><w:t>1</w:t><w:pict><v:shape><v:textbox><w:txbxContent>"
        + para(run("2"))
        + "</w:txbxContent></v:textbox></v:shape></w:pict><w:t>3</w:t></w:r>"
    )
    report = parse_report(form(row(text_cell("1.4"), text_cell(""), text_cell(""), cell(para(box)))))
    assert values(report) == {"1.4": ("132", 132.0)}


def test_rows_without_codes_are_found_by_name_and_unknown_codes_are_problems() -> None:
    report = parse_report(
        form(
            indicator_row("", "40", name="Số tin, bài được đăng trong tháng"),
            indicator_row("9.9", "1"),
            indicator_row("1.4", "41"),
        )
    )
    assert values(report) == {"1.4": ("40", 40.0)}
    assert report.problems == [
        'mã chỉ tiêu "9.9" không có trong danh mục (giá trị "1" bị bỏ qua)',
        'chỉ tiêu 1.4 có hai giá trị khác nhau: "40" và "41"',
    ]


def test_legacy_fonts_in_runs_and_in_the_default_style() -> None:
    tcvn3_name = run("TØnh Lµo Cai", font=".VnTime")
    vni_reporter = para(run("Ngöôøi laäp baùo caùo: Nguyeãn Vaên A", font="VNI-Times"))
    info = table(
        row(text_cell("Cơ quan báo cáo"), cell(para(tcvn3_name))),
        row(text_cell("Mã đơn vị"), text_cell("P02")),
        row(text_cell("Kỳ báo cáo"), text_cell("06/2009")),
    )
    report = parse_report(docx(info + table(HEADER, indicator_row("1.4", "3")) + vni_reporter))
    assert (report.unit_name, report.reporter) == ("Tỉnh Lào Cai", "Nguyễn Văn A")

    default_tcvn3 = doc_defaults('<w:rFonts w:ascii=".VnTime"/>')
    unicode_run = run("Tỉnh Lào Cai", font="Times New Roman")
    label = text_cell("Cơ quan báo cáo", font="Times New Roman")
    body = table(row(label, cell(para(unicode_run))), row(text_cell("Kú b¸o c¸o"), text_cell("06/2009")))
    report = parse_report(docx(body, styles=default_tcvn3))
    assert (report.unit_name, report.period) == ("Tỉnh Lào Cai", date(2009, 6, 1))


@pytest.mark.parametrize(
    "styles",
    [
        '<w:style w:type="paragraph" w:default="1"><w:rPr><w:rFonts w:hAnsi=".VnTimeH"/></w:rPr></w:style>',
        doc_defaults('<w:rFonts w:asciiTheme="minorHAnsi"/>')
        + '<w:style w:type="paragraph" w:default="1"><w:rPr><w:rFonts w:ascii=".VnTimeH"/></w:rPr></w:style>',
    ],
)
def test_the_default_font_comes_from_the_normal_style_when_doc_defaults_name_none(styles: str) -> None:
    labels = [text_cell(label, font="Arial") for label in ("Cơ quan báo cáo", "Mã đơn vị")]
    body = table(row(labels[0], text_cell("tØnh lµo cai")), row(labels[1], text_cell("P02")))
    assert parse_report(docx(body, styles=styles)).unit_name == "TỈNH LÀO CAI"


def test_a_styles_part_that_is_not_xml_leaves_text_as_it_is() -> None:
    body = table(row(text_cell("Cơ quan báo cáo"), text_cell("tØnh")), row(text_cell("Mã đơn vị"), text_cell("P02")))
    assert parse_report(docx(body, styles="<w:docDefaults>")).unit_name == "tØnh"


def test_the_strict_namespace_and_a_main_part_named_by_the_package_relationships() -> None:
    body = info_table() + table(HEADER, indicator_row("1.4", "2"))
    report = parse_report(docx(body, namespace=STRICT, main_part="word/main.xml"))
    assert (report.unit_code, values(report)) == ("P02", {"1.4": ("2", 2.0)})


def test_a_package_without_a_body_or_main_part_is_a_value_error() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("word/document.xml", f'<w:document xmlns:w="{TRANSITIONAL}"/>')
    with pytest.raises(ValueError, match="no document body"):
        parse_report(buffer.getvalue())
    with pytest.raises(ValueError, match=r"no part word/document\.xml"):
        parse_report(_without_main_part())


def _without_main_part() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("word/styles.xml", "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize("part", ["word/styles.xml", "_rels/.rels"])
@pytest.mark.parametrize(("where", "error"), [("header", zipfile.BadZipFile), ("stored bytes", zlib.error)])
def test_a_damaged_part_fails_even_after_its_intact_twin_was_read(part: str, where: str, error: type) -> None:
    intact = docx(info_table() + table(HEADER, indicator_row("1.4", "2")), styles=doc_defaults("<w:rFonts/>"))
    assert parse_report(intact).unit_code == "P02"
    info = zipfile.ZipFile(io.BytesIO(intact)).getinfo(part)
    damaged = bytearray(intact)
    damaged[info.header_offset + (0 if where == "header" else 30 + len(part) + 3)] ^= 0xFF
    with pytest.raises(error):
        parse_report(bytes(damaged))
