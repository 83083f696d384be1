"""The annual document read back: every unit's rank and indices equal the mart's; ties share a rank; the two
rankings never mix; units not ranked are listed with the reason; a year across the 2025 reorganisations says so."""

from __future__ import annotations

import hashlib
import stat

import pytest
from docx import Document
from docx_reading import body_text, index, read_tables

from itreport.reports.annual_data import RANKING_GROUPS

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("annual")]

YEARS = (2010, 2011, 2025)


def _ranking_tables(path) -> dict[str, list[list[str]]]:
    tables = {t.caption: t for t in read_tables(path)}
    found = {}
    for ranking_group, title in (("ministries_agencies", "Bộ, cơ quan"), ("provinces", "Tỉnh, thành phố")):
        [caption] = [c for c in tables if c.startswith(("Bảng 2.", "Bảng 3.")) and title.lower() in c.lower()]
        found[ranking_group] = tables[caption]
    return found


@pytest.mark.parametrize("year", YEARS)
def test_every_ranked_unit_has_the_marts_rank_and_indices(built, year):
    case = built[year]
    groups = case["evaluation"].groups
    mart = case["mart"]
    for ranking_group, table in _ranking_tables(case["outputs"].document).items():
        assert table.header[0] == "Xếp hạng" and table.header[2] == "Chỉ số tổng hợp"
        assert table.header[3:8] == [g.name_vi for g in groups]
        names = [row[1] for row in table.rows]
        expected = {n for n, r in mart.items() if r["ranking_group"] == ranking_group and r["is_ranked"]}
        assert sorted(names) == sorted(expected), ranking_group  # every ranked unit once, nobody else
        for rank, name, overall, *rest in table.rows:
            row = mart[name]
            assert int(rank) == row["group_rank"], name
            assert index(overall) == row["overall_index"], name
            for group, text in zip(groups, rest[:5], strict=True):
                assert index(text) == row[f"{group.group_code}_index"], (name, group.group_code)
            change = rest[5]
            if row["previous_group_rank"] is None:
                assert change == "–", name
            else:
                moved = row["previous_group_rank"] - row["group_rank"]
                assert change == (f"+{moved}" if moved > 0 else "0" if moved == 0 else f"−{-moved}"), name


@pytest.mark.parametrize("year", YEARS)
def test_ranks_are_in_order_and_ties_share_a_rank(built, year):
    for table in _ranking_tables(built[year]["outputs"].document).values():
        ranks = [int(row[0]) for row in table.rows]
        overall = [index(row[2]) for row in table.rows]
        assert ranks[0] == 1 and ranks == sorted(ranks)
        assert overall == sorted(overall, reverse=True)
        for position, (rank, value) in enumerate(zip(ranks, overall, strict=True)):
            # rank() semantics: 1 + the number of units with a higher index
            assert rank == 1 + sum(1 for other in overall if other > value), position


def test_planted_ties_share_a_rank_and_the_next_rank_is_skipped(built):
    for year in (2010, 2011):
        tables = _ranking_tables(built[year]["outputs"].document)
        rows = {row[1]: row for table in tables.values() for row in table.rows}
        for first, second in (("Tỉnh Hà Giang", "Tỉnh Cao Bằng"), ("Bộ Tư pháp", "Bộ Ngoại giao")):
            assert rows[first][0] == rows[second][0], (year, first)
            assert rows[first][2] == rows[second][2]
            tied = int(rows[first][0])
            table = next(t for t in tables.values() if any(r[1] == first for r in t.rows))
            after = [int(r[0]) for r in table.rows if int(r[0]) > tied]
            if after:
                ties = sum(1 for r in table.rows if int(r[0]) == tied)
                assert after[0] == tied + ties, (year, first)


@pytest.mark.parametrize("year", YEARS)
def test_the_two_rankings_never_mix(built, year):
    mart = built[year]["mart"]
    tables = _ranking_tables(built[year]["outputs"].document)
    ministries = {row[1] for row in tables["ministries_agencies"].rows}
    provinces = {row[1] for row in tables["provinces"].rows}
    assert ministries and provinces and not ministries & provinces
    assert {mart[n]["unit_type"] for n in ministries} <= {"ministry", "ministerial_agency", "government_agency"}
    assert {mart[n]["unit_type"] for n in provinces} <= {"province", "central_city"}
    for ranking_group in RANKING_GROUPS:  # each ranking counts from 1 on its own
        assert int(tables[ranking_group].rows[0][0]) == 1


