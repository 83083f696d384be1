"""Expectation suites derived from the indicator catalogue — never a second, hand-written list.

Submissions are validated as one wide table: a row per submission, a column per indicator
(``ind_<code>``, the normalised number; text indicators hold their text) and, for counts, a text
column (``ind_<code>__text``, the normalised number written plainly) that the whole-number check reads.

Every expectation carries ``meta``: the indicator it is about and the check (``required``,
``whole_number``, ``range``, ``yes_no``, ``rule`` with its ``rule_code``), which is how a failure becomes a
message naming the indicator. Ids are derived from names, so regenerating gives byte-identical files.

Also here: the warehouse suites (checked after each dbt build), which do not depend on the catalogue.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ingestion.domain.catalogue import NUMERIC_TYPES, Catalogue

if TYPE_CHECKING:
    import great_expectations as gx

SUBMISSION_SUITE = "submission_values"
KEY_COLUMN = "message_hash"
WHOLE_NUMBER_REGEX = r"^\d+$"
STATUSES = ("on_time", "late", "missing")

_ID_NAMESPACE = uuid.UUID("6f1d1b1e-4b8c-4c49-9a51-1485b0a02009")


def stable_id(*parts: str) -> str:
    """The same id for the same suite or expectation every time, so regenerating changes nothing."""
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join(parts)))


def column_for(indicator_code: str) -> str:
    return "ind_" + indicator_code.replace(".", "_")


def text_column_for(indicator_code: str) -> str:
    return column_for(indicator_code) + "__text"


def _suite(name: str, expectations: list[Any], meta: dict[str, Any] | None = None) -> gx.ExpectationSuite:
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=name, expectations=expectations, meta=meta or {}, id=stable_id(name))
    for number, expectation in enumerate(suite.expectations):
        expectation.id = stable_id(name, str(number), expectation.expectation_type, repr(expectation.meta))
    return suite


def submission_suite(catalogue: Catalogue) -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe

    expectations: list[Any] = []
    for indicator in catalogue.indicators:
        column = column_for(indicator.indicator_code)
        meta = {"indicator_code": indicator.indicator_code}
        if indicator.is_required:
            expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=column, meta=meta | {"check": "required"}))
        if indicator.value_type == "count":
            expectations.append(
                gxe.ExpectColumnValuesToMatchRegex(
                    column=text_column_for(indicator.indicator_code),
                    regex=WHOLE_NUMBER_REGEX,
                    meta=meta | {"check": "whole_number"},
                )
            )
        if indicator.value_type in NUMERIC_TYPES and (
            indicator.min_value is not None or indicator.max_value is not None
        ):
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=column,
                    min_value=indicator.min_value,
                    max_value=indicator.max_value,
                    meta=meta | {"check": "range"},
                )
            )
        if indicator.value_type == "yes_no":
            expectations.append(
                gxe.ExpectColumnValuesToBeInSet(column=column, value_set=[0, 1], meta=meta | {"check": "yes_no"})
            )
    for rule in catalogue.rules:
        meta = {"indicator_code": rule.left_indicator, "check": "rule", "rule_code": rule.rule_code}
        left, right = column_for(rule.left_indicator), column_for(rule.right_indicator)
        if rule.operator == "=":
            expectations.append(
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A=left, column_B=right, ignore_row_if="either_value_is_missing", meta=meta
                )
            )
            continue
        # left <= right  ⇔  right >= left; left >= right  ⇔  left >= right
        greater, smaller = (right, left) if rule.operator in ("<=", "<") else (left, right)
        expectations.append(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=greater,
                column_B=smaller,
                or_equal=rule.operator in ("<=", ">="),
                ignore_row_if="either_value_is_missing",
                meta=meta,
            )
        )
    return _suite(SUBMISSION_SUITE, expectations, {"derived_from": "dbt_project/seeds/indicator_*.csv"})


def warehouse_suites() -> list[gx.ExpectationSuite]:
    """One suite per mart the warehouse checkpoint reads (``meta.table``; tables missing at run time are skipped)."""
    import great_expectations.expectations as gxe

    compliance = [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["unit_code", "period_month"]),
        gxe.ExpectColumnValuesToNotBeNull(column="unit_code"),
        gxe.ExpectColumnValuesToNotBeNull(column="period_month"),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(STATUSES)),
        gxe.ExpectColumnValuesToNotBeNull(column="status"),
        gxe.ExpectColumnValuesToBeBetween(column="days_late", min_value=0),
    ]
    indicator_values = [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["unit_code", "period_month", "indicator_code"]),
    ]
    reporting_rate = [
        gxe.ExpectColumnValuesToBeBetween(column="reporting_rate", min_value=0, max_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="reporting_rate_on_time", min_value=0, max_value=1),
    ]
    return [
        _suite(f"warehouse_{table.removeprefix('fct_').removeprefix('rpt_')}", expectations, {"table": table})
        for table, expectations in (
            ("fct_reporting_compliance", compliance),
            ("fct_indicator_values", indicator_values),
            ("rpt_reporting_rate", reporting_rate),
        )
    ]
