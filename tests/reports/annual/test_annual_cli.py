"""``itreport report annual --year YYYY -o DIR`` writes both outputs without Airflow, from the warehouse the
environment names; a year without a ranking fails with a clear message."""

from __future__ import annotations

import pytest
from docx_reading import read_tables
from typer.testing import CliRunner

from itreport.cli.app import app

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("annual")]


def _env(annual_warehouse, home) -> dict[str, str]:
    settings = annual_warehouse[0]
    return {"ITREPORT_WAREHOUSE_URL": settings.warehouse_url, "ITREPORT_HOME": str(home)}


def test_report_annual_writes_the_document_and_the_page(annual_warehouse, built, tmp_path):
    out = tmp_path / "ket-qua"
    result = CliRunner().invoke(
        app,
        ["report", "annual", "--year", "2011", "-o", str(out), "--date", "2012-01-20"],
        env=_env(annual_warehouse, tmp_path),
    )
    assert result.exit_code == 0, result.output
    document = out / "ket-qua-danh-gia-ung-dung-cntt-2011.docx"
    page = out / "ket-qua-danh-gia-ung-dung-cntt-2011" / "index.html"
    assert str(document) in result.output.replace("\n", "") and page.is_file()
    assert sorted(p.name for p in (page.parent / "assets").iterdir()) == [
        "chi-so-nhom-2011.svg",
        "sort.js",
        "style.css",
        "xep-hang-ministries_agencies-2011.svg",
        "xep-hang-provinces-2011.svg",
    ]
    # the same document the built fixture wrote from the same marts, table for table
    assert read_tables(document) == read_tables(built[2011]["outputs"].document)
    assert document.read_bytes() == built[2011]["outputs"].document.read_bytes()


def test_a_year_without_ranking_fails_clearly(annual_warehouse, tmp_path):
    result = CliRunner().invoke(app, ["report", "annual", "--year", "2015"], env=_env(annual_warehouse, tmp_path))
    assert result.exit_code == 1
    assert "no row for 2015" in result.output
    assert not (tmp_path / "reports").exists()
