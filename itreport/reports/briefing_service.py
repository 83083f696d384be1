"""The monthly briefing end to end, without Airflow: read the marts (as bi_reader), build the .docx, and either
write it where asked (``itreport report monthly``) or register it as a version in the reports ledger (the DAG)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ingestion.domain.private_files import write_private
from ingestion.load import ensure_raw_schema
from itreport.config import warehouse
from itreport.config.settings import Settings
from itreport.reports import ledger
from itreport.reports.briefing_data import MonthlyBriefing, read_briefing
from itreport.reports.briefing_doc import REPORT_KIND, BriefingDocument, build_briefing, percent

TITLE = "Báo cáo tình hình ứng dụng CNTT của các cơ quan nhà nước tháng {month}"


def reports_dir(settings: Settings) -> Path:
    return settings.home / "reports"


def summary_lines(briefing: MonthlyBriefing) -> list[str]:
    """The headline figures in a sentence or two (for the email that carries the document)."""
    t = briefing.totals
    return [
        f"Tháng {briefing.period:%m/%Y}: {t.expected} đơn vị phải báo cáo, {t.on_time} đúng hạn, {t.late} trễ hạn, "
        f"{t.missing} chưa báo cáo; tỷ lệ báo cáo {percent(t.reporting_rate)}%, "
        f"đúng hạn {percent(t.on_time_rate)}%.",
        f"Cảnh báo số liệu: {len(briefing.warnings)}.",
    ]


def monthly_document(settings: Settings, period: date) -> tuple[MonthlyBriefing, BriefingDocument]:
    briefing = read_briefing(settings, period)
    return briefing, build_briefing(briefing, settings.deadline)


def write_monthly(settings: Settings, period: date, output: Path | None = None) -> Path:
    """``itreport report monthly``: the document for ``period`` at ``output`` (default: ITREPORT_HOME/reports/)."""
    _, document = monthly_document(settings, period)
    return write_private(output or reports_dir(settings) / document.file_name, document.content)


def draft_briefing(settings: Settings, period: date, run_id: str | None = None) -> dict[str, object]:
    """Build the briefing and register it in the ledger: the same bytes as a registered version give that version
    (with its decision, if any); other bytes give the next version, awaiting a decision."""
    briefing, document = monthly_document(settings, period)
    with warehouse.connect(settings, autocommit=True) as conn:
        ensure_raw_schema(conn)
        version, new = ledger.register(
            conn, reports_dir(settings), REPORT_KIND, briefing.label, document.file_name, document.content, run_id
        )
    return version.as_dict() | {
        "new": new,
        "title": TITLE.format(month=f"{period:%m/%Y}"),
        "summary": summary_lines(briefing),
    }
