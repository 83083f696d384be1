"""The registry of reporting units (ministries, agencies, provinces) with their history.

Data: the dbt seed ``dbt_project/seeds/reporting_units.csv``. ``valid_from`` is inclusive and
``valid_to`` exclusive (the day the successor starts). A unit is *expected* to report for a period when
it is valid on the period's first day; the dbt model ``int_expected_reports`` applies the same rule.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from pathlib import Path

from ingestion.domain.resources import SEEDS_DIR
from ingestion.domain.seed_rows import read_seed

UNIT_TYPES = ("ministry", "ministerial_agency", "government_agency", "province", "central_city")


@dataclass(frozen=True)
class ReportingUnit:
    unit_code: str
    official_code: str | None
    name_vi: str
    name_en: str
    unit_type: str
    valid_from: date
    valid_to: date | None
    successor_code: str | None
    contact_email: str

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    @property
    def email_domain(self) -> str:
        return self.contact_email.rsplit("@", 1)[-1].lower()


@dataclass(frozen=True)
class Registry:
    units: tuple[ReportingUnit, ...]

    @cached_property
    def _by_code(self) -> dict[str, ReportingUnit]:
        by_code: dict[str, ReportingUnit] = {}
        for unit in self.units:
            by_code.setdefault(unit.unit_code, unit)
        return by_code

    @cached_property
    def _by_address(self) -> tuple[dict[str, list[ReportingUnit]], dict[str, list[ReportingUnit]]]:
        """Units by contact address and by mail domain, in registry order (a national registry has thousands)."""
        addresses: dict[str, list[ReportingUnit]] = defaultdict(list)
        domains: dict[str, list[ReportingUnit]] = defaultdict(list)
        for unit in self.units:
            addresses[unit.contact_email.lower()].append(unit)
            domains[unit.email_domain].append(unit)
        return dict(addresses), dict(domains)

    def get(self, unit_code: str) -> ReportingUnit:
        try:
            return self._by_code[unit_code]
        except KeyError:
            raise KeyError(unit_code) from None

    def expected(self, period: date) -> list[ReportingUnit]:
        """Units that owe a report for ``period`` (valid on its first day)."""
        return [u for u in self.units if u.is_valid_on(period.replace(day=1))]

    def for_sender(self, address: str, on: date) -> ReportingUnit | None:
        """The unit valid on ``on`` whose contact address, or failing that whose mail domain, is ``address``'s."""
        address = address.strip().lower()
        domain = address.rsplit("@", 1)[-1]
        addresses, domains = self._by_address
        for candidates in (addresses.get(address, ()), domains.get(domain, ())):
            for unit in candidates:
                if unit.is_valid_on(on):
                    return unit
        return None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text.strip() else None
    except ValueError as error:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD): {error}") from error


def load_registry(seeds_dir: Path = SEEDS_DIR) -> Registry:
    """The registry from its seed; a row that does not parse fails naming the file and line."""
    return Registry(tuple(read_seed(seeds_dir / "reporting_units.csv", _unit)))


def _unit(r: dict[str, str]) -> ReportingUnit:
    return ReportingUnit(
        unit_code=r["unit_code"],
        official_code=r["official_code"] or None,
        name_vi=r["name_vi"],
        name_en=r["name_en"],
        unit_type=r["unit_type"],
        valid_from=_date(r["valid_from"]),  # type: ignore[arg-type]
        valid_to=_date(r["valid_to"]),
        successor_code=r["successor_code"] or None,
        contact_email=r["contact_email"],
    )


@cache
def default_registry() -> Registry:
    return load_registry()
