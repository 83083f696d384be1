"""A realistic, reproducible sample mailbox for one reporting period, with the ground truth beside it.

``generate_mailbox`` writes RFC 5322/MIME messages, shaped as 2009-era mail clients sent them, into a
Maildir: reports (the real form from ``ingestion.documents.form``, some converted to .doc), "same as" notices, and
the mistakes a real mailbox sees (an unknown sender, a corrupt file, a stale form, a forgotten
attachment, resends). Beside the Maildir it writes what a correct pipeline must conclude:

* ``<maildir>/../ground_truth-YYYY-MM.csv``: one row per expected unit (status, kind, receipt time);
* ``<maildir>/../messages-YYYY-MM.csv``: one row per message file (final state and reason code, and the value
  warnings its report must get: ``jump:1.3``, ``same_as_last_month:*``, several joined by ``;``).

From the second period on (in samples big enough for every special case), one unit types a percentage with a
slip (a misplaced comma or a dropped digit) and one re-sends last month's figures unchanged; both are accepted,
with a ``jump`` or a ``same_as_last_month`` warning, and the month after a slip its correction is a jump too.
Ordinary reports get none: percentages are standing figures and the monthly counts change. The expected
warnings are exact while units have fewer than three months of history (through 2009-08): from then on
outlier warnings on the monthly counts, which the generator does not predict, become possible.

Everything derives from ``seed`` and the period: the same inputs give byte-identical files with the same
names (no clock, no uuid, fixed MIME boundaries; file mtimes are set to the receipt time). A unit's mail
habits (client, reporter, file naming, .doc or .docx) and its standing figures stay the same from one
period to the next; monthly figures change.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import os
import quopri
import random
import textwrap
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import astuple, dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ingestion.documents.values import parse_number
from ingestion.domain.catalogue import Catalogue, Indicator, default_catalogue
from ingestion.domain.periods import FIRST_PERIOD, DeadlineRule, add_months, format_period
from ingestion.domain.records import MessageState, SubmissionKind
from ingestion.domain.registry import Registry, ReportingUnit, default_registry

VN = timezone(timedelta(hours=7))  # our server's and most senders' clocks (no DST in Vietnam)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC_TYPE = "application/msword"
OCTET_STREAM = "application/octet-stream"
UNKNOWN_SENDER_DOMAIN = "yahoo.example"
READ_FLAG = ":2,S"

OUTLOOK, THUNDERBIRD, WEBMAIL, YAHOO = "outlook", "thunderbird", "webmail", "yahoo"
STYLE_WEIGHTS = {OUTLOOK: 45, THUNDERBIRD: 25, WEBMAIL: 30}
DOC_SHARE = 0.2
OCTET_STREAM_SHARE = 0.3
READ_SHARE = 0.1
SHARE_LATE, SHARE_MISSING, SHARE_NOTICE, SHARE_LATE_NOTICE = 0.12, 0.10, 0.08, 0.25

REPORT, NOTICE, CORRUPT, NO_ATTACHMENT = "report", "notice", "corrupt", "no_attachment"
ACCEPTED = (MessageState.ACCEPTED, "accepted")
JUMP, SAME_AS_LAST_MONTH, ALL_INDICATORS = "jump", "same_as_last_month", "*"
SLIP_MIN_JUMP = 40.0  # points a slip moves a percentage at least: well past ITREPORT_JUMP_POINTS (30)

GROUND_TRUTH_FIELDS = ("unit_code", "period", "expected_status", "submission_kind", "received_at")
MESSAGE_FIELDS = ("file", "scenario", "expected_state", "reason_code", "unit_code", "received_at", "expected_warnings")

MONTH_WORDS = {
    1: "giêng", 2: "hai", 3: "ba", 4: "tư", 5: "năm", 6: "sáu",
    7: "bảy", 8: "tám", 9: "chín", 10: "mười", 11: "mười một", 12: "mười hai",
}  # fmt: skip
REPORTERS = (
    "Nguyễn Văn Hùng", "Trần Thị Mai", "Lê Minh Tuấn", "Phạm Thị Hương", "Hoàng Văn Dũng", "Vũ Thị Lan",
    "Đặng Quốc Khánh", "Bùi Thị Thu Hà", "Đỗ Mạnh Cường", "Ngô Thị Bích Ngọc", "Dương Văn Thắng",
    "Lý Thị Hồng", "Phan Thanh Sơn", "Võ Thị Kim Oanh", "Đinh Công Trứ", "Trương Thị Hạnh",
    "Hồ Đức Thịnh", "Mai Thị Phương", "Tạ Quang Huy", "Lương Thị Thuý", "Chu Văn Long", "Kiều Thị Yến",
)  # fmt: skip
DIFFICULTIES = (
    "Kinh phí dành cho ứng dụng công nghệ thông tin còn hạn chế, chưa đáp ứng nhu cầu.",
    "Đội ngũ cán bộ chuyên trách công nghệ thông tin còn thiếu, chưa được đào tạo bài bản.",
    "Hạ tầng mạng tại các đơn vị ở vùng sâu, vùng xa chưa bảo đảm đường truyền ổn định.",
    "Nhận thức của một số cán bộ, công chức về ứng dụng công nghệ thông tin chưa đầy đủ.",
    "Các phần mềm dùng chung chưa được kết nối, liên thông với nhau.",
    "Nhiều máy tính đã cũ, cấu hình thấp, thường xuyên hỏng hóc.",
)
PROPOSALS = (
    "Đề nghị Bộ Thông tin và Truyền thông hướng dẫn tiêu chí xác định mức độ dịch vụ công trực tuyến.",
    "Đề nghị bố trí kinh phí hỗ trợ đào tạo cán bộ chuyên trách công nghệ thông tin.",
    "Đề nghị Bộ sớm ban hành quy định về sử dụng chữ ký số trong trao đổi văn bản điện tử.",
    "Đề nghị Bộ tổ chức tập huấn sử dụng phần mềm quản lý văn bản và điều hành.",
    "Mong Bộ xây dựng phần mềm báo cáo trực tuyến thay cho việc gửi tệp qua thư điện tử.",
)
ATTACHMENT_NAMES = (
    "Báo cáo CNTT tháng {m}-{y}.{ext}",
    "BC ứng dụng CNTT T{mm}.{y} - {short}.{ext}",
    "Bao cao thang {m} nam {y}.{ext}",
    "Báo cáo tháng {mm}.{y}.{ext}",
    "{code}_BaoCaoCNTT_{y}{mm}.{ext}",
)
REPORT_SUBJECTS = (
    "Báo cáo tình hình ứng dụng CNTT tháng {m}/{y}",
    "BC ứng dụng CNTT tháng {mm}/{y} - {short}",
    "Bao cao CNTT thang {m} nam {y}",
    "V/v gửi báo cáo ứng dụng CNTT tháng {m}",
    "[{short}] Báo cáo tháng {m}-{y}",
)
NOTICE_SUBJECTS = ("Báo cáo CNTT tháng {m}/{y}", "Bao cao thang {m}", "V/v báo cáo ứng dụng CNTT tháng {m}/{y}")
RESEND_PREFIXES = {"duplicate": "Gửi lại: ", "corrupt": "Gửi lại (tệp lỗi): ", "forgotten": "Re: "}


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class UnitTruth:
    """What a correct pipeline concludes for one expected unit in the period."""

    unit_code: str
    period: str
    expected_status: str  # on_time | late | missing
    submission_kind: str  # report | same_as_notice | ""
    received_at: str  # ISO UTC of the effective (first accepted) submission, or ""


@dataclass(frozen=True)
class MessageTruth:
    """The one final state a correct pipeline gives one message file."""

    file: str
    scenario: str
    expected_state: str  # accepted | quarantined | ignored
    reason_code: str
    unit_code: str  # "" for an unknown sender
    received_at: str
    expected_warnings: str  # "warning_code:indicator_code" joined by ";", e.g. "jump:5.2"; "" for none


@dataclass
class GroundTruth:
    period: date
    units: list[UnitTruth]
    messages: list[MessageTruth]
    ground_truth_path: Path
    messages_path: Path

    def status_counts(self) -> dict[str, int]:
        return _count(u.expected_status for u in self.units)

    def state_counts(self) -> dict[str, int]:
        return _count(m.expected_state for m in self.messages)

    def scenario_counts(self) -> dict[str, int]:
        return _count(m.scenario for m in self.messages)

    def expected_warnings(self) -> list[tuple[str, str, str, str]]:
        """(file, unit_code, indicator_code, warning_code) of every value warning the period's reports must get."""
        return [
            (m.file, m.unit_code, indicator, code)
            for m in self.messages
            for code, indicator in warning_pairs(m.expected_warnings)
        ]


