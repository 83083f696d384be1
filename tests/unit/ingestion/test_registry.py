"""The reporting-unit registry (seed ``reporting_units.csv``) against the facts in ``domain.md``."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from ingestion.domain.registry import UNIT_TYPES, Registry, load_registry

DOMAIN_MD = Path(__file__).with_name("provinces_2025.md")  # the domain reference's list, kept beside the test
FIRST_PERIOD = date(2009, 6, 1)
MINISTRIES_MERGED = date(2025, 3, 1)
PROVINCES_MERGED = date(2025, 7, 1)
PROVINCIAL = ("province", "central_city")


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


def _types(registry: Registry, period: date) -> Counter[str]:
    return Counter(u.unit_type for u in registry.expected(period))


def test_2009_has_93_units_per_type(registry):
    assert _types(registry, FIRST_PERIOD) == {
        "ministry": 18,
        "ministerial_agency": 4,
        "government_agency": 8,
        "province": 58,
        "central_city": 5,
    }
    assert all(u.valid_from == FIRST_PERIOD for u in registry.expected(FIRST_PERIOD))


def test_codes_addresses_and_domains_are_unique(registry):
    for values in (
        [u.unit_code for u in registry.units],
        [u.contact_email.lower() for u in registry.units],
        [u.email_domain for u in registry.units],
    ):
        assert len(values) == len(set(values))


def test_columns_are_well_formed(registry):
    for unit in registry.units:
        assert unit.unit_type in UNIT_TYPES
        assert unit.contact_email.endswith(".gov.example")
        assert unit.valid_to is None or unit.valid_from < unit.valid_to
        if unit.unit_type in PROVINCIAL:
            assert re.fullmatch(r"\d\d", unit.official_code or "")
            assert unit.unit_code.startswith(f"P{unit.official_code}")
        else:
            assert unit.official_code is None


def test_names_are_nfc_vietnamese(registry):
    for unit in registry.units:
        assert unicodedata.is_normalized("NFC", unit.name_vi), unit.unit_code
        assert not unit.name_vi.isascii(), unit.unit_code  # every official name carries diacritics
        assert unit.name_en.isascii(), unit.unit_code
    assert registry.get("P02").name_vi == "Tỉnh Hà Giang"
    assert registry.get("P79").name_vi == "Thành phố Hồ Chí Minh"
    assert registry.get("P77").name_vi == "Tỉnh Bà Rịa - Vũng Tàu"
    assert registry.get("UBDT").name_vi == "Ủy ban Dân tộc"
    assert registry.get("NHNN").name_en == "State Bank of Vietnam"


def test_successors_start_when_predecessors_end(registry):
    for unit in registry.units:
        assert (unit.valid_to is None) == (unit.successor_code is None), unit.unit_code
        if unit.successor_code:
            assert registry.get(unit.successor_code).valid_from == unit.valid_to, unit.unit_code


def test_2025_03_has_14_ministries_and_3_ministerial_agencies(registry):
    types = _types(registry, MINISTRIES_MERGED)
    assert (types["ministry"], types["ministerial_agency"], types["government_agency"]) == (14, 3, 8)
    assert registry.get("UBDT").successor_code == "BDTTG"
    assert registry.get("BDTTG").unit_type == "ministry"


def test_2025_07_has_34_provinces(registry):
    types = _types(registry, PROVINCES_MERGED)
    assert types["province"] + types["central_city"] == 34
    assert types["central_city"] == 6  # the five cities plus Huế


def _successor_chain(registry: Registry, unit_code: str) -> list[str]:
    chain = [unit_code]
    while successor := registry.get(chain[-1]).successor_code:
        chain.append(successor)
    return chain


def test_successor_chains(registry):
    assert _successor_chain(registry, "P02") == ["P02", "P08-2025"]
    assert registry.get("P08-2025").name_vi == "Tỉnh Tuyên Quang"
    assert _successor_chain(registry, "P27") == ["P27", "P24-2025"]
    assert registry.get("P24-2025").name_vi == "Tỉnh Bắc Ninh"
    assert _successor_chain(registry, "P46") == ["P46", "P46-2025"]
    assert _successor_chain(registry, "P01") == ["P01"]


def _merger_table() -> dict[str, tuple[str, list[str]]]:
    """domain.md's "New code ← old codes" list as {new code: (name, [old codes])}."""
    text = unicodedata.normalize("NFC", DOMAIN_MD.read_text(encoding="utf-8"))
    section = text.split("New code ← old codes", 1)[1].split("\n\n", 1)[0]
    return {
        new: (name.removeprefix("TP "), re.findall(r"\d\d", olds))
        for new, name, olds in re.findall(r"(\d\d) ([^←·\d]+?) ← ([\d, ]+)", section)
    }


def test_2025_07_matches_domain_md(registry):
    table = _merger_table()
    assert len(table) == 34
    provinces = {u.official_code: u for u in registry.expected(PROVINCES_MERGED) if u.unit_type in PROVINCIAL}
    assert provinces.keys() == table.keys()
    for new, (name, olds) in table.items():
        unit = provinces[new]
        assert unit.name_vi.endswith(name), new
        if len(olds) == 1:  # unchanged on 2025-07-01
            assert olds == [new] and unit.valid_from < PROVINCES_MERGED
        else:
            assert unit.unit_code == f"P{new}-2025" and unit.valid_from == PROVINCES_MERGED
            for old in olds:
                assert registry.get(f"P{old}").successor_code == unit.unit_code, old


def test_for_sender(registry):
    day = date(2020, 1, 15)
    assert registry.for_sender(" BaoCao.CNTT@HaGiang.gov.example ", day).unit_code == "P02"
    assert registry.for_sender("vanthu@HAGIANG.GOV.EXAMPLE", day).unit_code == "P02"
    assert registry.for_sender("baocao.cntt@btc2025.gov.example", date(2025, 3, 1)).unit_code == "BTC-2025"
    assert registry.for_sender("baocao.cntt@hagiang.gov.example", date(2025, 7, 1)) is None  # merged away
    assert registry.for_sender("someone@unknown.example", day) is None


def test_lookups_agree_with_a_scan_of_every_unit_on_every_day(registry):
    """The indexed lookups answer what reading the registry top to bottom answers, across the reorganisations."""
    days = [FIRST_PERIOD, date(2020, 1, 15), date(2025, 2, 28), MINISTRIES_MERGED, PROVINCES_MERGED, date(2026, 1, 1)]
    for unit in registry.units:
        assert registry.get(unit.unit_code) == next(u for u in registry.units if u.unit_code == unit.unit_code)
        for day in days:
            valid = [u for u in registry.units if u.is_valid_on(day)]
            by_address = [u for u in valid if u.contact_email.lower() == unit.contact_email.lower()]
            by_domain = [u for u in valid if u.email_domain == unit.email_domain]
            expected = (by_address or by_domain or [None])[0]
            assert registry.for_sender(unit.contact_email.upper(), day) == expected
    with pytest.raises(KeyError):
        registry.get("NO-SUCH-UNIT")
