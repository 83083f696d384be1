"""Reminders before the deadline, in Vietnamese: to every unit expected in the period that has sent nothing yet, one
email per (unit, period, step) with the deadline, how to send, its "same as" sentence and the period's form prefilled
from its last accepted report; then a digest to ministry staff listing who is still outstanding.

Each reminder goes through ``raw.outbox`` (at most once per content) and is recorded in ``raw.reminders`` (at most once
per unit, period and step), so a rerun sends nothing new; a backfill (the step's day passed more than
ITREPORT_NOTIFY_MAX_AGE_DAYS ago) records the reminders as withheld and mails nobody.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

from ingestion.documents.form import build_form
from ingestion.domain.periods import FIRST_PERIOD, DeadlineRule, format_period, previous_period
from ingestion.domain.private_files import write_private
from ingestion.domain.registry import Registry, ReportingUnit, default_registry
from ingestion.load import ensure_raw_schema
from itreport.config import warehouse
from itreport.config.settings import Settings
from itreport.notify.outbox import Outcome, OutgoingEmail, send_once
from itreport.notify.sender import EmailSender
from itreport.reports.queries import last_report_period, latest_report_values, units_with_submissions

REMINDER, DIGEST = "reminder", "reminder_digest"
SEND_HOUR = 8  # local time of the reminders run


@dataclass(frozen=True)
class Reminder:
    """One unit's reminder for a period and step (days before the deadline), with its prefilled form."""

    unit: ReportingUnit
    period: date
    days_before: int
    subject: str
    html: str
    form_name: str
    form: bytes
    prefilled_from: date | None

    @property
    def key(self) -> str:
        return f"{self.unit.unit_code}/{format_period(self.period)}/{self.days_before}"

    @property
    def to(self) -> tuple[str, ...]:
        return (self.unit.contact_email,)


@dataclass
class ReminderResult:
    period: str
    days_before: int
    outstanding: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)
    digest: str = "not sent"

    def as_dict(self) -> dict[str, object]:
        return dict(vars(self))


def reminder_moment(deadline: DeadlineRule, period: date, days_before: int) -> datetime:
    """When the step's reminders are due: 08:00 local, ``days_before`` days before the deadline's day."""
    local_deadline = deadline.deadline(period).astimezone(ZoneInfo(deadline.timezone))
    day = (local_deadline - timedelta(days=days_before)).date()
    return datetime(day.year, day.month, day.day, SEND_HOUR, tzinfo=ZoneInfo(deadline.timezone))


def same_as_sentence(unit: ReportingUnit, period: date) -> str | None:
    """The exact notice the unit may send instead of a report, or None in its first period (nothing to refer to)."""
    last = previous_period(period)
    if last < max(FIRST_PERIOD, unit.valid_from.replace(day=1)):
        return None
    return f"Báo cáo của {unit.name_vi} giống tháng {last:%m/%Y}"