@dataclass(frozen=True)
class Profile:
    """How one unit writes mail: its client, its reporter, its habits (the same in every period)."""

    unit: ReportingUnit
    style: str
    prefers_doc: bool
    reporter: str
    name_pattern: int
    octet_stream: bool
    lan_ip: str


@dataclass
class MailPlan:
    """One message to write: who, what, when, and what the pipeline must decide about it."""

    scenario: str
    profile: Profile
    sender: str
    content: str  # REPORT | NOTICE | CORRUPT | NO_ATTACHMENT
    received_at: datetime
    date_header: datetime
    state: MessageState
    reason_code: str
    style: str
    form_period: date
    notice_phrase: int = 0
    reply: bool = False
    resend: str = ""
    index: int = 0
    message_id: str = ""
    values_period: date | None = None  # whose figures the form carries (None: its own period's)
    typed: tuple[tuple[str, str], ...] = ()  # (indicator, text) typed instead of the figure
    warnings: tuple[str, ...] = ()  # "warning_code:indicator_code" the intake must give the report

    @property
    def counts_for_unit(self) -> bool:
        return self.state == MessageState.ACCEPTED and self.sender == self.profile.unit.contact_email


@dataclass(frozen=True)
class Rendered:
    file: str
    raw: bytes
    plan: MailPlan


@dataclass(frozen=True)
class AttachmentFile:
    filename: str
    content_type: str
    payload: bytes


@dataclass
class Context:
    period: date
    seed: int
    mx_host: str
    ministry_address: str
    deadline: DeadlineRule
    catalogue: Catalogue
    with_doc: bool
    rng: random.Random
    forms: dict[tuple[str, date, date, tuple[tuple[str, str], ...]], bytes] = field(default_factory=dict)
    docs: dict[str, bytes] = field(default_factory=dict)
    # unit → its first accepted submission of the previous month, if received before this month began
    last_month: dict[str, MailPlan] = field(default_factory=dict)

    @property
    def previous_accepted(self) -> frozenset[str]:
        return frozenset(self.last_month)

    @property
    def label(self) -> str:
        return format_period(self.period)

    @property
    def due(self) -> datetime:
        return self.deadline.deadline(self.period)


Story = Callable[[Context, Profile], list[MailPlan]]


# ---------------------------------------------------------------- entry points


def generate_mailbox(
    maildir: Path,
    period: date,
    *,
    units: int | None = None,
    seed: int = 2009,
    mx_host: str = "mx.baocao-cntt.gov.example",
    ministry_address: str = "baocao.cntt@mic.gov.example",
    deadline: DeadlineRule = DeadlineRule(),  # noqa: B008 - a frozen dataclass, safe as a default
    registry: Registry | None = None,
    catalogue: Catalogue | None = None,
    with_doc: bool | None = None,
) -> GroundTruth:
    """Write one period's sample mail into ``maildir`` (replacing that period's earlier files, keeping other
    periods') and its ground truth beside it. ``with_doc`` None: send some reports as .doc when LibreOffice
    is installed."""
    if with_doc is None:
        from ingestion.documents.doc_convert import libreoffice_available

        with_doc = libreoffice_available()
    registry = registry or default_registry()
    period = period.replace(day=1)
    ctx = Context(
        period=period,
        seed=seed,
        mx_host=mx_host,
        ministry_address=ministry_address,
        deadline=deadline,
        catalogue=catalogue or default_catalogue(),
        with_doc=with_doc,
        rng=random.Random(f"{seed}:{format_period(period)}:plan"),
    )
    ctx.last_month = _last_month(ctx, add_months(period, -1), units, registry)
    selected = select_units(registry, period, units, seed)
    plans = plan_period(ctx, selected, registry)
    rendered = render_all(ctx, plans)
    maildir = Path(maildir)
    write_maildir(maildir, ctx.label, rendered)
    truth = GroundTruth(
        period=period,
        units=unit_truths(ctx, selected, plans),
        messages=[_message_truth(r) for r in sorted(rendered, key=lambda r: r.file)],
        ground_truth_path=maildir.parent / f"ground_truth-{ctx.label}.csv",
        messages_path=maildir.parent / f"messages-{ctx.label}.csv",
    )
    _write_csv(truth.ground_truth_path, GROUND_TRUTH_FIELDS, [astuple(u) for u in truth.units])
    _write_csv(truth.messages_path, MESSAGE_FIELDS, [astuple(m) for m in truth.messages])
    return truth


def _last_month(ctx: Context, previous: date, units: int | None, registry: Registry) -> dict[str, MailPlan]:
    """Each unit's first submission the same generator (same seed and sample size) had accepted for ``previous``
    before the month after it began: only those units may send a "same as" notice (the intake needs that month
    in its ledger), and what they sent decides this month's value warnings."""
    if previous < FIRST_PERIOD:
        return {}
    earlier = Context(
        period=previous,
        seed=ctx.seed,
        mx_host=ctx.mx_host,
        ministry_address=ctx.ministry_address,
        deadline=ctx.deadline,
        catalogue=ctx.catalogue,
        with_doc=ctx.with_doc,
        rng=random.Random(f"{ctx.seed}:{format_period(previous)}:plan"),
    )
    earlier.last_month = _last_month(earlier, add_months(previous, -1), units, registry)
    plans = plan_period(earlier, select_units(registry, previous, units, ctx.seed), registry)
    month_start = datetime.combine(add_months(previous, 1), datetime.min.time(), ZoneInfo(ctx.deadline.timezone))
    first: dict[str, MailPlan] = {}
    for plan in plans:  # in receipt order
        if plan.counts_for_unit and plan.received_at < month_start:
            first.setdefault(plan.profile.unit.unit_code, plan)
    return first


