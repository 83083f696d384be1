"""Replies to agencies, in Vietnamese: a receipt for each accepted message (what was read, on time or late),
a rejection for each quarantined one (what to fix, and by when). Sent once per message: ``raw.replies``
remembers every reply the SMTP server took, and the replies withheld because their mail is too old to answer.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

from ingestion.domain.periods import DeadlineRule
from ingestion.domain.registry import Registry, default_registry
from ingestion.load import ensure_raw_schema
from itreport.config import warehouse
from itreport.config.settings import Settings
from itreport.notify.outbox import Outcome, OutgoingEmail, send_once, state_of
from itreport.notify.sender import EmailSender

RECEIPT, REJECTION = "receipt", "rejection"
REPLY_KIND = "reply"  # raw.outbox kind: one reply per message hash
NO_REPLY_REASONS = ("already_processed",)


@dataclass(frozen=True)
class LedgerEntry:
    """One decided message as ``raw.messages`` (and ``raw.submissions``) hold it."""

    message_hash: str
    message_id: str | None
    sender: str | None
    subject: str
    state: str
    reason_code: str
    reason_vi: str
    unit_code: str | None
    period: date | None
    received_at: datetime | None
    submission_kind: str | None
    filename: str | None
    same_as_period: date | None
    values_read: int


@dataclass(frozen=True)
class Reply:
    message_hash: str
    kind: str
    to: str
    subject: str
    html: str
    headers: dict[str, str]


def _local(moment: datetime, deadline: DeadlineRule) -> str:
    return moment.astimezone(ZoneInfo(deadline.timezone)).strftime("%H:%M ngày %d/%m/%Y")


def _deadline_text(period: date, deadline: DeadlineRule) -> str:
    return f"trước {_local(deadline.deadline(period), deadline)}"


def _recipient(entry: LedgerEntry, registry: Registry) -> str | None:
    """Only an address the registry knows: the sender when it is one of the unit's, else the unit's contact.
    A message of no known unit is never answered (backscatter: anyone could make us mail anyone)."""
    if not entry.unit_code:
        return None
    unit = registry.get(entry.unit_code)
    if entry.reason_code == "sender_not_authenticated" or not entry.sender:
        return unit.contact_email  # never answer a forged From; tell the unit's registered address
    on = (entry.received_at or datetime.now(UTC)).date()
    known = registry.for_sender(entry.sender, on)
    return entry.sender if known is not None and known.unit_code == unit.unit_code else unit.contact_email


SUBJECT_QUOTED = 150  # characters of the agency's subject quoted in a rejection


def _quoted_subject(subject: str) -> str:
    text = " ".join(subject.split())
    return text if len(text) <= SUBJECT_QUOTED else text[:SUBJECT_QUOTED] + "…"


def compose_reply(
    entry: LedgerEntry, deadline: DeadlineRule, registry: Registry | None = None, *, now: datetime | None = None
) -> Reply | None:
    """The reply ``entry`` gets, or None (ignored messages, nobody to answer)."""
    registry = registry or default_registry()
    if entry.state not in ("accepted", "quarantined") or entry.reason_code in NO_REPLY_REASONS:
        return None
    to = _recipient(entry, registry)
    if not to:
        return None
    unit = registry.get(entry.unit_code).name_vi if entry.unit_code else None
    month = entry.period.strftime("%m/%Y") if entry.period else None
    if entry.state == "accepted":
        kind, lines = RECEIPT, _receipt_lines(entry, deadline)
        subject = f"Đã nhận báo cáo ứng dụng CNTT tháng {month}" + (f" - {unit}" if unit else "")
    else:
        kind, lines = REJECTION, _rejection_lines(entry, deadline, now)
        subject = "Chưa tiếp nhận được báo cáo ứng dụng CNTT" + (f" tháng {month}" if month else "") + " - cần gửi lại"
    lines.append("Đây là thư trả lời tự động của hệ thống tiếp nhận báo cáo; xin không trả lời thư này.")
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    headers = {"Auto-Submitted": "auto-replied", "X-Itreport-Message": entry.message_hash}
    if entry.message_id:
        headers |= {"In-Reply-To": entry.message_id, "References": entry.message_id}
    return Reply(entry.message_hash, kind, to, subject, f"<html><body>{body}</body></html>", headers)


def _received_text(entry: LedgerEntry, deadline: DeadlineRule) -> str:
    return _local(entry.received_at, deadline) if entry.received_at else "không rõ"


def _receipt_lines(entry: LedgerEntry, deadline: DeadlineRule) -> list[str]:
    lines = [entry.reason_vi, f"Thời điểm máy chủ của Bộ nhận thư: {_received_text(entry, deadline)}."]
    if entry.submission_kind == "report":
        name = entry.filename or "(không tên)"
        lines.append(f"Tệp đã đọc: {name}; số chỉ tiêu đã đọc được: {entry.values_read}.")
    elif entry.same_as_period and entry.period:
        lines.append(f"Số liệu tháng {entry.period:%m/%Y} lấy theo báo cáo tháng {entry.same_as_period:%m/%Y}.")
    if entry.period and entry.received_at:
        due = _deadline_text(entry.period, deadline)
        if deadline.is_on_time(entry.received_at, entry.period):
            lines.append(f"Tình trạng: ĐÚNG HẠN (hạn nộp {due}).")
        else:
            late = deadline.days_late(entry.received_at, entry.period)
            lines.append(f"Tình trạng: MUỘN {late} ngày (hạn nộp {due}).")
    lines.append("Nếu cần sửa số liệu, đơn vị gửi lại biểu mẫu đã sửa; bản nhận sau cùng được dùng.")
    return lines


def _rejection_lines(entry: LedgerEntry, deadline: DeadlineRule, now: datetime | None) -> list[str]:
    lines = [
        f"Thư của đơn vị (tiêu đề: «{_quoted_subject(entry.subject)}», "
        f"nhận lúc {_received_text(entry, deadline)}) CHƯA được tiếp nhận.",
        f"Lý do và cách khắc phục: {entry.reason_vi}",
    ]
    if entry.period:
        due = deadline.deadline(entry.period)
        month = f"{entry.period:%m/%Y}"
        if (now or datetime.now(due.tzinfo)) < due:
            lines.append(f"Hạn gửi báo cáo tháng {month}: {_deadline_text(entry.period, deadline)}.")
        else:
            lines.append(
                f"Hạn gửi báo cáo tháng {month} ({_deadline_text(entry.period, deadline)}) đã qua; "
                "hãy gửi lại sớm nhất có thể (báo cáo sẽ được ghi nhận là nộp muộn)."
            )
    return lines


_PENDING_SQL = """
select m.message_hash, m.message_id, m.sender, coalesce(m.subject, ''), m.state, m.reason_code, m.reason_vi,
    m.unit_code, m.period_month, m.received_at, m.submission_kind, s.filename, s.same_as_period,
    (select count(*) from raw.submission_values v where v.message_hash = m.message_hash and v.value_text is not null)