def test_units_not_ranked_are_listed_with_the_reason(built):
    case = built[2011]
    [table] = [t for t in read_tables(case["outputs"].document) if t.caption.startswith("Bảng 4.")]
    listed = {row[0]: row[2] for row in table.rows}
    expected = {n for n, r in case["mart"].items() if not r["is_ranked"]}
    assert set(listed) == expected == {"Tỉnh Điện Biên", "Tỉnh Lai Châu"}
    assert listed["Tỉnh Điện Biên"] == "Không gửi báo cáo tháng nào trong năm"
    assert listed["Tỉnh Lai Châu"] == "Gửi 1/3 báo cáo tháng, chưa đủ 2 tháng để xếp hạng"


def test_the_method_comes_from_the_seeds(built, annual_conn):
    text = body_text(built[2011]["outputs"].document)
    for name, weight in annual_conn.execute(
        "select g.name_vi, w.weight from reference.scoring_weights w"
        " join reference.indicator_groups g using (group_code)"
    ):
        assert f"{weight:.2f}".replace(".", ",") + f" × {name}" in text
    for code, name in annual_conn.execute(
        "select s.indicator_code, c.name_vi from reference.indicator_scoring s"
        " join reference.indicator_catalogue c using (indicator_code)"
    ):
        assert f"{code} {name}" in text


def test_a_year_across_the_reorganisations_ranks_year_end_units_and_says_so(built):
    case = built[2025]
    document = case["outputs"].document
    text = body_text(document)
    assert "sắp xếp lại" in text and "tháng 12/2025" in text
    tables = _ranking_tables(document)
    provinces = {row[1] for row in tables["provinces"].rows}
    assert "Tỉnh Hà Giang" not in provinces and "Tỉnh Tuyên Quang" in provinces
    assert len(provinces) + 2 == 34  # 34 provinces from 1 July 2025, two of them silent in the history
    [table] = [t for t in read_tables(document) if t.caption.startswith("Bảng 5.")]
    merged = {row[0]: row[1] for row in table.rows}
    assert merged["Tỉnh Tuyên Quang"] == "Tỉnh Hà Giang; Tỉnh Tuyên Quang"
    assert "Bảng 5." not in body_text(built[2011]["outputs"].document)


def test_administrative_layout(built):
    document = Document(str(built[2011]["outputs"].document))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.left_margin.mm), round(section.right_margin.mm)) == (30, 15)
    masthead = [cell.text for cell in document.tables[0].rows[0].cells]
    assert masthead[0].startswith("BỘ THÔNG TIN VÀ TRUYỀN THÔNG")  # in office on 20/01/2012
    assert masthead[1].startswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc")
    assert "Hà Nội, ngày 20 tháng 01 năm 2012" in masthead[1]
    titles = [p.text for p in document.paragraphs if p.text.startswith("Kết quả đánh giá")]
    assert titles == [
        "Kết quả đánh giá Trang/Cổng thông tin điện tử và mức độ ứng dụng công nghệ thông tin "
        "của các cơ quan nhà nước năm 2011"
    ]
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert len(document.inline_shapes) == 3  # the two rankings' charts and the groups' chart


def test_outputs_are_owner_only_and_reproducible(built, annual_warehouse, annual_conn, tmp_path):
    from itreport.reports.annual_build import write_outputs

    outputs = built[2011]["outputs"]
    assert stat.S_IMODE(outputs.document.stat().st_mode) == 0o600
    for path in [outputs.page_dir, *outputs.page_dir.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    again = write_outputs(annual_warehouse[0], built[2011]["evaluation"], tmp_path, issued_on=outputs_date(built))
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert digest(again.document) == digest(outputs.document)
    assert {p.name: digest(p) for p in again.page_dir.rglob("*") if p.is_file()} == {
        p.name: digest(p) for p in outputs.page_dir.rglob("*") if p.is_file()
    }


def outputs_date(built):
    from conftest import ISSUED_ON

    return ISSUED_ON
