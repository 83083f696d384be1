"""The public results page of the annual evaluation: one HTML file and its assets (stylesheet, a small sorting
script, SVG charts), no request to any other host (a Content-Security-Policy says so to the browser too).

Readable without JavaScript: real tables with captions, column and row headers, in rank order. With
JavaScript every column header becomes a button that sorts the table (``aria-sort`` tells screen readers).
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

from ingestion.domain.private_files import private_dir
from itreport.reports.annual_charts import write_charts
from itreport.reports.annual_data import RANKING_GROUP_TITLES, RANKING_GROUPS, AnnualEvaluation
from itreport.reports.annual_document import (
    CHANGE_HEADER,
    RANK_HEADER,
    index_text,
    method_sentences,
    ministry_on,
    rank_change_text,
    reorganisation_sentence,
    title,
    weight_text,
)

ASSETS = Path(__file__).with_name("annual_page_assets")
CSP = "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'none'"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _section_id(ranking_group: str) -> str:
    return f"xep-hang-{ranking_group.replace('_', '-')}"


def _method(evaluation: AnnualEvaluation) -> str:
    rows = "".join(
        f"<tr><th scope='row'>{_e(g.name_vi)}</th><td class='num'>{_e(weight_text(g.weight))}</td><td><ul>"
        + "".join(f"<li>{_e(i.indicator_code)} {_e(i.name_vi)} ({_e(i.rule_vi)})</li>" for i in g.indicators)
        + "</ul></td></tr>"
        for g in evaluation.groups
    )
    sentences = "".join(f"<p>{_e(s)}</p>" for s in method_sentences(evaluation))
    reorganised = reorganisation_sentence(evaluation)
    return (
        "<section id='phuong-phap' aria-labelledby='phuong-phap-tieu-de'>"
        "<h2 id='phuong-phap-tieu-de'>Phương pháp đánh giá</h2>"
        f"{sentences}{f'<p>{_e(reorganised)}</p>' if reorganised else ''}"
        "<table class='method'><caption>Nhóm tiêu chí, trọng số và các chỉ tiêu chấm điểm</caption>"
        "<thead><tr><th scope='col'>Nhóm tiêu chí</th><th scope='col'>Trọng số</th>"
        "<th scope='col'>Chỉ tiêu chấm điểm (cách quy về thang 0–1)</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _ranking(evaluation: AnnualEvaluation, ranking_group: str, chart_file: str, chart_alt: str) -> str:
    group_headers = "".join(f"<th scope='col' data-sort='number'>{_e(g.name_vi)}</th>" for g in evaluation.groups)
    rows = []
    for unit in evaluation.ranking(ranking_group):
        indices = "".join(
            f"<td class='num' data-value='{unit.group_indices[g.group_code]}'>"
            f"{_e(index_text(unit.group_indices[g.group_code]))}</td>"
            for g in evaluation.groups
        )
        change = unit.rank_change
        rows.append(
            f"<tr data-unit='{_e(unit.unit_code)}'>"
            f"<td class='num' data-value='{unit.group_rank}'>{unit.group_rank}</td>"
            f"<th scope='row'>{_e(unit.unit_name)}</th>"
            f"<td class='num' data-value='{unit.overall_index}'>{_e(index_text(unit.overall_index))}</td>"
            f"{indices}"
            f"<td class='num' data-value='{'' if change is None else change}'>{_e(rank_change_text(unit))}</td></tr>"
        )
    section = _section_id(ranking_group)
    heading = RANKING_GROUP_TITLES[ranking_group]
    body = "".join(rows) or f"<tr><td colspan='{len(evaluation.groups) + 4}'>Không có đơn vị đủ điều kiện.</td></tr>"
    return (
        f"<section id='{section}' aria-labelledby='{section}-tieu-de'>"
        f"<h2 id='{section}-tieu-de'>{_e(heading)}</h2>"
        "<div class='scroll' tabindex='0' role='region' "
        f"aria-labelledby='{section}-bang'>"
        f"<table class='ranking sortable' id='{section}-bang-du-lieu'>"
        f"<caption id='{section}-bang'>Xếp hạng năm {evaluation.year}: {_e(heading.lower())} "
        f"({len(rows)} đơn vị)<span class='sort-status' aria-live='polite'></span></caption>"
        "<thead><tr>"
        f"<th scope='col' data-sort='number' aria-sort='ascending'>{_e(RANK_HEADER)}</th>"
        "<th scope='col' data-sort='text'>Đơn vị</th>"
        "<th scope='col' data-sort='number'>Chỉ số tổng hợp</th>"
        f"{group_headers}"
        f"<th scope='col' data-sort='number'>{_e(CHANGE_HEADER)}</th>"
        f"</tr></thead><tbody>{body}</tbody></table></div>"
        f"<figure><img src='assets/{_e(chart_file)}' alt='{_e(chart_alt)}'>"
        f"<figcaption>Chỉ số tổng hợp theo nhóm tiêu chí: {_e(heading.lower())}</figcaption></figure>"
        "</section>"
    )


def _unranked(evaluation: AnnualEvaluation) -> str:
    units = evaluation.unranked
    if not units:
        content = "<p>Tất cả các đơn vị đều đủ số kỳ báo cáo để xếp hạng.</p>"
    else:
        rows = "".join(
            f"<tr data-unit='{_e(u.unit_code)}'><th scope='row'>{_e(u.unit_name)}</th>"
            f"<td>{_e(RANKING_GROUP_TITLES[u.ranking_group])}</td><td>{_e(evaluation.unranked_reason_vi(u))}</td></tr>"
            for u in units
        )
        content = (
            "<table class='unranked'><caption>Đơn vị không được xếp hạng và lý do</caption>"
            "<thead><tr><th scope='col'>Đơn vị</th><th scope='col'>Khối</th><th scope='col'>Lý do</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    return (
        "<section id='chua-xep-hang' aria-labelledby='chua-xep-hang-tieu-de'>"
        f"<h2 id='chua-xep-hang-tieu-de'>Đơn vị chưa đủ điều kiện xếp hạng</h2>{content}</section>"
    )


def _reorganisations(evaluation: AnnualEvaluation) -> str:
    if not evaluation.reorganisations:
        return ""
    rows = "".join(
        f"<tr><th scope='row'>{_e(r.unit_name)}</th><td>{_e('; '.join(n for _, n in r.predecessors))}</td></tr>"
        for r in evaluation.reorganisations
    )
    return (
        "<section id='sap-xep' aria-labelledby='sap-xep-tieu-de'>"
        "<h2 id='sap-xep-tieu-de'>Đơn vị sắp xếp lại trong năm</h2>"
        "<table><caption>Đơn vị kế thừa và các đơn vị được gộp số liệu</caption>"
        "<thead><tr><th scope='col'>Đơn vị kế thừa</th><th scope='col'>Gộp số liệu các tháng của</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def render_page(evaluation: AnnualEvaluation, charts: dict[str, tuple[str, str]], published_on: date) -> str:
    """The page's HTML. ``charts`` maps a chart name to (file name under assets/, alternative text)."""
    heading = title(evaluation.year)
    nav = "".join(f"<li><a href='#{_section_id(g)}'>{_e(RANKING_GROUP_TITLES[g])}</a></li>" for g in RANKING_GROUPS)
    group_chart, group_alt = charts[f"chi-so-nhom-{evaluation.year}"]
    rankings = "".join(_ranking(evaluation, g, *charts[f"xep-hang-{g}-{evaluation.year}"]) for g in RANKING_GROUPS)
    return (
        "<!DOCTYPE html>\n<html lang='vi'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta name='referrer' content='no-referrer'>"
        f"<title>{_e(heading)}</title>"
        "<link rel='stylesheet' href='assets/style.css'>"
        "<script src='assets/sort.js' defer></script></head><body>"
        "<a class='skip' href='#noi-dung'>Bỏ qua, đến nội dung chính</a>"
        f"<header><p class='issuer'>{_e(ministry_on(published_on).upper())}</p><h1>{_e(heading)}</h1>"
        f"<p>Công bố ngày {published_on:%d/%m/%Y}. Nguồn: báo cáo tháng về ứng dụng công nghệ thông tin "
        f"của các cơ quan năm {evaluation.year}.</p>"
        f"<nav aria-label='Mục lục'><ul><li><a href='#phuong-phap'>Phương pháp đánh giá</a></li>{nav}"
        "<li><a href='#chua-xep-hang'>Đơn vị chưa đủ điều kiện xếp hạng</a></li></ul></nav></header>"
        "<main id='noi-dung'>"
        f"{_method(evaluation)}"
        f"<p class='legend'>Cột “{_e(CHANGE_HEADER)}”: +n là tăng n bậc, −n là giảm n bậc, 0 là giữ nguyên, "
        "– là năm trước không được xếp hạng. Nhấn vào tiêu đề cột để sắp xếp bảng.</p>"
        f"{rankings}"
        f"<figure><img src='assets/{_e(group_chart)}' alt='{_e(group_alt)}'>"
        f"<figcaption>Chỉ số thành phần bình quân theo nhóm tiêu chí năm {evaluation.year}</figcaption></figure>"
        f"{_unranked(evaluation)}{_reorganisations(evaluation)}"
        "</main></body></html>\n"
    )


def write_annual_page(evaluation: AnnualEvaluation, folder: Path, *, published_on: date) -> Path:
    """``folder``/index.html with ``folder``/assets/ (0700 folders, 0600 files); returns the HTML file."""
    assets = folder / "assets"
    private_dir(assets, narrow_existing=False)
    charts = {chart.name: (svg.name, chart.description) for chart, svg in write_charts(evaluation, assets, "svg")}
    for asset in ("style.css", "sort.js"):
        target = assets / asset
        target.write_bytes((ASSETS / asset).read_bytes())
        target.chmod(0o600)
    page = folder / "index.html"
    page.write_text(render_page(evaluation, charts, published_on), encoding="utf-8")
    page.chmod(0o600)
    return page