from raw.messages m
left join raw.submissions s on s.message_hash = m.message_hash
left join raw.replies r on r.message_hash = m.message_hash
where r.message_hash is null and m.state in ('accepted', 'quarantined')
order by m.received_at nulls last, m.message_hash
"""


def pending_entries(conn: psycopg.Connection) -> list[LedgerEntry]:
    """Decided messages that have not had their reply yet."""
    return [LedgerEntry(*row) for row in conn.execute(_PENDING_SQL)]


def send_pending_replies(
    settings: Settings, sender: EmailSender, *, registry: Registry | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Send every pending reply, each claimed in ``raw.outbox`` first (two DAGs answering at once send each reply
    once) and recorded in ``raw.replies`` as soon as it has gone; returns counts."""
    counts = {RECEIPT: 0, REJECTION: 0, "no_reply": 0, "withheld": 0, "claimed_elsewhere": 0}
    now = now or datetime.now(UTC)
    max_age = None if settings.notify_max_age_days is None else timedelta(days=settings.notify_max_age_days)
    withheld: list[Reply] = []
    with warehouse.connect(settings, autocommit=True) as conn:
        ensure_raw_schema(conn)
        for entry in pending_entries(conn):
            reply = compose_reply(entry, settings.deadline, registry, now=now)
            if reply is None:
                counts["no_reply"] += 1
                continue
            if max_age is not None and entry.received_at and now - entry.received_at > max_age:
                withheld.append(reply)
                counts["withheld"] += 1
                continue
            email = OutgoingEmail(
                kind=REPLY_KIND,
                key=reply.message_hash,
                to=(reply.to,),
                subject=reply.subject,
                html=reply.html,
                headers=reply.headers,
                once_per_key=True,
            )
            if send_once(conn, email, sender, from_email=settings.ministry_address) == Outcome.SENT:
                _record(conn, reply)
                counts[reply.kind] += 1
            else:  # another run has it; if it went out but was never recorded (a dead worker), record it now
                if state_of(conn, email) == "sent":
                    _record(conn, reply)
                counts["claimed_elsewhere"] += 1
        if withheld:  # one transaction: a backfill withholds thousands; a run that dies first leaves them pending
            with conn.transaction():
                _record_many(conn, withheld, f"received more than {settings.notify_max_age_days} days ago")
    return counts


_RECORD = (
    "insert into raw.replies (message_hash, reply_kind, recipient, subject, withheld_reason) "
    "values (%s, %s, %s, %s, %s) on conflict (message_hash) do nothing"
)


def _record(conn: psycopg.Connection, reply: Reply) -> None:
    _record_many(conn, [reply], None)


def _record_many(conn: psycopg.Connection, replies: list[Reply], withheld_reason: str | None) -> None:
    rows = [(reply.message_hash, reply.kind, reply.to, reply.subject, withheld_reason) for reply in replies]
    with conn.cursor() as cursor:
        cursor.executemany(_RECORD, rows)
