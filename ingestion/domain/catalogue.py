"""The indicator catalogue: the product's reconstruction of the lost 2009 report form.

The data lives in the dbt seeds (``dbt_project/seeds/indicator_*.csv``); this module only reads it,
so the form, the parser, the data-quality suites and the marts all follow the same rows.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ingestion.domain.resources import SEEDS_DIR
from ingestion.domain.seed_rows import read_seed

VALUE_TYPES = ("count", "percent", "yes_no", "money", "text")
NUMERIC_TYPES = ("count", "percent", "money")

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "=": operator.eq,
}


@dataclass(frozen=True)
class IndicatorGroup:
    group_code: str
    sort_order: int
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class Indicator:
    indicator_code: str
    group_code: str
    sort_order: int
    name_vi: str
    name_en: str
    measure_unit_vi: str
    measure_unit_en: str
    value_type: str
    is_required: bool
    min_value: float | None
    max_value: float | None


@dataclass(frozen=True)
class ConsistencyRule:
    rule_code: str
    left_indicator: str
    operator: str
    right_indicator: str
    description_vi: str
    description_en: str

    def holds(self, left: float, right: float) -> bool:
        return OPERATORS[self.operator](left, right)


@dataclass(frozen=True)
class Target:
    indicator_code: str
    unit_type: str
    target_year: int
    target_value: float
    source: str


@dataclass(frozen=True)
class Catalogue:
    groups: tuple[IndicatorGroup, ...]
    indicators: tuple[Indicator, ...]
    rules: tuple[ConsistencyRule, ...]
    targets: tuple[Target, ...]

    def get(self, code: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.indicator_code == code:
                return indicator
        raise KeyError(code)

    @property
    def codes(self) -> list[str]:
        return [i.indicator_code for i in self.indicators]

    def in_form_order(self) -> list[Indicator]:
        group_order = {g.group_code: g.sort_order for g in self.groups}
        return sorted(self.indicators, key=lambda i: (group_order[i.group_code], i.sort_order))


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def load_catalogue(seeds_dir: Path = SEEDS_DIR) -> Catalogue:
    groups = tuple(
        read_seed(
            seeds_dir / "indicator_groups.csv",
            lambda r: IndicatorGroup(r["group_code"], int(r["sort_order"]), r["name_vi"], r["name_en"]),
        )
    )
    indicators = tuple(read_seed(seeds_dir / "indicator_catalogue.csv", _indicator))
    rules = tuple(read_seed(seeds_dir / "indicator_rules.csv", lambda r: ConsistencyRule(**r)))
    targets = tuple(
        read_seed(
            seeds_dir / "indicator_targets.csv",
            lambda r: Target(
                r["indicator_code"], r["unit_type"], int(r["target_year"]), float(r["target_value"]), r["source"]
            ),
        )
    )
    return Catalogue(groups, indicators, rules, targets)


def _indicator(r: dict[str, str]) -> Indicator:
    return Indicator(
        indicator_code=r["indicator_code"],
        group_code=r["group_code"],
        sort_order=int(r["sort_order"]),
        name_vi=r["name_vi"],
        name_en=r["name_en"],
        measure_unit_vi=r["measure_unit_vi"],
        measure_unit_en=r["measure_unit_en"],
        value_type=r["value_type"],
        is_required=r["is_required"].strip().lower() == "true",
        min_value=_number(r["min_value"]),
        max_value=_number(r["max_value"]),
    )


@cache
def default_catalogue() -> Catalogue:
    return load_catalogue()
