"""The compliance alert to ministry staff: missing and late units for a closed period."""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ingestion.periods import DeadlineRule, format_period
from itreport.compliance import ComplianceRow, PeriodCompliance


@dataclass(frozen=True)
class Alert:
    subject: str
    html: str
    csv_name: str
    csv_text: str


def _local(row: ComplianceRow, tz: str) -> str:
    return row.received_at.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M") if row.received_at else ""


def _table(rows: list[ComplianceRow], tz: str, late: bool) -> str:
    head = "<tr><th>Mã</th><th>Đơn vị</th>" + ("<th>Nhận lúc</th><th>Số ngày trễ</th>" if late else "") + "</tr>"
    body = "".join(
        f"<tr><td>{html.escape(r.unit_code)}</td><td>{html.escape(r.unit_name)}</td>"
        + (f"<td>{_local(r, tz)}</td><td>{r.days_late}</td>" if late else "")
        + "</tr>"
        for r in rows
    )
    return f"<table border='1' cellpadding='4' cellspacing='0'>{head}{body}</table>"


def compose_alert(compliance: PeriodCompliance, deadline: DeadlineRule) -> Alert:
    period = format_period(compliance.period)
    counts = compliance.counts
    missing, late = compliance.with_status("missing"), compliance.with_status("late")
    due = deadline.deadline(compliance.period).astimezone(ZoneInfo(deadline.timezone)).strftime("%H:%M %d/%m/%Y")
    rate = (counts["on_time"] + counts["late"]) / compliance.expected if compliance.expected else 0.0
    body = (
        f"<p>Kỳ báo cáo tháng {period} (hạn: trước {due}).</p>"
        f"<p>Phải báo cáo: <b>{compliance.expected}</b> đơn vị · đúng hạn: <b>{counts['on_time']}</b> · "
        f"trễ hạn: <b>{counts['late']}</b> · chưa báo cáo: <b>{counts['missing']}</b> · "
        f"tỷ lệ báo cáo: <b>{rate:.0%}</b>.</p>"
        f"<h3>Chưa báo cáo ({len(missing)})</h3>{_table(missing, deadline.timezone, late=False)}"
        f"<h3>Báo cáo trễ hạn ({len(late)})</h3>{_table(late, deadline.timezone, late=True)}"
        "<p><i>Reporting compliance for the period: missing and late units. Full list attached (CSV).</i></p>"
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["unit_code", "unit_name", "unit_type", "period", "status", "submission_kind", "received_at", "days_late"]
    )
    for r in compliance.rows:
        writer.writerow(
            [
                r.unit_code,
                r.unit_name,
                r.unit_type,
                period,
                r.status,
                r.submission_kind or "",
                r.received_at.isoformat() if r.received_at else "",
                "" if r.days_late is None else r.days_late,
            ]
        )
    subject = f"[Báo cáo CNTT] Tháng {period}: {counts['missing']} đơn vị chưa báo cáo, {counts['late']} đơn vị trễ hạn"
    return Alert(subject, body, f"tuan-thu-bao-cao-{period}.csv", buffer.getvalue())
