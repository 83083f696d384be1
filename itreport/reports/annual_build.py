"""Build the annual evaluation's two outputs from the marts: the .docx for the ministry and the results page.

Used by ``itreport report annual`` (no Airflow) and by the ``annual_evaluation`` DAG alike.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ingestion.domain.private_files import private_dir
from itreport.config import warehouse
from itreport.config.settings import Settings
from itreport.reports.annual_data import AnnualEvaluation, read_evaluation
from itreport.reports.annual_document import write_annual_document
from itreport.reports.annual_page import write_annual_page


@dataclass(frozen=True)
class AnnualOutputs:
    year: int
    document: Path  # the .docx
    page_dir: Path  # index.html and assets/
    ranked: int
    unranked: int

    @property
    def page(self) -> Path:
        return self.page_dir / "index.html"

    def as_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "document": str(self.document),
            "page_dir": str(self.page_dir),
            "ranked": self.ranked,
            "unranked": self.unranked,
        }


def document_name(year: int) -> str:
    return f"ket-qua-danh-gia-ung-dung-cntt-{year}.docx"


def page_folder_name(year: int) -> str:
    return f"ket-qua-danh-gia-ung-dung-cntt-{year}"


def today(settings: Settings) -> date:
    return datetime.now(ZoneInfo(settings.timezone)).date()


def write_outputs(settings: Settings, evaluation: AnnualEvaluation, out_dir: Path, *, issued_on: date) -> AnnualOutputs:
    """Both outputs of ``evaluation`` under ``out_dir`` (folders 0700, files 0600); an older page is replaced."""
    private_dir(out_dir, narrow_existing=False)
    document = write_annual_document(
        evaluation,
        out_dir / document_name(evaluation.year),
        issued_on=issued_on,
        issuing_department=settings.issuing_department,
        chart_dir=out_dir / f".charts-{evaluation.year}",
    )
    shutil.rmtree(out_dir / f".charts-{evaluation.year}", ignore_errors=True)
    page_dir = out_dir / page_folder_name(evaluation.year)
    shutil.rmtree(page_dir, ignore_errors=True)
    write_annual_page(evaluation, page_dir, published_on=issued_on)
    ranked = sum(1 for u in evaluation.units if u.is_ranked)
    return AnnualOutputs(evaluation.year, document, page_dir, ranked, len(evaluation.units) - ranked)


def build_annual(settings: Settings, year: int, out_dir: Path | None = None, *, issued_on: date | None = None):
    """Read the year's evaluation from the warehouse and write both outputs (default: the reports folder)."""
    with warehouse.connect(settings) as conn:
        evaluation = read_evaluation(conn, year, dbt_project_dir=settings.dbt_project_dir)
    target = out_dir or settings.reports_dir / "annual" / str(year)
    return write_outputs(settings, evaluation, target, issued_on=issued_on or today(settings))