def read_ground_truth(path: Path | str) -> list[dict[str, str]]:
    """The rows of a ``ground_truth-*.csv`` or ``messages-*.csv`` file, as dicts of strings."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def warning_pairs(text: str) -> list[tuple[str, str]]:
    """``"jump:1.3;same_as_last_month:*"`` (an ``expected_warnings`` cell) → ``[("jump", "1.3"), ...]``."""
    pairs = [item.split(":", 1) for item in text.split(";") if item]
    return [(code, indicator) for code, indicator in pairs]


def select_units(registry: Registry, period: date, units: int | None, seed: int) -> list[ReportingUnit]:
    """The expected units, or the first ``units`` of them in a seeded shuffle (registry order kept)."""
    expected = registry.expected(period)
    if units is None or units >= len(expected):
        return expected
    shuffled = list(expected)
    random.Random(f"{seed}:units").shuffle(shuffled)
    chosen = {u.unit_code for u in shuffled[: max(0, units)]}
    return [u for u in expected if u.unit_code in chosen]


# ---------------------------------------------------------------- planning: who sends what


def plan_period(ctx: Context, selected: Sequence[ReportingUnit], registry: Registry) -> list[MailPlan]:
    """Every message of the period in receipt order, numbered, with deterministic Message-IDs."""
    order = list(selected)
    ctx.rng.shuffle(order)
    specials = [story for story in SPECIALS if story not in AFTER_FIRST_PERIOD or ctx.period > FIRST_PERIOD]
    specials = _fit_specials(ctx, order, specials)
    rest = order[len(specials) :]
    plans: list[MailPlan] = []
    for unit, story in zip(order, specials, strict=False):
        plans += story(ctx, profile_for(ctx, unit))
    for unit, story in zip(rest, _regular_roles(ctx, rest, len(order), specials), strict=True):
        plans += story(ctx, profile_for(ctx, unit))
    plans += _unknown_sender(ctx, order, registry)
    _expect_corrections(ctx, plans)
    plans.sort(key=lambda p: (p.received_at, p.sender, p.scenario))
    for index, plan in enumerate(plans, start=1):
        plan.index = index
        plan.message_id = _message_id(ctx, plan)
    return plans


def _fit_specials(ctx: Context, order: list[ReportingUnit], specials: list[Story]) -> list[Story]:
    """As many special cases as there are units. A story that needs a certain unit (``SPECIAL_UNITS``) gets the
    first such unit at or after its place in ``order`` (moved there), or is left out when there is none."""
    fitted: list[Story] = []
    for story in specials[: len(order)]:
        wanted, position = SPECIAL_UNITS.get(story), len(fitted)
        if wanted is not None:
            unit = next((u for u in order[position:] if wanted(ctx, u)), None)
            if unit is None:
                continue
            order.remove(unit)
            order.insert(position, unit)
        fitted.append(story)
    return fitted


def _notices_allowed(ctx: Context) -> bool:
    return ctx.period > FIRST_PERIOD


def _may_send_notice(ctx: Context, unit: ReportingUnit) -> bool:
    """A "same as" notice needs the previous month accepted: never in 2009-06, never in a unit's first period,
    never after a month the unit missed or sent only late."""
    return _notices_allowed(ctx) and unit.valid_from < ctx.period and unit.unit_code in ctx.previous_accepted


def _regular_roles(ctx: Context, units: Sequence[ReportingUnit], size: int, specials: Sequence[Story]) -> list[Story]:
    """Roles for the units left after the special cases, by quota (so the mix holds for small samples)."""
    notices = round(SHARE_NOTICE * size) - (_notice_reply in specials) if _notices_allowed(ctx) else 0
    notices = max(0, min(notices, sum(_may_send_notice(ctx, u) for u in units)))
    late_notices = max(1 if notices >= 2 else 0, round(notices * SHARE_LATE_NOTICE))
    late = round(SHARE_LATE * size) + _jitter(ctx, size) - sum(s in LATE_SPECIALS for s in specials) - late_notices
    missing = round(SHARE_MISSING * size) + _jitter(ctx, size) - sum(s in MISSING_SPECIALS for s in specials)
    late = max(0, min(late, len(units) - notices))
    missing = max(0, min(missing, len(units) - notices - late))
    pool: list[Story] = [_late_report] * late + [_missing] * missing
    pool += [_on_time_report] * (len(units) - notices - len(pool))
    ctx.rng.shuffle(pool)
    notice_roles: list[Story] = [_late_notice] * late_notices + [_on_time_notice] * (notices - late_notices)
    roles: list[Story] = []
    for unit in units:
        take_notice = notice_roles and _may_send_notice(ctx, unit)
        roles.append(notice_roles.pop() if take_notice else pool.pop() if pool else _on_time_report)
    return roles


def _jitter(ctx: Context, size: int) -> int:
    """One more or one fewer now and then, so whole months do not all look the same (never for small samples)."""
    return ctx.rng.randint(-1, 1) if size >= 40 else 0


def profile_for(ctx: Context, unit: ReportingUnit) -> Profile:
    rng = random.Random(f"{ctx.seed}:{unit.unit_code}:profile")
    return Profile(
        unit=unit,
        style=rng.choices(list(STYLE_WEIGHTS), weights=list(STYLE_WEIGHTS.values()))[0],
        prefers_doc=rng.random() < DOC_SHARE,
        reporter=rng.choice(REPORTERS),
        name_pattern=rng.randrange(len(ATTACHMENT_NAMES)),
        octet_stream=rng.random() < OCTET_STREAM_SHARE,
        lan_ip=f"10.{rng.randint(1, 254)}.{rng.randint(0, 254)}.{rng.randint(2, 254)}",
    )


def _plan(
    ctx: Context,
    profile: Profile,
    scenario: str,
    content: str,
    received: datetime,
    *,
    sent: datetime | None = None,
    expect: tuple[MessageState, str] = ACCEPTED,
    form_period: date | None = None,
    style: str | None = None,
    notice_phrase: int = 0,
    reply: bool = False,
    resend: str = "",
) -> MailPlan:
    """A message from ``profile``'s registered address; its Date header a few minutes before receipt."""
    return MailPlan(
        scenario=scenario,
        profile=profile,
        sender=profile.unit.contact_email,
        content=content,
        received_at=received,
        date_header=sent or received - timedelta(seconds=ctx.rng.randint(30, 600)),
        state=expect[0],
        reason_code=expect[1],
        style=style or profile.style,
        form_period=form_period or ctx.period,
        notice_phrase=notice_phrase,
        reply=reply,
        resend=resend,
    )


def on_time_moment(ctx: Context) -> datetime:
    """A working-hours moment of the period's month before the deadline, more often close to it."""
    zone = ZoneInfo(ctx.deadline.timezone)
    due_local = ctx.due.astimezone(zone)
    span = max(1, (due_local.date() - ctx.period).days - 1)
    back = min(int(ctx.rng.expovariate(1 / 4)), span - 1) + 1
    day = due_local.date() - timedelta(days=back)
    local = datetime(day.year, day.month, day.day, ctx.rng.randint(7, 17), ctx.rng.randint(0, 59), tzinfo=zone)
    moment = (local + timedelta(seconds=ctx.rng.randint(0, 59))).astimezone(UTC)
    return min(moment, ctx.due - timedelta(minutes=5))


def late_moment(ctx: Context, low: timedelta = timedelta(hours=1), high: timedelta = timedelta(days=9)) -> datetime:
    """A receipt between ``low`` and ``high`` after the deadline (whole seconds)."""
    return ctx.due + timedelta(seconds=ctx.rng.randint(int(low.total_seconds()), int(high.total_seconds())))


def _on_time_report(ctx: Context, profile: Profile) -> list[MailPlan]:
    return [_plan(ctx, profile, "on_time_report", REPORT, on_time_moment(ctx))]


def _late_report(ctx: Context, profile: Profile) -> list[MailPlan]:
    return [_plan(ctx, profile, "late_report", REPORT, late_moment(ctx))]


def _missing(ctx: Context, profile: Profile) -> list[MailPlan]:
    return []


def _on_time_notice(ctx: Context, profile: Profile) -> list[MailPlan]:
    phrase = ctx.rng.randrange(len(NOTICE_PHRASES))
    return [_plan(ctx, profile, "same_as_notice_on_time", NOTICE, on_time_moment(ctx), notice_phrase=phrase)]


def _late_notice(ctx: Context, profile: Profile) -> list[MailPlan]:
    received, phrase = late_moment(ctx, high=timedelta(days=5)), ctx.rng.randrange(len(NOTICE_PHRASES))
    return [_plan(ctx, profile, "same_as_notice_late", NOTICE, received, notice_phrase=phrase)]


def _notice_reply(ctx: Context, profile: Profile) -> list[MailPlan]:
    """A notice written as a reply to the ministry's reminder, quoting it (lines starting with '>')."""
    received = ctx.due - timedelta(hours=ctx.rng.randint(2, 60), seconds=ctx.rng.randint(0, 3599))
    return [_plan(ctx, profile, "same_as_notice_reply", NOTICE, received, reply=True, style=THUNDERBIRD)]


def _boundary_before(ctx: Context, profile: Profile) -> list[MailPlan]:
    return [_plan(ctx, profile, "boundary_before_deadline", REPORT, ctx.due - timedelta(seconds=1))]


def _boundary_at(ctx: Context, profile: Profile) -> list[MailPlan]:
    return [_plan(ctx, profile, "boundary_at_deadline", REPORT, ctx.due)]


def _late_with_early_date(ctx: Context, profile: Profile) -> list[MailPlan]:
    """Written before the deadline (Date header) but received after it: the receipt counts, so late."""
    received = late_moment(ctx, high=timedelta(hours=20))
    sent = ctx.due - timedelta(seconds=ctx.rng.randint(600, 7200))
    return [_plan(ctx, profile, "late_report_early_date_header", REPORT, received, sent=sent)]


