"""The stories a unit's mail tells in one period: on time, late, missing, a "same as" notice, and the special
cases (deadline boundaries, skewed clocks, resends, a corrupt file, a stale form, a slip, a copy)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ingestion.documents.values import parse_number
from ingestion.domain.periods import FIRST_PERIOD, add_months
from ingestion.domain.records import MessageState
from ingestion.domain.registry import ReportingUnit

from .records import CORRUPT, NO_ATTACHMENT, NOTICE, REPORT, THUNDERBIRD, Context, MailPlan, Profile, Story
from .texts import NOTICE_PHRASES
from .values import form_values, slip

ACCEPTED = (MessageState.ACCEPTED, "accepted")
JUMP, SAME_AS_LAST_MONTH, ALL_INDICATORS = "jump", "same_as_last_month", "*"
SLIP_MIN_JUMP = 40.0  # points a slip moves a percentage at least: well past ITREPORT_JUMP_POINTS (30)


def new_plan(
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


def notices_allowed(ctx: Context) -> bool:
    return ctx.period > FIRST_PERIOD


def may_send_notice(ctx: Context, unit: ReportingUnit) -> bool:
    """A "same as" notice needs the previous month accepted: never in 2009-06, never in a unit's first period,
    never after a month the unit missed or sent only late."""
    return notices_allowed(ctx) and unit.valid_from < ctx.period and unit.unit_code in ctx.previous_accepted


# ---------------------------------------------------------------- the regular roles


def on_time_report(ctx: Context, profile: Profile) -> list[MailPlan]:
    return [new_plan(ctx, profile, "on_time_report", REPORT, on_time_moment(ctx))]


def late_report(ctx: Context, profile: Profile) -> list[MailPlan]:
    return [new_plan(ctx, profile, "late_report", REPORT, late_moment(ctx))]


def missing(ctx: Context, profile: Profile) -> list[MailPlan]:
    return []


def on_time_notice(ctx: Context, profile: Profile) -> list[MailPlan]:
    phrase = ctx.rng.randrange(len(NOTICE_PHRASES))
    return [new_plan(ctx, profile, "same_as_notice_on_time", NOTICE, on_time_moment(ctx), notice_phrase=phrase)]


def late_notice(ctx: Context, profile: Profile) -> list[MailPlan]:
    received, phrase = late_moment(ctx, high=timedelta(days=5)), ctx.rng.randrange(len(NOTICE_PHRASES))
    return [new_plan(ctx, profile, "same_as_notice_late", NOTICE, received, notice_phrase=phrase)]


# ---------------------------------------------------------------- the special cases


def notice_reply(ctx: Context, profile: Profile) -> list[MailPlan]:
    """A notice written as a reply to the ministry's reminder, quoting it (lines starting with '>')."""
    received = ctx.due - timedelta(hours=ctx.rng.randint(2, 60), seconds=ctx.rng.randint(0, 3599))
    return [new_plan(ctx, profile, "same_as_notice_reply", NOTICE, received, reply=True, style=THUNDERBIRD)]


def _boundary_before(ctx: Context, profile: Profile) -> list[MailPlan]:
    return [new_plan(ctx, profile, "boundary_before_deadline", REPORT, ctx.due - timedelta(seconds=1))]


def _boundary_at(ctx: Context, profile: Profile) -> list[MailPlan]:
    return [new_plan(ctx, profile, "boundary_at_deadline", REPORT, ctx.due)]


def _late_with_early_date(ctx: Context, profile: Profile) -> list[MailPlan]:
    """Written before the deadline (Date header) but received after it: the receipt counts, so late."""
    received = late_moment(ctx, high=timedelta(hours=20))
    sent = ctx.due - timedelta(seconds=ctx.rng.randint(600, 7200))
    return [new_plan(ctx, profile, "late_report_early_date_header", REPORT, received, sent=sent)]