def compose_reminder(
    unit: ReportingUnit,
    period: date,
    days_before: int,
    deadline: DeadlineRule,
    ministry_address: str,
    values: dict[str, str],
    prefilled_from: date | None,
) -> Reminder:
    tz = ZoneInfo(deadline.timezone)
    due = deadline.deadline(period).astimezone(tz)
    month = f"{period:%m/%Y}"
    lines = [
        f"Kính gửi: {unit.name_vi}.",
        f"Theo Công văn số 1485/BTTTT-UDCNTT ngày 22/5/2009, hằng tháng các cơ quan gửi báo cáo tình hình ứng dụng "
        f"công nghệ thông tin về Bộ trước ngày {deadline.day}. Đến nay Bộ chưa nhận được báo cáo tháng {month} "
        "của đơn vị.",
        f"Hạn gửi báo cáo tháng {month}: trước {due:%H:%M} ngày {due:%d/%m/%Y} (còn {days_before} ngày). "
        "Thời điểm tính là lúc máy chủ thư của Bộ nhận được thư.",
        f"Cách gửi: điền biểu mẫu đính kèm và gửi tệp (.doc hoặc .docx) bằng thư điện tử tới {ministry_address}.",
    ]
    sentence = same_as_sentence(unit, period)
    if sentence:
        lines.append(
            f"Nếu số liệu không thay đổi so với tháng trước, đơn vị chỉ cần gửi thư điện tử với nội dung: «{sentence}»."
        )
    if prefilled_from:
        lines.append(
            f"Biểu mẫu đính kèm đã điền sẵn số liệu theo báo cáo tháng {prefilled_from:%m/%Y} của đơn vị; "
            "xin kiểm tra, cập nhật số liệu tháng này rồi gửi lại."
        )
    else:
        lines.append("Biểu mẫu đính kèm để trống vì Bộ chưa nhận được báo cáo nào trước đây của đơn vị.")
    lines.append("Nếu đơn vị đã gửi báo cáo, xin bỏ qua thư này. Đây là thư tự động; xin không trả lời thư này.")
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return Reminder(
        unit=unit,
        period=period,
        days_before=days_before,
        subject=f"Nhắc gửi báo cáo ứng dụng CNTT tháng {month} (hạn trước ngày {due:%d/%m/%Y}) - {unit.name_vi}",
        html=f"<html><body>{body}</body></html>",
        form_name=f"bao-cao-cntt-{unit.unit_code}-{format_period(period)}.docx",
        form=build_form(unit, period, values, deadline_day=deadline.day),
        prefilled_from=prefilled_from,
    )


def outstanding_units(
    conn: psycopg.Connection, registry: Registry, period: date, as_of: datetime
) -> list[ReportingUnit]:
    """Units expected in ``period`` (valid on its first day) with no accepted report or notice received before
    ``as_of`` (the step's moment: what was known when the reminder was due, also in a rerun or backfill)."""
    reported = units_with_submissions(conn, period, as_of)
    return [unit for unit in registry.expected(period) if unit.unit_code not in reported]


def _already_recorded(conn: psycopg.Connection, period: date, days_before: int) -> set[str]:
    rows = conn.execute(
        "select unit_code from raw.reminders where period_month = %s and days_before = %s", (period, days_before)
    )
    return {code for (code,) in rows}


def _record(conn: psycopg.Connection, reminder: Reminder, withheld_reason: str | None = None) -> None:
    conn.execute(
        "insert into raw.reminders (unit_code, period_month, days_before, recipients, subject, attachment_name,"
        " attachment_sha256, prefilled_from, withheld_reason) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " on conflict (unit_code, period_month, days_before) do nothing",
        (
            reminder.unit.unit_code,
            reminder.period,
            reminder.days_before,
            ", ".join(reminder.to),
            reminder.subject,
            reminder.form_name,
            hashlib.sha256(reminder.form).hexdigest(),
            reminder.prefilled_from,
            withheld_reason,
        ),
    )


def _reminder_for(
    conn: psycopg.Connection, settings: Settings, unit: ReportingUnit, period: date, days_before: int
) -> Reminder:
    prefilled_from = last_report_period(conn, unit.unit_code, period)
    values = latest_report_values(conn, unit.unit_code, prefilled_from) if prefilled_from else {}
    return compose_reminder(
        unit, period, days_before, settings.deadline, settings.ministry_address, values, prefilled_from
    )


