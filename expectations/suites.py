"""Expectation suites derived from the indicator catalogue — never a second, hand-written list.

Submissions are validated as one wide table: a row per submission, a column per indicator
(``ind_<code>``, the normalised number; text indicators hold their text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingestion.catalogue import NUMERIC_TYPES, Catalogue

if TYPE_CHECKING:
    import great_expectations as gx

SUBMISSION_SUITE = "submission_values"
KEY_COLUMN = "message_hash"


def column_for(indicator_code: str) -> str:
    return "ind_" + indicator_code.replace(".", "_")


def submission_suite(catalogue: Catalogue) -> gx.ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=SUBMISSION_SUITE)
    for indicator in catalogue.indicators:
        column = column_for(indicator.indicator_code)
        meta = {"indicator_code": indicator.indicator_code}
        if indicator.is_required:
            suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=column, meta=meta | {"check": "required"}))
        if indicator.value_type in NUMERIC_TYPES and (
            indicator.min_value is not None or indicator.max_value is not None
        ):
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeBetween(
                    column=column,
                    min_value=indicator.min_value,
                    max_value=indicator.max_value,
                    meta=meta | {"check": "range"},
                )
            )
        if indicator.value_type == "yes_no":
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeInSet(column=column, value_set=[0, 1], meta=meta | {"check": "yes_no"})
            )
    for rule in catalogue.rules:
        if rule.operator not in ("<=", "<"):
            continue
        suite.add_expectation(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=column_for(rule.right_indicator),
                column_B=column_for(rule.left_indicator),
                or_equal=rule.operator == "<=",
                ignore_row_if="either_value_is_missing",
                meta={"indicator_code": rule.left_indicator, "check": "rule", "rule_code": rule.rule_code},
            )
        )
    return suite