def _clock_ahead(ctx: Context, profile: Profile) -> list[MailPlan]:
    """Received on time from a PC whose clock runs a day ahead (Date header after the deadline)."""
    received = ctx.due - timedelta(hours=ctx.rng.randint(2, 20), seconds=ctx.rng.randint(0, 3599))
    sent = received + timedelta(days=1, seconds=ctx.rng.randint(0, 7200))
    return [new_plan(ctx, profile, "on_time_report_clock_ahead", REPORT, received, sent=sent)]


def _duplicate(ctx: Context, profile: Profile) -> list[MailPlan]:
    """The same report sent twice; the first one counts."""
    first = on_time_moment(ctx)
    again = first + timedelta(seconds=ctx.rng.randint(2 * 3600, 3 * 86400))
    return [
        new_plan(ctx, profile, "duplicate_first", REPORT, first),
        new_plan(ctx, profile, "duplicate_resend", REPORT, again, resend="duplicate"),
    ]


def _corrupt_then_resend(ctx: Context, profile: Profile) -> list[MailPlan]:
    first = on_time_moment(ctx)
    again = first + timedelta(seconds=ctx.rng.randint(1800, 6 * 3600))
    bad = (MessageState.QUARANTINED, "unreadable_attachment")
    return [
        new_plan(ctx, profile, "corrupt_attachment", CORRUPT, first, expect=bad),
        new_plan(ctx, profile, "resend_after_corrupt", REPORT, again, resend="corrupt"),
    ]


def _wrong_period(ctx: Context, profile: Profile) -> list[MailPlan]:
    """A stale form, the unit's only message: the month before 2009-06 (no such period) or two months back
    (the month before is still accepted as a late report for that month)."""
    stale = add_months(ctx.period, -1 if ctx.period <= FIRST_PERIOD else -2)
    bad = (MessageState.QUARANTINED, "wrong_period")
    return [new_plan(ctx, profile, "wrong_period", REPORT, on_time_moment(ctx), form_period=stale, expect=bad)]


def _forgotten_attachment(ctx: Context, profile: Profile) -> list[MailPlan]:
    first = on_time_moment(ctx)
    again = first + timedelta(seconds=ctx.rng.randint(180, 2400))
    ignored = (MessageState.IGNORED, "not_a_submission")
    return [
        new_plan(ctx, profile, "forgotten_attachment", NO_ATTACHMENT, first, expect=ignored),
        new_plan(ctx, profile, "resend_after_forgotten", REPORT, again, resend="forgotten"),
    ]


def _typo_report(ctx: Context, profile: Profile) -> list[MailPlan]:
    """On time, but one percentage typed with a slip (85 → "8,5" or "8"): still between 0 and 100, so accepted;
    only its jump from last month's figure gives it away."""
    code = ctx.rng.choice(_slippable(ctx, profile.unit))
    text = slip(form_values(ctx, profile.unit, ctx.period)[code], dropped_digit=ctx.rng.random() < 0.5)
    plan = new_plan(ctx, profile, "on_time_report_typo", REPORT, on_time_moment(ctx))
    plan.typed, plan.warnings = ((code, text),), (f"{JUMP}:{code}",)
    return [plan]


def _unchanged_report(ctx: Context, profile: Profile) -> list[MailPlan]:
    """On time, but last month's form re-sent with only the month changed: every figure as last month."""
    plan = new_plan(ctx, profile, "on_time_report_unchanged", REPORT, on_time_moment(ctx))
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


def expect_corrections(ctx: Context, plans: Sequence[MailPlan]) -> None:
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
    notice_reply,
    _clock_ahead,
    _typo_report,
    _unchanged_report,
)
LATE_SPECIALS: frozenset[Story] = frozenset({_boundary_at, _late_with_early_date})
MISSING_SPECIALS: frozenset[Story] = frozenset({_wrong_period})
AFTER_FIRST_PERIOD: frozenset[Story] = frozenset({notice_reply, _typo_report, _unchanged_report})
SPECIAL_UNITS: dict[Story, Callable[[Context, ReportingUnit], bool]] = {
    notice_reply: may_send_notice,
    _typo_report: _may_slip,
    _unchanged_report: _sent_plain_report,
}
