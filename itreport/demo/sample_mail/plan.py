"""Who sends what in one period: the units, their mail habits, a story for each, in receipt order."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ingestion.domain.periods import FIRST_PERIOD, add_months, format_period
from ingestion.domain.records import MessageState
from ingestion.domain.registry import Registry, ReportingUnit
from ingestion.domain.text import fold

from .records import OUTLOOK, REPORT, THUNDERBIRD, WEBMAIL, YAHOO, Context, MailPlan, Profile, Story, digest, domain
from .stories import (
    AFTER_FIRST_PERIOD,
    LATE_SPECIALS,
    MISSING_SPECIALS,
    SPECIAL_UNITS,
    SPECIALS,
    expect_corrections,
    late_notice,
    late_report,
    may_send_notice,
    missing,
    new_plan,
    notice_reply,
    notices_allowed,
    on_time_moment,
    on_time_notice,
    on_time_report,
)
from .texts import ATTACHMENT_NAMES, REPORTERS

UNKNOWN_SENDER_DOMAIN = "yahoo.example"
STYLE_WEIGHTS = {OUTLOOK: 45, THUNDERBIRD: 25, WEBMAIL: 30}
DOC_SHARE = 0.2
OCTET_STREAM_SHARE = 0.3
SHARE_LATE, SHARE_MISSING, SHARE_NOTICE, SHARE_LATE_NOTICE = 0.12, 0.10, 0.08, 0.25


def select_units(registry: Registry, period: date, units: int | None, seed: int) -> list[ReportingUnit]:
    """The expected units, or the first ``units`` of them in a seeded shuffle (registry order kept)."""
    expected = registry.expected(period)
    if units is None or units >= len(expected):
        return expected
    shuffled = list(expected)
    random.Random(f"{seed}:units").shuffle(shuffled)
    chosen = {u.unit_code for u in shuffled[: max(0, units)]}
    return [u for u in expected if u.unit_code in chosen]


def planning_rng(seed: int, period: date) -> random.Random:
    return random.Random(f"{seed}:{format_period(period)}:plan")


def last_month(ctx: Context, previous: date, units: int | None, registry: Registry) -> dict[str, MailPlan]:
    """Each unit's first submission the same generator (same seed and sample size) had accepted for ``previous``
    before the month after it began: only those units may send a "same as" notice (the intake needs that month
    in its ledger), and what they sent decides this month's value warnings."""
    if previous < FIRST_PERIOD:
        return {}
    earlier = replace(ctx, period=previous, rng=planning_rng(ctx.seed, previous), forms={}, docs={}, last_month={})
    earlier.last_month = last_month(earlier, add_months(previous, -1), units, registry)
    plans = plan_period(earlier, select_units(registry, previous, units, ctx.seed), registry)
    month_start = datetime.combine(add_months(previous, 1), datetime.min.time(), ZoneInfo(ctx.deadline.timezone))
    first: dict[str, MailPlan] = {}
    for plan in plans:  # in receipt order
        if plan.counts_for_unit and plan.received_at < month_start:
            first.setdefault(plan.profile.unit.unit_code, plan)
    return first


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
    expect_corrections(ctx, plans)
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


def _regular_roles(ctx: Context, units: Sequence[ReportingUnit], size: int, specials: Sequence[Story]) -> list[Story]:
    """Roles for the units left after the special cases, by quota (so the mix holds for small samples)."""
    notices = round(SHARE_NOTICE * size) - (notice_reply in specials) if notices_allowed(ctx) else 0
    notices = max(0, min(notices, sum(may_send_notice(ctx, u) for u in units)))
    late_notices = max(1 if notices >= 2 else 0, round(notices * SHARE_LATE_NOTICE))
    late = round(SHARE_LATE * size) + _jitter(ctx, size) - sum(s in LATE_SPECIALS for s in specials) - late_notices
    absent = round(SHARE_MISSING * size) + _jitter(ctx, size) - sum(s in MISSING_SPECIALS for s in specials)
    late = max(0, min(late, len(units) - notices))
    absent = max(0, min(absent, len(units) - notices - late))
    pool: list[Story] = [late_report] * late + [missing] * absent
    pool += [on_time_report] * (len(units) - notices - len(pool))
    ctx.rng.shuffle(pool)
    notice_roles: list[Story] = [late_notice] * late_notices + [on_time_notice] * (notices - late_notices)
    roles: list[Story] = []
    for unit in units:
        take_notice = notice_roles and may_send_notice(ctx, unit)
        roles.append(notice_roles.pop() if take_notice else pool.pop() if pool else on_time_report)
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
    plan = new_plan(ctx, profile, "unknown_sender", REPORT, received, sent=sent, expect=bad, style=YAHOO)
    plan.sender = address
    return [plan]


def _ascii_slug(name: str) -> str:
    return "".join(c for c in fold(name) if c.isalnum())


def _message_id(ctx: Context, plan: MailPlan) -> str:
    key = f"{ctx.seed}|{ctx.label}|{plan.index}|{plan.sender}|{plan.scenario}"
    return f"<{ctx.label}.{plan.index:04d}.{digest(key)[:10]}@{domain(plan.sender)}>"