def _clock_ahead(ctx: Context, profile: Profile) -> list[MailPlan]:
    """Received on time from a PC whose clock runs a day ahead (Date header after the deadline)."""
    received = ctx.due - timedelta(hours=ctx.rng.randint(2, 20), seconds=ctx.rng.randint(0, 3599))
    sent = received + timedelta(days=1, seconds=ctx.rng.randint(0, 7200))
    return [_plan(ctx, profile, "on_time_report_clock_ahead", REPORT, received, sent=sent)]


def _duplicate(ctx: Context, profile: Profile) -> list[MailPlan]:
    """The same report sent twice; the first one counts."""
    first = on_time_moment(ctx)
    again = first + timedelta(seconds=ctx.rng.randint(2 * 3600, 3 * 86400))
    return [
        _plan(ctx, profile, "duplicate_first", REPORT, first),
        _plan(ctx, profile, "duplicate_resend", REPORT, again, resend="duplicate"),
    ]


def _corrupt_then_resend(ctx: Context, profile: Profile) -> list[MailPlan]:
    first = on_time_moment(ctx)
    again = first + timedelta(seconds=ctx.rng.randint(1800, 6 * 3600))
    bad = (MessageState.QUARANTINED, "unreadable_attachment")
    return [
        _plan(ctx, profile, "corrupt_attachment", CORRUPT, first, expect=bad),
        _plan(ctx, profile, "resend_after_corrupt", REPORT, again, resend="corrupt"),
    ]


def _wrong_period(ctx: Context, profile: Profile) -> list[MailPlan]:
    """A stale form, the unit's only message: the month before 2009-06 (no such period) or two months back
    (the month before is still accepted as a late report for that month)."""
    stale = add_months(ctx.period, -1 if ctx.period <= FIRST_PERIOD else -2)
    bad = (MessageState.QUARANTINED, "wrong_period")
    return [_plan(ctx, profile, "wrong_period", REPORT, on_time_moment(ctx), form_period=stale, expect=bad)]


def _forgotten_attachment(ctx: Context, profile: Profile) -> list[MailPlan]:
    first = on_time_moment(ctx)
    again = first + timedelta(seconds=ctx.rng.randint(180, 2400))
    ignored = (MessageState.IGNORED, "not_a_submission")
    return [
        _plan(ctx, profile, "forgotten_attachment", NO_ATTACHMENT, first, expect=ignored),
        _plan(ctx, profile, "resend_after_forgotten", REPORT, again, resend="forgotten"),
    ]


def _typo_report(ctx: Context, profile: Profile) -> list[MailPlan]:
    """On time, but one percentage typed with a slip (85 → "8,5" or "8"): still between 0 and 100, so accepted;
    only its jump from last month's figure gives it away."""
    code = ctx.rng.choice(_slippable(ctx, profile.unit))
    text = slip(form_values(ctx, profile.unit, ctx.period)[code], dropped_digit=ctx.rng.random() < 0.5)
    plan = _plan(ctx, profile, "on_time_report_typo", REPORT, on_time_moment(ctx))
    plan.typed, plan.warnings = ((code, text),), (f"{JUMP}:{code}",)
    return [plan]


def _unchanged_report(ctx: Context, profile: Profile) -> list[MailPlan]:
    """On time, but last month's form re-sent with only the month changed: every figure as last month."""
    plan = _plan(ctx, profile, "on_time_report_unchanged", REPORT, on_time_moment(ctx))
    plan.values_period, plan.warnings = add_months(ctx.period, -1), (f"{SAME_AS_LAST_MONTH}:{ALL_INDICATORS}",)
    return [plan]


def _sent_plain_report(ctx: Context, unit: ReportingUnit) -> bool:
    """Last month's accepted submission is a report with that month's own figures (what this month is checked
    against), not a notice, a slip or a copy."""
    last = ctx.last_month.get(unit.unit_code)
    return last is not None and last.content == REPORT and not last.typed and last.values_period is None


def _may_slip(ctx: Context, unit: ReportingUnit) -> bool:
    return _sent_plain_report(ctx, unit) and bool(_slippable(ctx, unit))


def _slippable(ctx: Context, unit: ReportingUnit) -> list[str]:
    """The unit's percentages that either slip moves at least SLIP_MIN_JUMP points from last month's figure."""
    now, last = form_values(ctx, unit, ctx.period), form_values(ctx, unit, add_months(ctx.period, -1))
    return [
        i.indicator_code
        for i in ctx.catalogue.in_form_order()
        if i.value_type == "percent" and _slips_far(now[i.indicator_code], last[i.indicator_code])
    ]


def _slips_far(text: str, last_text: str) -> bool:
    last = parse_number(last_text, "percent")
    slipped = [parse_number(slip(text, dropped_digit=dropped), "percent") for dropped in (False, True)]
    return last is not None and all(s is not None and abs(s - last) >= SLIP_MIN_JUMP for s in slipped)


def slip(text: str, *, dropped_digit: bool) -> str:
    """A percentage as mistyped: the comma one place left ("85" → "8,5", "62,5%" → "6,25%") or the last whole
    digit dropped ("85" → "8", "62,5" → "6,5")."""
    number, percent = (text[:-1], "%") if text.endswith("%") else (text, "")
    whole, comma, fraction = number.partition(",")
    if dropped_digit:
        return whole[:-1] + comma + fraction + percent
    return f"{whole[:-1]},{whole[-1:]}{fraction}{percent}"


def _expect_corrections(ctx: Context, plans: Sequence[MailPlan]) -> None:
    """Last month's slip is corrected this month, which is a jump back: every accepted report of the unit warns."""
    for plan in plans:
        last = ctx.last_month.get(plan.profile.unit.unit_code)
        if last and last.typed and plan.counts_for_unit and plan.content == REPORT:
            plan.warnings += tuple(f"{JUMP}:{code}" for code, _ in last.typed)


SPECIALS: tuple[Story, ...] = (
    _boundary_before,
    _boundary_at,
    _late_with_early_date,
    _duplicate,
    _corrupt_then_resend,
    _wrong_period,
    _forgotten_attachment,
    _notice_reply,
    _clock_ahead,
    _typo_report,
    _unchanged_report,
)
LATE_SPECIALS: frozenset[Story] = frozenset({_boundary_at, _late_with_early_date})
MISSING_SPECIALS: frozenset[Story] = frozenset({_wrong_period})
AFTER_FIRST_PERIOD: frozenset[Story] = frozenset({_notice_reply, _typo_report, _unchanged_report})
SPECIAL_UNITS: dict[Story, Callable[[Context, ReportingUnit], bool]] = {
    _notice_reply: _may_send_notice,
    _typo_report: _may_slip,
    _unchanged_report: _sent_plain_report,
}


def _unknown_sender(ctx: Context, order: Sequence[ReportingUnit], registry: Registry) -> list[MailPlan]:
    """A unit's report sent from an official's personal mailbox, which no registered unit owns."""
    if not order:
        return []
    base = profile_for(ctx, order[-1])
    profile = Profile(base.unit, YAHOO, False, ctx.rng.choice(REPORTERS), 2, True, base.lan_ip)
    address = f"{_ascii_slug(profile.reporter)}{ctx.rng.randint(70, 89)}@{UNKNOWN_SENDER_DOMAIN}"
    if registry.for_sender(address, ctx.period) is not None:
        raise ValueError(f"{UNKNOWN_SENDER_DOMAIN} is registered; the unknown sender needs an unregistered domain")
    bad = (MessageState.QUARANTINED, "unknown_sender")
    received = on_time_moment(ctx)
    sent = received - timedelta(seconds=ctx.rng.randint(5, 40))
    plan = _plan(ctx, profile, "unknown_sender", REPORT, received, sent=sent, expect=bad, style=YAHOO)
    plan.sender = address
    return [plan]


def _message_id(ctx: Context, plan: MailPlan) -> str:
    key = f"{ctx.seed}|{ctx.label}|{plan.index}|{plan.sender}|{plan.scenario}"
    return f"<{ctx.label}.{plan.index:04d}.{_digest(key)[:10]}@{_domain(plan.sender)}>"


# ---------------------------------------------------------------- ground truth


