"""What the annual evaluation says, read from the warehouse: the ranking mart for the year and the method
(the five groups, their weights and scored indicators) from the seeds the mart was built with.

Nothing here computes a score or a rank: ``marts.rpt_annual_ranking`` does. The document and the results page
render an :class:`AnnualEvaluation`, so both say the same, and a change in the seeds changes both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg

RANKING_GROUPS = ("ministries_agencies", "provinces")
RANKING_GROUP_TITLES = {
    "ministries_agencies": "Bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ",
    "provinces": "Tỉnh, thành phố trực thuộc Trung ương",
}
SCORING_METHODS_VI = {
    "percent": "tỷ lệ phần trăm chia cho 100",
    "yes_no": "có = 1, không = 0",
    "ratio": "tỷ số",
}
UNRANKED_REASONS_VI = {
    "no_reports": "Không gửi báo cáo tháng nào trong năm",
    "too_few_reports": "Gửi {reported}/{expected} báo cáo tháng, chưa đủ {needed} tháng để xếp hạng",
}


class NoRankingForYear(LookupError):
    """The ranking mart has no row for the year (no closed month of it, or dbt has not built it)."""


@dataclass(frozen=True)
class ScoredIndicator:
    indicator_code: str
    name_vi: str
    scoring_method: str
    numerator_codes: tuple[str, ...]
    denominator_code: str | None
    denominator_name_vi: str | None
    cap: Decimal

    @property
    def rule_vi(self) -> str:
        """How the indicator becomes a 0-1 score, in Vietnamese."""
        if self.scoring_method == "ratio":
            numerator = " + ".join(self.numerator_codes)
            return f"chỉ tiêu {numerator} chia cho chỉ tiêu {self.denominator_code} ({self.denominator_name_vi})"
        return SCORING_METHODS_VI.get(self.scoring_method, self.scoring_method)


@dataclass(frozen=True)
class EvaluationGroup:
    group_code: str
    name_vi: str
    weight: Decimal
    rationale: str
    indicators: tuple[ScoredIndicator, ...]


@dataclass(frozen=True)
class UnitResult:
    unit_code: str
    unit_name: str
    unit_type: str
    ranking_group: str
    periods_expected: int
    periods_reported: int
    rolled_up_unit_codes: tuple[str, ...]
    group_indices: dict[str, Decimal]  # group_code → sub-index (0-1)
    overall_index: Decimal
    is_ranked: bool
    unranked_reason: str | None
    group_rank: int | None
    units_ranked: int
    previous_group_rank: int | None

    @property
    def rank_change(self) -> int | None:
        """Places gained since last year (positive: moved up); None when not ranked then or now."""
        if self.group_rank is None or self.previous_group_rank is None:
            return None
        return self.previous_group_rank - self.group_rank


@dataclass(frozen=True)
class Reorganisation:
    unit_code: str
    unit_name: str
    predecessors: tuple[tuple[str, str], ...]  # (code, name) of the units rolled up into it


@dataclass(frozen=True)
class AnnualEvaluation:
    year: int
    groups: tuple[EvaluationGroup, ...]
    units: tuple[UnitResult, ...]
    closed_months: tuple[date, ...]
    min_reported_share: Decimal
    reorganisations: tuple[Reorganisation, ...]

    def ranking(self, ranking_group: str) -> list[UnitResult]:
        """The ranked units of one ranking group, by rank (ties by name)."""
        return sorted(
            (u for u in self.units if u.is_ranked and u.ranking_group == ranking_group),
            key=lambda u: (u.group_rank or 0, u.unit_name),
        )

    @property
    def unranked(self) -> list[UnitResult]:
        return sorted((u for u in self.units if not u.is_ranked), key=lambda u: (u.ranking_group, u.unit_name))

    def months_needed(self, periods_expected: int) -> int:
        """Months a unit that owed ``periods_expected`` must have reported to be ranked (the mart's rule)."""
        needed = periods_expected * self.min_reported_share
        whole = int(needed)
        return whole if needed == whole else whole + 1

    def unranked_reason_vi(self, unit: UnitResult) -> str:
        template = UNRANKED_REASONS_VI.get(unit.unranked_reason or "", unit.unranked_reason or "")
        return template.format(
            reported=unit.periods_reported,
            expected=unit.periods_expected,
            needed=self.months_needed(unit.periods_expected),
        )

    def group_mean(self, ranking_group: str, group_code: str) -> Decimal:
        """The mean sub-index of the ranked units of a ranking group (0 when none is ranked)."""
        values = [u.group_indices[group_code] for u in self.ranking(ranking_group)]
        return sum(values, Decimal(0)) / len(values) if values else Decimal(0)


_RANKING_SQL = """
select unit_code, unit_name, unit_type, ranking_group, periods_expected, periods_reported, rolled_up_unit_codes,
       information_index, online_services_index, internal_use_index, policy_hr_index, infrastructure_index,
       overall_index, is_ranked, unranked_reason, group_rank, units_ranked, previous_group_rank
from marts.rpt_annual_ranking
where ranking_year = %s
order by ranking_group, group_rank nulls last, unit_name
"""

_GROUPS_SQL = """
select g.group_code, g.name_vi, w.weight, w.rationale
from reference.indicator_groups g
join reference.scoring_weights w using (group_code)
order by g.sort_order
"""

_INDICATORS_SQL = """
select c.group_code, s.indicator_code, c.name_vi, s.scoring_method, s.numerator_codes, s.denominator_code,
       d.name_vi, s.cap
from reference.indicator_scoring s
join reference.indicator_catalogue c using (indicator_code)
left join reference.indicator_catalogue d on d.indicator_code = s.denominator_code
order by c.sort_order, s.indicator_code
"""


def read_method(conn: psycopg.Connection) -> tuple[EvaluationGroup, ...]:
    """The five groups with their weights and scored indicators, from the seeds loaded in the warehouse."""
    indicators: dict[str, list[ScoredIndicator]] = {}
    for group_code, code, name, method, numerators, denominator, denominator_name, cap in conn.execute(_INDICATORS_SQL):
        indicators.setdefault(group_code, []).append(
            ScoredIndicator(code, name, method, tuple(numerators.split("+")), denominator, denominator_name, cap)
        )
    return tuple(
        EvaluationGroup(code, name, weight, rationale, tuple(indicators.get(code, ())))
        for code, name, weight, rationale in conn.execute(_GROUPS_SQL)
    )


def read_evaluation(conn: psycopg.Connection, year: int, *, dbt_project_dir: Path) -> AnnualEvaluation:
    """The year's evaluation as the marts hold it. Raises :class:`NoRankingForYear` when there is none."""
    groups = read_method(conn)
    group_codes = [g.group_code for g in groups]
    units = []
    for row in conn.execute(_RANKING_SQL, (year,)):
        (code, name, unit_type, ranking_group, expected, reported, rolled_up, *indices) = row
        sub_indices, (overall, is_ranked, reason, rank, ranked, previous) = indices[:5], indices[5:]
        by_group = dict(
            zip(
                ("information", "online_services", "internal_use", "policy_hr", "infrastructure"),
                sub_indices,
                strict=True,
            )
        )
        units.append(
            UnitResult(
                unit_code=code,
                unit_name=name,
                unit_type=unit_type,
                ranking_group=ranking_group,
                periods_expected=expected,
                periods_reported=reported,
                rolled_up_unit_codes=tuple(sorted(rolled_up.split(","))) if rolled_up else (),
                group_indices={g: by_group[g] for g in group_codes if g in by_group},
                overall_index=overall,
                is_ranked=is_ranked,
                unranked_reason=reason,
                group_rank=rank,
                units_ranked=ranked,
                previous_group_rank=previous,
            )
        )
    if not units:
        raise NoRankingForYear(f"marts.rpt_annual_ranking has no row for {year}")
    months = tuple(
        m
        for (m,) in conn.execute(
            "select period_month from marts.dim_period where is_closed and extract(year from period_month) = %s"
            " order by period_month",
            (year,),
        )
    )
    return AnnualEvaluation(
        year=year,
        groups=groups,
        units=tuple(units),
        closed_months=months,
        min_reported_share=min_reported_share(dbt_project_dir),
        reorganisations=_reorganisations(conn, units),
    )


def _reorganisations(conn: psycopg.Connection, units: list[UnitResult]) -> tuple[Reorganisation, ...]:
    rolled = [u for u in units if u.rolled_up_unit_codes]
    if not rolled:
        return ()
    names = dict(conn.execute("select unit_code, unit_name from marts.dim_reporting_unit"))
    return tuple(
        Reorganisation(u.unit_code, u.unit_name, tuple((c, names.get(c, c)) for c in u.rolled_up_unit_codes))
        for u in sorted(rolled, key=lambda u: (u.ranking_group, u.unit_name))
    )


def min_reported_share(dbt_project_dir: Path) -> Decimal:
    """dbt var ``annual_min_reported_share``: the share of owed months a unit must report to be ranked."""
    import yaml

    project = yaml.safe_load((dbt_project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    return Decimal(str(project["vars"]["annual_min_reported_share"]))


def ranked_years(conn: psycopg.Connection) -> list[int]:
    """Years the ranking mart has rows for."""
    return [y for (y,) in conn.execute("select distinct ranking_year from marts.rpt_annual_ranking order by 1")]


def december_closed(conn: psycopg.Connection, year: int) -> bool:
    """Whether December of ``year`` is closed and the ranking mart has the year (the evaluation can be built)."""
    row = conn.execute(
        "select exists (select 1 from marts.dim_period where is_closed and period_month = make_date(%s, 12, 1))"
        " and exists (select 1 from marts.rpt_annual_ranking where ranking_year = %s)",
        (year, year),
    ).fetchone()
    return bool(row and row[0])
