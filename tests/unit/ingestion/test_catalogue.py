"""The indicator catalogue is internally consistent: codes, groups, types, ranges, targets and rules agree."""

from __future__ import annotations

import re
import unicodedata

from ingestion.domain.catalogue import VALUE_TYPES, default_catalogue
from ingestion.domain.registry import UNIT_TYPES

CATALOGUE = default_catalogue()


def test_codes_are_unique_and_numbered_within_their_group():
    codes = CATALOGUE.codes
    assert len(codes) == len(set(codes))
    group_order = {g.group_code: g.sort_order for g in CATALOGUE.groups}
    for indicator in CATALOGUE.indicators:
        assert re.fullmatch(r"\d+\.\d+", indicator.indicator_code)
        assert int(indicator.indicator_code.split(".")[0]) == group_order[indicator.group_code]


def test_the_five_evaluation_groups_each_have_indicators():
    assert len(CATALOGUE.groups) == 5
    assert {i.group_code for i in CATALOGUE.indicators} == {g.group_code for g in CATALOGUE.groups}


def test_types_and_ranges():
    for indicator in CATALOGUE.indicators:
        assert indicator.value_type in VALUE_TYPES
        if indicator.value_type in ("count", "percent", "money"):
            assert indicator.min_value is not None and indicator.max_value is not None
            assert indicator.min_value < indicator.max_value
        if indicator.value_type == "percent":
            assert (indicator.min_value, indicator.max_value) == (0, 100)
        if indicator.value_type in ("yes_no", "text"):
            assert indicator.min_value is None and indicator.max_value is None


def test_names_are_nfc_vietnamese_and_english():
    for indicator in CATALOGUE.indicators:
        assert unicodedata.is_normalized("NFC", indicator.name_vi)
        assert indicator.name_vi != indicator.name_en
        assert indicator.name_en.isascii()


def test_online_service_levels_one_to_four_are_counts():
    levels = [i for i in CATALOGUE.indicators if "level" in i.name_en.lower() and "online public" in i.name_en.lower()]
    assert len(levels) == 4
    assert all(i.value_type == "count" and i.min_value == 0 for i in levels)


def test_targets_refer_to_known_indicators_and_unit_types():
    for target in CATALOGUE.targets:
        indicator = CATALOGUE.get(target.indicator_code)
        assert target.unit_type in UNIT_TYPES
        assert target.target_year in (2009, 2010)
        assert indicator.min_value <= target.target_value <= indicator.max_value
    email_share = {(t.unit_type, t.target_year): t.target_value for t in CATALOGUE.targets if t.indicator_code == "3.3"}
    assert email_share[("ministry", 2009)] == 70 and email_share[("province", 2010)] == 60


def test_rules_compare_numeric_indicators():
    assert any(r.left_indicator == "3.2" and r.right_indicator == "3.1" for r in CATALOGUE.rules)
    for rule in CATALOGUE.rules:
        for code in (rule.left_indicator, rule.right_indicator):
            assert CATALOGUE.get(code).value_type in ("count", "percent", "money")
        assert rule.holds(1, 2) == (rule.operator in ("<=", "<"))
