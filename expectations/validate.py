"""Validate parsed submissions with Great Expectations; failures become messages an agency can act on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from expectations.suites import KEY_COLUMN, column_for, submission_suite
from ingestion.catalogue import NUMERIC_TYPES, Catalogue
from ingestion.models import Submission


def _frame(submissions: Sequence[Submission], catalogue: Catalogue):  # -> pandas.DataFrame
    import pandas as pd

    rows = []
    for submission in submissions:
        values = {v.indicator_code: v for v in submission.values}
        row: dict[str, object] = {KEY_COLUMN: submission.message_hash}
        for indicator in catalogue.indicators:
            value = values.get(indicator.indicator_code)
            if indicator.value_type in NUMERIC_TYPES or indicator.value_type == "yes_no":
                row[column_for(indicator.indicator_code)] = value.value_number if value else None
            else:
                row[column_for(indicator.indicator_code)] = value.value_text if value else None
        rows.append(row)
    columns = [KEY_COLUMN] + [column_for(i.indicator_code) for i in catalogue.indicators]
    frame = pd.DataFrame(rows, columns=columns)
    for indicator in catalogue.indicators:
        if indicator.value_type != "text":
            frame[column_for(indicator.indicator_code)] = frame[column_for(indicator.indicator_code)].astype("float64")
    return frame


def _explain(config, catalogue: Catalogue, failing_value: object) -> str:  # config: ExpectationConfiguration
    meta = config.meta or {}
    indicator = catalogue.get(meta["indicator_code"])
    label = f"chỉ tiêu {indicator.indicator_code} ({indicator.name_vi})"
    check = meta.get("check")
    if check == "required":
        return f"{label} bắt buộc phải có giá trị"
    if check == "range":
        return f"{label} = {failing_value}, phải trong khoảng {indicator.min_value:g}–{indicator.max_value:g}"
    if check == "yes_no":
        return f"{label} = {failing_value}, chỉ được ghi 'Có' hoặc 'Không'"
    rule = next(r for r in catalogue.rules if r.rule_code == meta.get("rule_code"))
    return f"{rule.description_vi} ({rule.left_indicator} {rule.operator} {rule.right_indicator})"


def validate_submissions(submissions: Sequence[Submission], catalogue: Catalogue) -> dict[str, list[str]]:
    """Problems per message hash (Vietnamese, naming indicator and value); absent hashes passed every check."""
    if not submissions:
        return {}
    import great_expectations as gx

    frame = _frame(submissions, catalogue)
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("submissions")
        .add_dataframe_asset("parsed_submissions")
        .add_batch_definition_whole_dataframe("run")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = context.suites.add(submission_suite(catalogue))
    result = batch.validate(
        suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [KEY_COLUMN]}
    )
    problems: dict[str, list[str]] = defaultdict(list)
    for outcome in result.results:
        if outcome.success:
            continue
        for index in outcome.result.get("unexpected_index_list") or []:
            message_hash = index[KEY_COLUMN] if isinstance(index, dict) else frame.iloc[index][KEY_COLUMN]
            column = outcome.expectation_config.kwargs.get("column")
            failing = index.get(column) if isinstance(index, dict) and column else None
            problems[message_hash].append(_explain(outcome.expectation_config, catalogue, failing))
    return dict(problems)