def unit_truths(ctx: Context, selected: Sequence[ReportingUnit], plans: Sequence[MailPlan]) -> list[UnitTruth]:
    """Each unit's status from its earliest accepted submission; none → missing."""
    rows = []
    for unit in sorted(selected, key=lambda u: u.unit_code):
        counted = [p for p in plans if p.counts_for_unit and p.profile.unit.unit_code == unit.unit_code]
        rows.append(_unit_truth(ctx, unit, min(counted, key=lambda p: p.received_at, default=None)))
    return rows


def _unit_truth(ctx: Context, unit: ReportingUnit, first: MailPlan | None) -> UnitTruth:
    if first is None:
        return UnitTruth(unit.unit_code, ctx.label, "missing", "", "")
    status = "on_time" if ctx.deadline.is_on_time(first.received_at, ctx.period) else "late"
    kind = SubmissionKind.REPORT if first.content == REPORT else SubmissionKind.SAME_AS_NOTICE
    return UnitTruth(unit.unit_code, ctx.label, status, kind.value, _iso(first.received_at))


def _message_truth(rendered: Rendered) -> MessageTruth:
    plan = rendered.plan
    unit_code = "" if plan.scenario == "unknown_sender" else plan.profile.unit.unit_code
    return MessageTruth(
        rendered.file,
        plan.scenario,
        plan.state.value,
        plan.reason_code,
        unit_code,
        _iso(plan.received_at),
        ";".join(plan.warnings),
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


# ---------------------------------------------------------------- the filled form

ALWAYS_YES = frozenset({"1.1", "5.4"})
RANGES: dict[str, tuple[float, float]] = {
    "1.3": (15, 90), "1.4": (20, 450), "1.5": (0, 40), "2.1": (80, 1900), "2.6": (0, 3500),
    "3.1": (350, 9000), "3.3": (25, 95), "3.4": (10, 60), "3.6": (5, 80), "4.3": (3, 45),
    "4.4": (0, 260), "4.5": (0, 4200), "5.1": (300, 9000), "5.2": (45, 100), "5.3": (35, 100),
}  # fmt: skip
SHARES: dict[str, tuple[str, float, float]] = {
    "2.2": ("2.1", 0.4, 1.0), "2.3": ("2.1", 0.1, 0.6), "2.4": ("2.1", 0.0, 0.08),
    "2.5": ("2.1", 0.0, 0.02), "3.2": ("3.1", 0.3, 1.0), "3.5": ("3.4", 0.2, 1.0), "5.1": ("3.1", 0.55, 1.1),
}  # fmt: skip
SCALES = {"central_city": 1.0, "ministry": 0.8, "province": 0.5}


def form_values(ctx: Context, unit: ReportingUnit, period: date) -> dict[str, str]:
    """Plausible, internally consistent text for every indicator of the catalogue (catalogue rules hold).

    Standing figures (officials, procedures, computers...) depend on the unit only; figures "in the month"
    change with the period. Known indicators get realistic ranges; new ones a range by value type."""
    standing = random.Random(f"{ctx.seed}:{unit.unit_code}:values")
    monthly = random.Random(f"{ctx.seed}:{unit.unit_code}:{format_period(period)}:values")
    numbers: dict[str, float] = {}
    for indicator in ctx.catalogue.in_form_order():
        if indicator.value_type in ("count", "percent", "money"):
            rng = monthly if _is_monthly(indicator) else standing
            numbers[indicator.indicator_code] = _number_for(indicator, rng, numbers, SCALES.get(unit.unit_type, 0.3))
    _enforce_rules(ctx.catalogue, numbers, standing)
    return {i.indicator_code: _value_text(i, numbers, standing, unit) for i in ctx.catalogue.indicators}


def _is_monthly(indicator: Indicator) -> bool:
    return "in the month" in indicator.name_en.lower() or "trong tháng" in indicator.name_vi.lower()


def _value_text(indicator: Indicator, numbers: dict[str, float], rng: random.Random, unit: ReportingUnit) -> str:
    code = indicator.indicator_code
    if code in numbers:
        return _format_number(indicator, numbers[code], rng)
    if indicator.value_type == "yes_no":
        return "Có" if code in ALWAYS_YES or rng.random() < 0.8 else "Không"
    return f"http://www.{unit.email_domain}"


def _number_for(indicator: Indicator, rng: random.Random, known: dict[str, float], scale: float) -> float:
    code = indicator.indicator_code
    if code in SHARES and SHARES[code][0] in known:
        base, low, high = SHARES[code]
        number = known[base] * rng.uniform(low, high)
    elif code in RANGES:
        low, high = RANGES[code]
        number = low + rng.random() * (high - low) * (1 if indicator.value_type == "percent" else scale)
    else:
        number = rng.uniform(0, 100 if indicator.value_type == "percent" else 500)
    number = round(number * 2) / 2 if indicator.value_type == "percent" else float(round(number))
    return _clamp(indicator, number)


def _clamp(indicator: Indicator, number: float) -> float:
    low = indicator.min_value if indicator.min_value is not None else number
    high = indicator.max_value if indicator.max_value is not None else number
    return min(max(number, low), high)


def _enforce_rules(catalogue: Catalogue, numbers: dict[str, float], rng: random.Random) -> None:
    """Make every consistency rule hold (``left op right``) by changing the left side."""
    for _ in range(3):
        for rule in catalogue.rules:
            left, right = numbers.get(rule.left_indicator), numbers.get(rule.right_indicator)
            if left is None or right is None or rule.holds(left, right):
                continue
            if rule.operator in ("<=", "<"):
                ceiling = max(0, int(right) - (rule.operator == "<"))
                numbers[rule.left_indicator] = float(rng.randint(0, ceiling))
            elif rule.operator in (">=", ">"):
                numbers[rule.left_indicator] = right + rng.randint(int(rule.operator == ">"), 10)
            else:
                numbers[rule.left_indicator] = right


def _format_number(indicator: Indicator, number: float, rng: random.Random) -> str:
    """As agencies type: decimal comma for percents, sometimes '%'; '.' thousands groups sometimes."""
    if indicator.value_type == "percent":
        text = f"{number:g}".replace(".", ",")
        return text + "%" if rng.random() < 0.2 else text
    whole = int(number)
    if whole >= 1000 and rng.random() < 0.5:
        return f"{whole:,}".replace(",", ".")
    return str(whole)


def report_for(ctx: Context, plan: MailPlan) -> bytes:
    return build_report(ctx, plan.profile, plan.form_period, values_period=plan.values_period, typed=plan.typed)


def build_report(
    ctx: Context,
    profile: Profile,
    period: date,
    *,
    values_period: date | None = None,
    typed: tuple[tuple[str, str], ...] = (),
) -> bytes:
    """The filled form as .docx bytes: a pure function of seed, unit, period, whose figures (and remarks) it
    carries and the values ``typed`` over them (cached per run)."""
    source = values_period or period
    key = (profile.unit.unit_code, period, source, typed)
    if key not in ctx.forms:
        from ingestion.documents.form import build_form

        rng = random.Random(f"{ctx.seed}:{profile.unit.unit_code}:{format_period(source)}:texts")
        ctx.forms[key] = build_form(
            profile.unit,
            period,
            form_values(ctx, profile.unit, source) | dict(typed),
            catalogue=ctx.catalogue,
            difficulties="\n".join(rng.sample(DIFFICULTIES, rng.randint(1, 2))),
            proposals="\n".join(rng.sample(PROPOSALS, rng.randint(1, 2))),
            reporter=profile.reporter,
        )
    return ctx.forms[key]


# ---------------------------------------------------------------- attachments


def _sends_doc(ctx: Context, plan: MailPlan) -> bool:
    return ctx.with_doc and plan.content == REPORT and plan.profile.prefers_doc and plan.style != YAHOO


def attachment_for(ctx: Context, plan: MailPlan) -> AttachmentFile | None:
    if plan.content == CORRUPT:
        return AttachmentFile(_attachment_name(plan.profile, ctx.period, "docx"), DOCX_TYPE, _corrupt_bytes(ctx))
    if plan.content != REPORT:
        return None
    docx = report_for(ctx, plan)
    if _sends_doc(ctx, plan):
        return AttachmentFile(_attachment_name(plan.profile, ctx.period, "doc"), DOC_TYPE, ctx.docs[_sha(docx)])
    kind = OCTET_STREAM if plan.profile.octet_stream else DOCX_TYPE
    return AttachmentFile(_attachment_name(plan.profile, ctx.period, "docx"), kind, docx)


def _corrupt_bytes(ctx: Context) -> bytes:
    """Random bytes that are neither a zip (PK) nor an OLE2 file, as a broken upload leaves them."""
    return b"\x00\x13" + ctx.rng.randbytes(ctx.rng.randint(4000, 24000))


def _attachment_name(profile: Profile, period: date, ext: str) -> str:
    pattern = ATTACHMENT_NAMES[profile.name_pattern]
    return _nfc(
        pattern.format(
            m=period.month,
            mm=f"{period.month:02d}",
            y=period.year,
            ext=ext,
            short=short_name(profile.unit),
            code=profile.unit.unit_code,
        )
    )


def convert_docs(ctx: Context, plans: Sequence[MailPlan]) -> None:
    """The .doc versions of the reports sent as .doc, made by one LibreOffice run for the whole period."""
    wanted: dict[str, bytes] = {}
    for plan in plans:
        if _sends_doc(ctx, plan):
            docx = report_for(ctx, plan)
            wanted.setdefault(_sha(docx), docx)
    if wanted:
        ctx.docs.update(_to_doc(wanted))


def _to_doc(documents: dict[str, bytes]) -> dict[str, bytes]:
    from ingestion.documents.doc_convert import ConversionError, convert_many

    converted = convert_many(documents, suffix=".docx", to="doc")
    if len(converted) != len(documents):
        raise ConversionError(f"LibreOffice converted {len(converted)} of {len(documents)} sample forms to .doc")
    return converted


# ---------------------------------------------------------------- texts


def short_name(unit: ReportingUnit) -> str:
    for prefix in ("Tỉnh ", "Thành phố "):
        if unit.name_vi.startswith(prefix):
            return unit.name_vi[len(prefix) :]
    return unit.name_vi


def agency_name(unit: ReportingUnit) -> str:
    """How an agency names itself in a letter: provinces write "UBND tỉnh ...", others their own name."""
    if unit.unit_type in ("province", "central_city"):
        return "UBND " + unit.name_vi[0].lower() + unit.name_vi[1:]
    return unit.name_vi


def strip_marks(text: str) -> str:
    """Vietnamese without diacritics, as typed without a Vietnamese keyboard ('Báo cáo' → 'Bao cao')."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _fill(pattern: str, unit: ReportingUnit, period: date) -> str:
    return _nfc(pattern.format(m=period.month, mm=f"{period.month:02d}", y=period.year, short=short_name(unit)))


def subject_for(ctx: Context, plan: MailPlan) -> str:
    if plan.reply:
        return _fill("Re: Nhắc gửi báo cáo ứng dụng CNTT tháng {mm}/{y}", plan.profile.unit, ctx.period)
    patterns = NOTICE_SUBJECTS if plan.content == NOTICE else REPORT_SUBJECTS
    return RESEND_PREFIXES.get(plan.resend, "") + _fill(ctx.rng.choice(patterns), plan.profile.unit, ctx.period)


def signature(profile: Profile) -> str:
    unit = profile.unit
    office = (
        f"Văn phòng {agency_name(unit)}"
        if unit.unit_type in ("province", "central_city")
        else (f"Trung tâm Tin học - {unit.name_vi}")
    )
    phone = "".join(str(int(c, 16) % 10) for c in _digest(unit.unit_code)[:7])
    return f"-- \n{profile.reporter}\n{office}\nĐT: 04.{phone}"


def report_body(ctx: Context, plan: MailPlan) -> str:
    agency, month = agency_name(plan.profile.unit), f"{ctx.period.month}/{ctx.period.year}"
    middles = {
        "duplicate": f"{agency} gửi lại báo cáo tháng {month} (e rằng thư trước chưa tới được Cục).",
        "corrupt": "Xin gửi lại tệp báo cáo, tệp đính kèm trong thư trước bị lỗi không mở được.",
        "forgotten": "Xin lỗi, thư trước quên đính kèm tệp báo cáo. Xin gửi lại kèm tệp.",
    }
    middle = middles.get(
        plan.resend,
        f"{agency} xin gửi báo cáo tình hình ứng dụng công nghệ thông tin tháng {month}"
        + ("." if plan.content == NO_ATTACHMENT else " theo Công văn số 1485/BTTTT-UDCNTT (tệp đính kèm)."),
    )
    body = (
        "Kính gửi: Cục Ứng dụng công nghệ thông tin - Bộ Thông tin và Truyền thông.\n\n"
        f"{middle}\n\nXin cảm ơn.\nTrân trọng./.\n\n{signature(plan.profile)}\n"
    )
    return strip_marks(body) if plan.style == WEBMAIL and ctx.rng.random() < 0.3 else body


NOTICE_PHRASES = (
    "Báo cáo của {agency} giống tháng {m}.",
    "Báo cáo của {agency} giống tháng {mm}/{y}.",
    "Báo cáo của {agency} giống tháng {word}.",
    "Bao cao cua {agency} giong thang {m}.",
)


def notice_sentence(ctx: Context, plan: MailPlan) -> str:
    """ "Báo cáo của (tên cơ quan) giống tháng (tên tháng)", naming the month before the period."""
    before = add_months(ctx.period, -1)
    pattern = NOTICE_PHRASES[plan.notice_phrase % len(NOTICE_PHRASES)]
    text = pattern.format(
        agency=agency_name(plan.profile.unit),
        m=before.month,
        mm=f"{before.month:02d}",
        y=before.year,
        word=MONTH_WORDS[before.month],
    )
    return strip_marks(text) if pattern.isascii() else text


def notice_body(ctx: Context, plan: MailPlan) -> str:
    sentence, sign = notice_sentence(ctx, plan), signature(plan.profile)
    if plan.reply:
        return _nfc(f"{sentence}\n\nTrân trọng,\n{sign}\n\n{_quoted_reminder(ctx, plan)}")
    body = f"Kính gửi Cục Ứng dụng CNTT,\n\n{sentence}\n\nTrân trọng,\n{sign}\n"
    return strip_marks(body) if sentence.isascii() else _nfc(body)


def _quoted_reminder(ctx: Context, plan: MailPlan) -> str:
    """The ministry's reminder, quoted below the reply; it quotes the notice template itself."""
    sent = (plan.received_at - timedelta(days=2)).astimezone(VN).replace(hour=8, minute=30, second=0)
    month = f"{ctx.period.month:02d}/{ctx.period.year}"
    reminder = (
        "Kính gửi các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ và UBND các tỉnh, thành phố,\n"
        f"Cục Ứng dụng CNTT đề nghị Quý cơ quan gửi báo cáo tình hình ứng dụng CNTT tháng {month}\n"
        f"trước ngày {ctx.deadline.day:02d}/{month}. Nếu số liệu không thay đổi so với tháng trước, chỉ cần gửi thư:\n"
        '"Báo cáo của (tên cơ quan) giống tháng (tên tháng)".\n'
        "Cục Ứng dụng công nghệ thông tin"
    )
    quoted = "\n".join("> " + line for line in reminder.splitlines())
    when = sent.strftime("%H:%M ngày %d/%m/%Y")
    return f"Vào lúc {when}, Cục Ứng dụng CNTT <{ctx.ministry_address}> đã viết:\n{quoted}\n"


def body_for(ctx: Context, plan: MailPlan) -> str:
    return notice_body(ctx, plan) if plan.content == NOTICE else report_body(ctx, plan)


# ---------------------------------------------------------------- MIME encodings


def encoded_words(text: str, encoding: str = "B", charset: str = "utf-8", fold: str = "\n ") -> str:
    """RFC 2047 encoded words, split between characters, each at most 75 characters; ASCII stays as is."""
    if text.isascii():
        return text
    words, chunk = [], ""
    for char in text:
        if chunk and len(_encoded_word(chunk + char, encoding, charset)) > 75:
            words.append(_encoded_word(chunk, encoding, charset))
            chunk = ""
        chunk += char
    words.append(_encoded_word(chunk, encoding, charset))
    return fold.join(words)


def _encoded_word(text: str, encoding: str, charset: str) -> str:
    data = text.encode("utf-8")
    if encoding.upper() == "B":
        payload = base64.b64encode(data).decode("ascii")
    else:
        payload = "".join(chr(b) if chr(b).isalnum() and b < 128 else "_" if b == 32 else f"={b:02X}" for b in data)
    return f"=?{charset}?{encoding}?{payload}?="


def rfc2231_filename(name: str, width: int = 50) -> str:
    """``filename*0*=utf-8''...;`` continuations as Outlook 2007 writes them (plain quoted when ASCII)."""
    if name.isascii():
        return f'filename="{name}"'
    pieces, current = [], ""
    for char in name:
        quoted = urllib.parse.quote(char, safe="")
        if current and len(current) + len(quoted) > width:
            pieces.append(current)
            current = ""
        current += quoted
    pieces.append(current)
    if len(pieces) == 1:
        return f"filename*=utf-8''{pieces[0]}"
    charset = "utf-8''"
    return ";\n\t".join(f"filename*{i}*={charset if i == 0 else ''}{piece}" for i, piece in enumerate(pieces))


def quoted_printable(text: str) -> str:
    return quopri.encodestring(text.encode("utf-8")).decode("ascii")


def base64_lines(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")


def _leaf(headers: Sequence[tuple[str, str]], payload: str) -> Message:
    part = Message(policy=compat32)
    for name, value in headers:
        part[name] = value
    part.set_payload(payload)
    return part


def _multipart(subtype: str, boundary: str, parts: Sequence[Message], preamble: str | None = None) -> Message:
    message = Message(policy=compat32)
    message["Content-Type"] = f'multipart/{subtype};\n\tboundary="{boundary}"'
    for part in parts:
        message.attach(part)
    message.preamble = preamble
    return message


def serialize(message: Message) -> bytes:
    """Bytes exactly as built: headers are pre-folded, so the generator must not refold them."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False, maxheaderlen=0, policy=compat32.clone(linesep="\n")).flatten(message)
    return buffer.getvalue()


# ---------------------------------------------------------------- client styles


def _plain_qp(text: str) -> Message:
    headers = [("Content-Type", 'text/plain;\n\tcharset="utf-8"'), ("Content-Transfer-Encoding", "quoted-printable")]
    return _leaf(headers, quoted_printable(text))


def _plain_8bit(text: str) -> Message:
    headers = [("Content-Type", "text/plain; charset=UTF-8; format=flowed"), ("Content-Transfer-Encoding", "8bit")]
    return _leaf(headers, flowed(text).encode("utf-8").decode("ascii", "surrogateescape"))


def flowed(text: str, width: int = 72) -> str:
    """RFC 3676 format=flowed as Thunderbird writes it: long lines broken after a space (a soft break),
    quoted lines keep their '>' prefix, the signature separator stays '-- '."""
    lines = []
    for line in text.split("\n"):
        prefix = "> " if line.startswith("> ") else ""
        if len(line) <= width or line == "-- ":
            lines.append(line)
            continue
        wrapped = textwrap.wrap(
            line[len(prefix) :], width - len(prefix), break_long_words=False, break_on_hyphens=False
        )
        lines += [prefix + piece + " " for piece in wrapped[:-1]] + [prefix + wrapped[-1]]
    return "\n".join(lines)


def _plain_base64(text: str) -> Message:
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "base64")]
    return _leaf(headers, base64_lines(text.encode("utf-8")))


def _html_qp(markup: str) -> Message:
    headers = [("Content-Type", 'text/html;\n\tcharset="utf-8"'), ("Content-Transfer-Encoding", "quoted-printable")]
    return _leaf(headers, quoted_printable(markup))


def outlook_html(text: str) -> str:
    span = '<span style=\'font-size:13.0pt;font-family:"Times New Roman","serif"\'>'
    paragraphs = "\n".join(
        f"<p class=MsoNormal>{span}{html.escape(line) or '&nbsp;'}<o:p></o:p></span></p>" for line in text.splitlines()
    )
    return (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns="http://www.w3.org/TR/REC-html40">\n'
        '<head>\n<meta http-equiv=Content-Type content="text/html; charset=utf-8">\n'
        '<meta name=Generator content="Microsoft Word 12 (filtered medium)">\n</head>\n'
        f"<body lang=EN-US link=blue vlink=purple>\n<div class=Section1>\n{paragraphs}\n</div>\n</body>\n</html>\n"
    )


def webmail_html(text: str) -> str:
    lines = "<br>".join(html.escape(line) for line in text.splitlines())
    return (
        "<html><head><style type='text/css'>p { margin: 0; }</style></head><body>"
        f"<div style='font-family: Times New Roman; font-size: 12pt; color: #000000'>{lines}</div></body></html>\n"
    )


def _attachment_part(style: str, attachment: AttachmentFile) -> Message:
    """Outlook: RFC 2231 filename; Thunderbird: RFC 2047 encoded word (B); webmail: encoded word (Q)."""
    name, kind = attachment.filename, attachment.content_type
    if style == OUTLOOK:
        content_type = f'{kind};\n\tname="{encoded_words(name, "B", "utf-8", " ")}"'
        disposition = f"attachment;\n\t{rfc2231_filename(name)}"
    elif style == THUNDERBIRD:
        content_type = f'{kind};\n name="{encoded_words(name, "B", "UTF-8", " ")}"'
        disposition = f'attachment;\n filename="{encoded_words(name, "B", "UTF-8", " ")}"'
    else:
        content_type = f'{kind}; name="{encoded_words(name, "Q", "utf-8", " ")}"'
        disposition = f'attachment; filename="{encoded_words(name, "Q", "utf-8", " ")}"'
    headers = [("Content-Type", content_type), ("Content-Transfer-Encoding", "base64")]
    return _leaf([*headers, ("Content-Disposition", disposition)], base64_lines(attachment.payload))


PREAMBLE = "This is a multi-part message in MIME format."


def mime_body(plan: MailPlan, text: str, attachment: AttachmentFile | None) -> Message:
    """The MIME tree the sender's client builds, with boundaries derived from the Message-ID."""
    key = _digest(plan.message_id)
    if plan.style == OUTLOOK:
        mark = f"{int(key[:4], 16) % 10000:04d}_01C9{key[4:8].upper()}.{key[8:16].upper()}"
        text_parts = [_plain_qp(text), _html_qp(outlook_html(text))]
        if attachment is None:
            return _multipart("alternative", f"----=_NextPart_000_{mark}", text_parts, PREAMBLE + "\n")
        alternative = _multipart("alternative", f"----=_NextPart_001_{mark}", text_parts)
        parts = [alternative, _attachment_part(plan.style, attachment)]
        return _multipart("mixed", f"----=_NextPart_000_{mark}", parts, PREAMBLE + "\n")
    if plan.style == THUNDERBIRD:
        if attachment is None:
            return _plain_8bit(text)
        boundary = "------------" + str(int(key[:24], 16))[:24].rjust(24, "0")
        return _multipart("mixed", boundary, [_plain_8bit(text), _attachment_part(plan.style, attachment)], PREAMBLE)
    stamp = f"{int(key[:6], 16)}_{int(key[6:12], 16)}.{int(key[12:24], 16) % 10**13:013d}"
    text_parts = [_plain_base64(text), _html_qp(webmail_html(text))]
    alternative = _multipart("alternative", f"----=_Part_{stamp}_alt", text_parts)
    if attachment is None:
        return alternative
    return _multipart("mixed", f"----=_Part_{stamp}", [alternative, _attachment_part(plan.style, attachment)])


def _address(name: str, address: str, encoding: str = "B", charset: str = "utf-8") -> str:
    return f"{encoded_words(name, encoding, charset)} <{address}>" if not name.isascii() else f'"{name}" <{address}>'


Headers = list[tuple[str, str]]


def client_headers(ctx: Context, plan: MailPlan, subject: str) -> tuple[Headers, Headers]:
    """The headers the sender's client writes before and after the MIME headers, in its own order."""
    return {OUTLOOK: _outlook_headers, THUNDERBIRD: _thunderbird_headers, YAHOO: _yahoo_headers}.get(
        plan.style, _webmail_headers
    )(ctx, plan, subject)


def _local_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(VN))


def _outlook_headers(ctx: Context, plan: MailPlan, subject: str) -> tuple[Headers, Headers]:
    thread = base64.b64encode(bytes.fromhex(_digest(plan.message_id)[:30])).decode("ascii")
    head = [
        ("From", _address(plan.profile.reporter, plan.sender)),
        ("To", _address("Cục Ứng dụng CNTT", ctx.ministry_address)),
        ("Subject", encoded_words(subject, "B")),
        ("Date", _local_date(plan.date_header)),
        ("Message-ID", plan.message_id),
        ("MIME-Version", "1.0"),
    ]
    tail = [
        ("X-Mailer", "Microsoft Office Outlook 12.0"),
        ("Thread-Index", "Acn" + thread),
        ("Content-Language", "vi"),
        ("X-MimeOLE", "Produced By Microsoft MimeOLE V6.00.2900.5579"),
    ]
    return head, tail


def _thunderbird_headers(ctx: Context, plan: MailPlan, subject: str) -> tuple[Headers, Headers]:
    head = [
        ("Message-ID", plan.message_id),
        ("Date", _local_date(plan.date_header)),
        ("From", _address(plan.profile.reporter, plan.sender, "B", "UTF-8")),
        ("User-Agent", "Thunderbird 2.0.0.21 (Windows/20090302)"),
        ("MIME-Version", "1.0"),
        ("To", f"<{ctx.ministry_address}>"),
        ("Subject", encoded_words(subject, "B", "UTF-8")),
    ]
    if plan.reply:
        reminder = f"<nhac-bao-cao.{ctx.label}@{_domain(ctx.ministry_address)}>"
        head += [("References", reminder), ("In-Reply-To", reminder)]
    return head, []


def _webmail_headers(ctx: Context, plan: MailPlan, subject: str) -> tuple[Headers, Headers]:
    head = [
        ("Date", _local_date(plan.date_header)),
        ("From", _address(plan.profile.reporter, plan.sender, "Q")),
        ("To", _address("Cục Ứng dụng CNTT", ctx.ministry_address, "Q")),
        ("Message-ID", plan.message_id),
        ("Subject", encoded_words(subject, "Q")),
        ("MIME-Version", "1.0"),
    ]
    tail = [
        ("X-Originating-IP", f"[{plan.profile.lan_ip}]"),
        ("X-Mailer", "Zimbra 5.0.18_GA_3011.RHEL5_64 (ZimbraWebClient - FF3.0 (Win)/5.0.18_GA_3011.RHEL5_64)"),
    ]
    return head, tail


def _yahoo_headers(ctx: Context, plan: MailPlan, subject: str) -> tuple[Headers, Headers]:
    pacific = plan.date_header.astimezone(ZoneInfo("America/Los_Angeles"))
    head = [
        ("X-YMail-OSG", _digest(plan.message_id)[:40]),
        ("X-Mailer", "YahooMailRC/1277.43 YahooMailWebService/0.7.289.15"),
        ("Message-ID", plan.message_id),
        ("Date", f"{format_datetime(pacific)} ({pacific.tzname()})"),
        ("From", _address(plan.profile.reporter, plan.sender, "Q")),
        ("Subject", encoded_words(subject, "Q")),
        ("To", ctx.ministry_address),
        ("MIME-Version", "1.0"),
    ]
    return head, []


# ---------------------------------------------------------------- Received headers


def our_received(ctx: Context, plan: MailPlan) -> str:
    """The header our own server writes on top: the receipt time that counts."""
    host = _sender_host(plan)
    smtp_id = _digest(f"{plan.message_id}:mx")[:10].upper()
    return (
        f"from {host} ({host} [{_public_ip(host)}])\n\tby {ctx.mx_host} with ESMTPS id {smtp_id}\n\t"
        f"for <{ctx.ministry_address}>; {_local_date(plan.received_at)}"
    )


def sender_received(ctx: Context, plan: MailPlan) -> list[str]:
    """One or two hops inside the sender's own network, each a little earlier than the one above it."""
    rng = random.Random(_digest(plan.message_id))
    domain, host, lan = _domain(plan.sender), _sender_host(plan), plan.profile.lan_ip
    last = plan.received_at - timedelta(seconds=rng.randint(1, 25))
    first = _local_date(last - timedelta(seconds=rng.randint(0, 6)))
    hop_id = _digest(f"{plan.message_id}:hop")[:9].upper()
    exchange = "with Microsoft SMTPSVC(6.0.3790.3959)"
    if plan.style == OUTLOOK:
        hops = [
            f"from EXCH01.{domain} ([10.1.1.5]) by {host} {exchange};\n\t {_local_date(last)}",
            f"from PC-{hop_id[:6]} ([{lan}]) by EXCH01.{domain} {exchange};\n\t {first}",
        ]
    elif plan.style == YAHOO:
        hops = [f"from [{_public_ip(hop_id)}] by {host} via HTTP; {_local_date(last)}"]
    else:
        hops = [
            f"from localhost (localhost [127.0.0.1])\n\tby {host} (Postfix) with ESMTP id {hop_id}\n\t"
            f"for <{ctx.ministry_address}>; {_local_date(last)}",
            f"from [{lan}] (unknown [{lan}])\n\tby {host} (Postfix) with ESMTPSA id {hop_id[::-1]};\n\t{first}",
        ]
    return hops[: 1 + (rng.random() < 0.6)]


def _sender_host(plan: MailPlan) -> str:
    if plan.style == YAHOO:
        return f"web{int(_digest(plan.sender)[:4], 16) % 90000 + 10000}.mail.re2.{_domain(plan.sender)}"
    return f"mail.{_domain(plan.sender)}"


def _public_ip(text: str) -> str:
    return f"192.0.2.{int(_digest(text)[:4], 16) % 254 + 1}"


# ---------------------------------------------------------------- rendering and writing


def render(ctx: Context, plan: MailPlan) -> bytes:
    """One message's bytes: our Received header on top, the sender's hops, then what the client wrote."""
    attachment = attachment_for(ctx, plan)
    head, tail = client_headers(ctx, plan, subject_for(ctx, plan))
    message = mime_body(plan, body_for(ctx, plan), attachment)
    mime_headers = message.items()
    for name in dict(mime_headers):
        del message[name]
    received = [("Received", our_received(ctx, plan)), *(("Received", h) for h in sender_received(ctx, plan))]
    for name, value in [*received, *head, *mime_headers, *tail]:
        message[name] = value
    return serialize(message)


def render_all(ctx: Context, plans: Sequence[MailPlan]) -> list[Rendered]:
    """Every message with its Maildir file name ``YYYY-MM.NNNN.<hash of the bytes>`` (some marked read)."""
    convert_docs(ctx, plans)
    rendered = []
    for plan in plans:
        ctx.rng.seed(f"{ctx.seed}:{ctx.label}:{plan.index}:render")
        raw = render(ctx, plan)
        name = f"{ctx.label}.{plan.index:04d}.{hashlib.sha256(raw).hexdigest()[:12]}"
        rendered.append(Rendered(name + READ_FLAG if ctx.rng.random() < READ_SHARE else name, raw, plan))
    return rendered


def write_maildir(maildir: Path, label: str, rendered: Sequence[Rendered]) -> None:
    """Replace this period's files in ``maildir`` (other periods' stay); each file's mtime is its receipt."""
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("new", "cur"):
        for old in (maildir / sub).glob(f"{label}.*"):
            old.unlink()
    for item in rendered:
        target = maildir / ("cur" if item.file.endswith(READ_FLAG) else "new") / item.file
        target.write_bytes(item.raw)
        stamp = item.plan.received_at.timestamp()
        os.utime(target, (stamp, stamp))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower()


def _ascii_slug(name: str) -> str:
    return "".join(c for c in strip_marks(name).lower() if c.isalnum())
