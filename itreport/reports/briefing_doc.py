"""The Government's monthly briefing: "Báo cáo tình hình ứng dụng CNTT của các cơ quan nhà nước tháng MM/YYYY"
(.docx), built from :class:`~itreport.reports.briefing_data.MonthlyBriefing` only.

Sections: I. headline figures against last month and by unit type (with a chart); II. late and missing units by unit
type; III. the 12-month trend (chart and table); IV. progress against the Quyết định 48/2009 targets (bars against the
target line, and a table); V. value warnings and data-quality notes. Percentages are written with two decimals and a
decimal comma (``95,70``), exactly the marts' rates × 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ingestion.domain.periods import DeadlineRule, format_period
from itreport.reports import charts
from itreport.reports.briefing_data import UNIT_TYPE_LABELS, MonthlyBriefing, RateRow
from itreport.reports.docx_admin import (
    add_closing,
    add_masthead,
    add_picture,
    add_table,
    heading,
    issuer_on,
    new_document,
    paragraph,
    to_bytes,
)

REPORT_KIND = "government_monthly"
SUMMARY = "Tình hình ứng dụng CNTT của các cơ quan nhà nước tháng {month}"
STATUS_LABELS = {"on_time": "Đúng hạn", "late": "Trễ hạn", "missing": "Chưa báo cáo"}
WARNING_LABELS = {
    "outlier_zscore": "Giá trị bất thường (z-score)",
    "outlier_minmax": "Ngoài khoảng 12 tháng gần nhất",
    "jump": "Thay đổi đột biến",
    "same_as_last_month": "Giống hệt tháng trước",
}
HEADLINE_HEADER = ("Chỉ tiêu", "Tháng này", "Tháng trước", "Thay đổi")
BY_TYPE_HEADER = ("Loại cơ quan", "Phải báo cáo", "Đúng hạn", "Trễ hạn", "Chưa báo cáo", "Tỷ lệ BC (%)", "Đúng hạn (%)")
UNITS_HEADER = ("Mã", "Đơn vị", "Tình trạng", "Số ngày trễ")
TREND_HEADER = ("Tháng", "Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Tỷ lệ BC (%)", "Đúng hạn (%)")
TARGET_HEADER = ("Chỉ tiêu", "Loại cơ quan", "Mục tiêu (%)", "Số đơn vị", "Đã báo cáo", "Đạt mục tiêu", "Bình quân (%)")
WARNINGS_HEADER = ("Mã", "Đơn vị", "Chỉ tiêu", "Cảnh báo")
RECIPIENTS = ("Thủ tướng Chính phủ (để báo cáo)", "Văn phòng Chính phủ", "Lãnh đạo Bộ", "Lưu: VT, UDCNTT")


@dataclass(frozen=True)
class BriefingDocument:
    period: date
    file_name: str
    content: bytes


def percent(rate: Decimal) -> str:
    """A 0–1 rate as a percentage with two decimals and a decimal comma: ``Decimal('0.9570')`` → ``95,70``."""
    return f"{rate * 100:.2f}".replace(".", ",")


def signed(value: Decimal | int, *, rate: bool = False) -> str:
    text = percent(value) if rate else str(value)
    return text if text.startswith("-") or value == 0 else f"+{text}"


def _headline_rows(now: RateRow, before: RateRow | None) -> list[tuple[str, str, str, str]]:
    rows = []
    for label, attribute, is_rate in (
        ("Số đơn vị phải báo cáo", "expected", False),
        ("Báo cáo đúng hạn", "on_time", False),
        ("Báo cáo trễ hạn", "late", False),
        ("Chưa báo cáo", "missing", False),
        ("Tỷ lệ báo cáo (%)", "reporting_rate", True),
        ("Tỷ lệ báo cáo đúng hạn (%)", "on_time_rate", True),
    ):
        value = getattr(now, attribute)
        shown = percent(value) if is_rate else str(value)
        if before is None:
            rows.append((label, shown, "—", "—"))
            continue
        old = getattr(before, attribute)
        rows.append((label, shown, percent(old) if is_rate else str(old), signed(value - old, rate=is_rate)))
    return rows


def build_briefing(briefing: MonthlyBriefing, deadline: DeadlineRule) -> BriefingDocument:
    """The briefing .docx for ``briefing``'s period, dated the day of the period's deadline (the close)."""
    from zoneinfo import ZoneInfo

    month = f"{briefing.period:%m/%Y}"
    dated = deadline.deadline(briefing.period).astimezone(ZoneInfo(deadline.timezone)).date()
    issuer = issuer_on(dated)
    summary = SUMMARY.format(month=month)
    document = new_document(f"Báo cáo {summary[0].lower()}{summary[1:]}", issuer.department.title(), dated)
    add_masthead(document, issuer, dated, "BÁO CÁO", summary)
    totals = briefing.totals
    paragraph(
        document,
        "Thực hiện Quyết định số 48/2009/QĐ-TTg ngày 31/3/2009 của Thủ tướng Chính phủ và Công văn số "
        "1485/BTTTT-UDCNTT ngày 22/5/2009, các bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ và Ủy ban nhân dân "
        f"các tỉnh, thành phố trực thuộc Trung ương gửi báo cáo tình hình ứng dụng CNTT tháng {month} trước ngày "
        f"{deadline.day}/{briefing.period:%m/%Y}. {issuer.department.capitalize()} báo cáo tổng hợp như sau:",
    )
    heading(document, "I. TÌNH HÌNH GỬI BÁO CÁO")
    paragraph(
        document,
        f"Tháng {month} có {totals.expected} đơn vị phải báo cáo: {totals.on_time} đơn vị báo cáo đúng hạn, "
        f"{totals.late} đơn vị báo cáo trễ hạn, {totals.missing} đơn vị chưa báo cáo; tỷ lệ báo cáo "
        f"{percent(totals.reporting_rate)}%, tỷ lệ báo cáo đúng hạn {percent(totals.on_time_rate)}%.",
    )
    add_table(document, HEADLINE_HEADER, _headline_rows(totals, briefing.previous))
    paragraph(document)
    add_table(
        document,
        BY_TYPE_HEADER,
        [
            (
                UNIT_TYPE_LABELS.get(r.unit_type, r.unit_type),
                *(str(v) for v in (r.expected, r.on_time, r.late, r.missing)),
                percent(r.reporting_rate),
                percent(r.on_time_rate),
            )
            for r in [*briefing.by_type, totals]
        ],
    )
    add_picture(document, charts.status_chart(briefing), f"Hình 1. Tình hình báo cáo tháng {month} theo loại cơ quan")
    heading(document, "II. ĐƠN VỊ TRỄ HẠN VÀ CHƯA BÁO CÁO")
    if not briefing.late_and_missing:
        paragraph(document, "Tất cả các đơn vị đã báo cáo đúng hạn.")
    for unit_type, label in UNIT_TYPE_LABELS.items():
        units = [u for u in briefing.late_and_missing if u.unit_type == unit_type]
        if not units:
            continue
        heading(document, f"{label} ({len(units)})", level=2)
        add_table(
            document,
            UNITS_HEADER,
            [
                (u.unit_code, u.unit_name, STATUS_LABELS[u.status], "" if u.days_late is None else str(u.days_late))
                for u in units
            ],
        )
    heading(document, "III. XU HƯỚNG 12 THÁNG")
    add_picture(document, charts.trend_chart(briefing), "Hình 2. Tỷ lệ báo cáo và tỷ lệ báo cáo đúng hạn")
    add_table(
        document,
        TREND_HEADER,
        [
            (
                f"{r.period:%m/%Y}",
                str(r.expected),
                str(r.actual),
                str(r.on_time),
                percent(r.reporting_rate),
                percent(r.on_time_rate),
            )
            for r in briefing.trend
        ],
    )
    heading(document, "IV. TIẾN ĐỘ THỰC HIỆN MỤC TIÊU QUYẾT ĐỊNH 48/2009/QĐ-TTg")
    if briefing.targets:
        paragraph(
            document,
            f"Giá trị bình quân tháng {month} của các đơn vị đã báo cáo, so với mục tiêu năm {briefing.period.year}.",
        )
        add_picture(document, charts.target_chart(briefing.targets), "Hình 3. Bình quân so với mục tiêu (đường đỏ)")
        add_table(
            document,
            TARGET_HEADER,
            [
                (
                    f"{t.indicator_code}. {t.indicator_name}",
                    UNIT_TYPE_LABELS.get(t.unit_type, t.unit_type),
                    _number(t.target_value),
                    str(t.units),
                    str(t.reported),
                    str(t.met),
                    "" if t.average is None else _number(t.average),
                )
                for t in briefing.targets
            ],
        )
    else:
        paragraph(document, f"Quyết định 48/2009/QĐ-TTg không đặt mục tiêu cho năm {briefing.period.year}.")
    heading(document, "V. CẢNH BÁO SỐ LIỆU VÀ GHI CHÚ CHẤT LƯỢNG DỮ LIỆU")
    notes = briefing.notes
    paragraph(
        document,
        f"Trong tháng có {notes.get('same_as_notice', 0)} đơn vị gửi thông báo «giống tháng trước», "
        f"{notes.get('corrected_units', 0)} đơn vị gửi bản sửa, {notes.get('rejections', 0)} thư bị từ chối "
        f"và {len(briefing.warnings)} cảnh báo số liệu (không làm thay đổi trạng thái đúng hạn / trễ hạn).",
    )
    if briefing.warnings:
        add_table(
            document,
            WARNINGS_HEADER,
            [
                (
                    w.unit_code,
                    w.unit_name,
                    "Toàn bộ báo cáo" if w.indicator_code == "*" else w.indicator_code,
                    f"{WARNING_LABELS.get(w.warning_code, w.warning_code)}: {w.message_vi}",
                )
                for w in briefing.warnings
            ],
        )
    add_closing(document, RECIPIENTS, issuer)
    name = f"bao-cao-chinh-phu-ung-dung-cntt-{format_period(briefing.period)}.docx"
    return BriefingDocument(briefing.period, name, to_bytes(document, dated))


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)
    return text.replace(".", ",")


def write_briefing(path: Path, briefing: MonthlyBriefing, deadline: DeadlineRule) -> Path:
    from ingestion.domain.private_files import write_private

    return write_private(path, build_briefing(briefing, deadline).content)
