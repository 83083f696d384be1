"""The filled form: plausible, internally consistent figures for every indicator of the catalogue.

Every indicator gets a value by its value type; ``value_profiles.csv`` beside this module only makes known
indicators realistic: a range (``low``..``high``, scaled down for smaller units except percentages), a share
of an earlier indicator (``share_of`` × ``share_low``..``share_high``, which wins once that one has a figure)
or a yes/no answer that is always "Có" (``always_yes``)."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

from ingestion.domain.catalogue import Catalogue, Indicator
from ingestion.domain.periods import format_period
from ingestion.domain.registry import ReportingUnit

from .records import Context, MailPlan, Profile
from .texts import DIFFICULTIES, PROPOSALS

PROFILES_FILE = "value_profiles.csv"
SCALES = {"central_city": 1.0, "ministry": 0.8, "province": 0.5}


@dataclass(frozen=True)
class ValueProfile:
    """How one indicator's figure looks in a real report (a row of ``value_profiles.csv``)."""

    indicator_code: str
    low: float | None = None
    high: float | None = None
    share_of: str = ""
    share_low: float = 0.0
    share_high: float = 0.0
    always_yes: bool = False


NO_PROFILE = ValueProfile("")


@cache
def value_profiles() -> dict[str, ValueProfile]:
    """The rows of ``value_profiles.csv``, by indicator code."""
    text = resources.files(__package__ or __name__).joinpath(PROFILES_FILE).read_text(encoding="utf-8")
    return {row["indicator_code"]: _profile(row) for row in csv.DictReader(io.StringIO(text))}


def _profile(row: dict[str, str]) -> ValueProfile:
    def number(name: str) -> float | None:
        return float(row[name]) if row[name].strip() else None

    return ValueProfile(
        indicator_code=row["indicator_code"],
        low=number("low"),
        high=number("high"),
        share_of=row["share_of"].strip(),
        share_low=number("share_low") or 0.0,
        share_high=number("share_high") or 0.0,
        always_yes=row["always_yes"].strip().lower() == "yes",
    )


def form_values(ctx: Context, unit: ReportingUnit, period: date) -> dict[str, str]:
    """Plausible, internally consistent text for every indicator of the catalogue (catalogue rules hold).

    Standing figures (officials, procedures, computers...) depend on the unit only; figures "in the month"
    change with the period. Indicators in ``value_profiles.csv`` get realistic ranges; others a range by value
    type."""
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
        return "Có" if value_profiles().get(code, NO_PROFILE).always_yes or rng.random() < 0.8 else "Không"
    return f"http://www.{unit.email_domain}"


def _number_for(indicator: Indicator, rng: random.Random, known: dict[str, float], scale: float) -> float:
    profile = value_profiles().get(indicator.indicator_code, NO_PROFILE)
    if profile.share_of and profile.share_of in known:
        number = known[profile.share_of] * rng.uniform(profile.share_low, profile.share_high)
    elif profile.low is not None and profile.high is not None:
        factor = 1 if indicator.value_type == "percent" else scale
        number = profile.low + rng.random() * (profile.high - profile.low) * factor
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


def slip(text: str, *, dropped_digit: bool) -> str:
    """A percentage as mistyped: the comma one place left ("85" → "8,5", "62,5%" → "6,25%") or the last whole
    digit dropped ("85" → "8", "62,5" → "6,5")."""
    number, percent = (text[:-1], "%") if text.endswith("%") else (text, "")
    whole, comma, fraction = number.partition(",")
    if dropped_digit:
        return whole[:-1] + comma + fraction + percent
    return f"{whole[:-1]},{whole[-1:]}{fraction}{percent}"


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
