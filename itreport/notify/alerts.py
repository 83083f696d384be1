"""The monthly alert to ministry staff: missing and late units for a closed period, and its value warnings;
sent once per content (``raw.alerts``)."""

from __future__ import annotations

import csv
import hashlib
import html
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from ingestion.domain.periods import DeadlineRule, format_period
from ingestion.domain.private_files import write_private
from ingestion.load import ensure_raw_schema
from itreport.config import warehouse
from itreport.config.settings import Settings
from itreport.notify.outbox import Outcome, OutgoingEmail, send_once
from itreport.notify.sender import EmailSender
from itreport.reports.compliance import ComplianceRow, PeriodCompliance, WarningRow, read_period_compliance

ALERT_KIND = "alert"  # raw.outbox kind; key: the period (YYYY-MM-01), or period/resend/<time> for a forced resend

# Value warnings listed in the email body; the attached CSV has them all.
WARNINGS_SHOWN = 20


@dataclass(frozen=True)
class Alert:
    subject: str
    html: str
    csv_name: str
    csv_text: str
    warnings_csv_name: str = ""
    warnings_csv_text: str = ""

    @property
    def attachments(self) -> list[tuple[str, str]]:
        """(file name, CSV text) of every attachment: compliance first, then the value warnings."""
        files = [(self.csv_name, self.csv_text)]
        if self.warnings_csv_name:
            files.append((self.warnings_csv_name, self.warnings_csv_text))
        return files


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


def _number(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def _indicator(code: str) -> str:
    return "Toàn bộ báo cáo" if code == "*" else code


def _warnings_section(warnings: list[WarningRow] | None, csv_name: str) -> str:
    """The "Cảnh báo số liệu" section: at most WARNINGS_SHOWN rows, the rest counted and left to the CSV."""
    title = "<h3>Cảnh báo số liệu ({})</h3>"
    if warnings is None:
        return (
            title.format("—") + "<p>Chưa có dữ liệu cảnh báo số liệu (marts.fct_value_warnings chưa được xây dựng).</p>"
        )
    if not warnings:
        return title.format(0) + "<p>Không có cảnh báo số liệu trong kỳ.</p>"
    head = "<tr><th>Mã</th><th>Đơn vị</th><th>Chỉ tiêu</th><th>Giá trị</th><th>Cảnh báo</th></tr>"
    body = "".join(
        f"<tr><td>{html.escape(w.unit_code)}</td><td>{html.escape(w.unit_name)}</td>"
        f"<td>{html.escape(_indicator(w.indicator_code))}</td><td>{_number(w.value)}</td>"
        f"<td>{html.escape(w.message_vi)}</td></tr>"
        for w in warnings[:WARNINGS_SHOWN]
    )
    more = len(warnings) - WARNINGS_SHOWN
    return (
        title.format(len(warnings))
        + "<p>Số liệu cần kiểm tra lại trên báo cáo đang có hiệu lực của các đơn vị. Cảnh báo không làm báo cáo "
        "bị từ chối và không ảnh hưởng đến trạng thái đúng hạn / trễ hạn.</p>"
        + f"<table border='1' cellpadding='4' cellspacing='0'>{head}{body}</table>"
        + (f"<p>… và {more} cảnh báo khác (xem tệp đính kèm {html.escape(csv_name)}).</p>" if more > 0 else "")
    )


def _warnings_csv(warnings: list[WarningRow] | None, period: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "unit_code",
            "unit_name",
            "period",
            "indicator_code",
            "warning_code",
            "value",
            "expected_low",
            "expected_high",
            "message_vi",
            "message_en",
            "received_at",
        ]
    )
    for w in warnings or []:
        writer.writerow(
            [
                w.unit_code,
                w.unit_name,
                period,
                w.indicator_code,
                w.warning_code,
                _number(w.value),
                _number(w.expected_low),
                _number(w.expected_high),
                w.message_vi,
                w.message_en,
                w.received_at.isoformat(),
            ]
        )
    return buffer.getvalue()