def send_reminders(
    settings: Settings,
    period: date,
    days_before: int,
    sender: EmailSender,
    *,
    registry: Registry | None = None,
    now: datetime | None = None,
) -> ReminderResult:
    """Remind every outstanding unit of ``period`` once for this step, then the staff digest; returns who got what."""
    registry = registry or default_registry()
    now = now or datetime.now(UTC)
    result = ReminderResult(format_period(period), days_before)
    moment = reminder_moment(settings.deadline, period, days_before)
    age = now - moment
    too_old = settings.notify_max_age_days is not None and age > timedelta(days=settings.notify_max_age_days)
    folder = settings.home / "reminders" / format_period(period)
    with warehouse.connect(settings, autocommit=True) as conn:
        ensure_raw_schema(conn)
        outstanding = outstanding_units(conn, registry, period, moment)
        result.outstanding = [unit.unit_code for unit in outstanding]
        recorded = _already_recorded(conn, period, days_before)
        for unit in outstanding:
            if unit.unit_code in recorded:
                result.already.append(unit.unit_code)
                continue
            reminder = _reminder_for(conn, settings, unit, period, days_before)
            if too_old:
                _record(conn, reminder, withheld_reason=f"due {age.days} days ago (a backfill)")
                result.withheld.append(unit.unit_code)
                continue
            path = write_private(folder / f"{days_before}d" / reminder.form_name, reminder.form)
            email = OutgoingEmail(
                REMINDER,
                reminder.key,
                reminder.to,
                reminder.subject,
                reminder.html,
                files=(path,),
                headers={"Auto-Submitted": "auto-generated"},
            )
            outcome = send_once(conn, email, sender, from_email=settings.ministry_address)
            _record(conn, reminder)
            (result.sent if outcome is Outcome.SENT else result.already).append(unit.unit_code)
        if not too_old:
            digest = compose_digest(settings, registry, period, days_before, outstanding, conn)
            result.digest = send_once(conn, digest, sender, from_email=settings.ministry_address).value
    return result


def compose_digest(
    settings: Settings,
    registry: Registry,
    period: date,
    days_before: int,
    outstanding: list[ReportingUnit],
    conn: psycopg.Connection,
) -> OutgoingEmail:
    """The staff digest: who is still outstanding for ``period`` at this step, and when each was reminded."""
    reminded = dict(
        conn.execute(
            "select unit_code, string_agg(days_before::text || ' ngày trước hạn'"
            " || case when withheld_reason is null then '' else ' (không gửi)' end, ', '"
            " order by days_before desc) from raw.reminders where period_month = %s group by unit_code",
            (period,),
        ).fetchall()
    )
    expected = len(registry.expected(period))
    month = f"{period:%m/%Y}"
    rows = "".join(
        f"<tr><td>{html.escape(u.unit_code)}</td><td>{html.escape(u.name_vi)}</td>"
        f"<td>{html.escape(u.contact_email)}</td><td>{html.escape(reminded.get(u.unit_code, ''))}</td></tr>"
        for u in outstanding
    )
    body = (
        f"<p>Nhắc báo cáo tháng {month}, {days_before} ngày trước hạn: <b>{len(outstanding)}</b> / {expected} "
        "đơn vị chưa gửi báo cáo hoặc thông báo «giống tháng trước».</p>"
        "<table border='1' cellpadding='4' cellspacing='0'><tr><th>Mã</th><th>Đơn vị</th><th>Địa chỉ nhận nhắc</th>"
        f"<th>Đã nhắc</th></tr>{rows}</table>"
        "<p><i>Units that still owe the period's report; each got a reminder with its prefilled form.</i></p>"
    )
    return OutgoingEmail(
        DIGEST,
        f"{format_period(period)}/{days_before}",
        tuple(sorted(settings.alert_to)),
        f"[Báo cáo CNTT] Tháng {month}: {len(outstanding)} đơn vị chưa gửi báo cáo ({days_before} ngày trước hạn)",
        f"<html><body>{body}</body></html>",
    )


def step_for(deadline: DeadlineRule, moment: datetime) -> tuple[date, int]:
    """(period, days before its deadline) of a reminders run at ``moment`` (its local calendar day)."""
    local = moment.astimezone(ZoneInfo(deadline.timezone))
    period = date(local.year, local.month, 1)
    return period, deadline.day - local.day