def compose_alert(compliance: PeriodCompliance, deadline: DeadlineRule) -> Alert:
    period = format_period(compliance.period)
    counts = compliance.counts
    missing, late = compliance.with_status("missing"), compliance.with_status("late")
    due = deadline.deadline(compliance.period).astimezone(ZoneInfo(deadline.timezone)).strftime("%H:%M %d/%m/%Y")
    rate = (counts["on_time"] + counts["late"]) / compliance.expected if compliance.expected else 0.0
    warnings_csv_name = f"canh-bao-so-lieu-{period}.csv"
    body = (
        f"<p>Kỳ báo cáo tháng {period} (hạn: trước {due}).</p>"
        f"<p>Phải báo cáo: <b>{compliance.expected}</b> đơn vị · đúng hạn: <b>{counts['on_time']}</b> · "
        f"trễ hạn: <b>{counts['late']}</b> · chưa báo cáo: <b>{counts['missing']}</b> · "
        f"tỷ lệ báo cáo: <b>{rate:.0%}</b>.</p>"
        f"<h3>Chưa báo cáo ({len(missing)})</h3>{_table(missing, deadline.timezone, late=False)}"
        f"<h3>Báo cáo trễ hạn ({len(late)})</h3>{_table(late, deadline.timezone, late=True)}"
        f"{_warnings_section(compliance.warnings, warnings_csv_name)}"
        "<p><i>Reporting compliance for the period: missing and late units, and value warnings (outliers, jumps,"
        " reports identical to last month) that never change a unit's status. Full lists attached (CSV).</i></p>"
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
    if compliance.warnings:
        subject += f", {len(compliance.warnings)} cảnh báo số liệu"
    return Alert(
        subject,
        body,
        f"tuan-thu-bao-cao-{period}.csv",
        buffer.getvalue(),
        warnings_csv_name,
        _warnings_csv(compliance.warnings, period),
    )


def period_alert(settings: Settings, period: date) -> Alert:
    return compose_alert(read_period_compliance(settings, period), settings.deadline)


def send_alert_once(
    settings: Settings, period: date, sender: EmailSender, *, resend: bool = False, now: datetime | None = None
) -> dict[str, object]:
    """Compose the alert for ``period`` and send it (Airflow's SmtpHook in the DAG) unless the same alert went to
    the same people already (``raw.alerts``) or the period closed too long ago to alert anyone (a backfill);
    ``resend`` sends it regardless. Returns what was (not) sent."""
    alert = period_alert(settings, period)
    recipients = sorted(settings.alert_to)
    digest = _alert_digest(alert, recipients)
    result: dict[str, object] = {"subject": alert.subject, "to": recipients, "content_sha256": digest}
    closed_ago = (now or datetime.now(UTC)) - settings.deadline.deadline(period)
    if not resend and settings.notify_max_age_days is not None and closed_ago > timedelta(settings.notify_max_age_days):
        return result | {"sent": False, "withheld": f"deadline passed {closed_ago.days} days ago (a backfill)"}
    with warehouse.connect(settings, autocommit=True) as conn:
        ensure_raw_schema(conn)
        already = conn.execute(
            "select sent_at from raw.alerts where period_month = %s and content_sha256 = %s", (period, digest)
        ).fetchone()
        if already and not resend:
            return result | {"sent": False, "already_sent_at": already[0].isoformat()}
        files = [
            write_private(settings.home / "alerts" / name, text.encode("utf-8"))
            for name, text in alert.attachments  # the compliance CSV, then the value warnings CSV
        ]
        email = OutgoingEmail(
            kind=ALERT_KIND,
            # a forced resend is an email of its own; otherwise one alert per period and content
            key=period.isoformat() + (f"/resend/{(now or datetime.now(UTC)).isoformat()}" if resend else ""),
            to=tuple(recipients),
            subject=alert.subject,
            html=alert.html,
            files=tuple(files),
        )
        if send_once(conn, email, sender, from_email=settings.ministry_address) != Outcome.SENT:
            return result | {"sent": False, "claimed_elsewhere": True}
        conn.execute(
            "insert into raw.alerts (period_month, content_sha256, subject, recipients) values (%s, %s, %s, %s) "
            "on conflict (period_month, content_sha256) do update set sent_at = now()",
            (period, digest, alert.subject, ", ".join(recipients)),
        )
    return result | {"sent": True, "attachments": [str(path) for path in files]}


_UNSENT_PERIODS = """
select key from raw.outbox where kind = %s and key not like '%%/%%'
group by key having bool_or(state = 'failed') and not bool_or(state in ('sent', 'claimed'))
order by key
"""


def send_pending_alerts(settings: Settings, sender: EmailSender, *, now: datetime | None = None) -> list[dict]:
    """Alerts whose every send failed (SMTP down past the task's retries): sent now, as the period stands now.
    Every intake run calls it, so nobody has to rerun a close by hand once the SMTP server is back."""
    with warehouse.connect(settings, autocommit=True) as conn:
        ensure_raw_schema(conn)
        periods = [date.fromisoformat(row[0]) for row in conn.execute(_UNSENT_PERIODS, (ALERT_KIND,))]
    return [send_alert_once(settings, period, sender, now=now) | {"period": str(period)} for period in periods]


def _alert_digest(alert: Alert, recipients: list[str]) -> str:
    content = [alert.subject, alert.html, *(f"{name}\n{text}" for name, text in alert.attachments), *recipients]
    return hashlib.sha256("\x00".join(content).encode()).hexdigest()
