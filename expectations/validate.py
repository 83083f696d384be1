"""Validate parsed submissions with Great Expectations; failures become messages an agency can act on.

With ``home`` (the product's state folder) the committed ``submission_checks`` checkpoint (pass or fail per
expectation) runs in the versioned file context, and ``submission_failures`` (the failing rows) on a batch it
failed (:func:`expectations.project.run_checkpoint`): results are stored under ``home/gx``, and
:func:`update_data_docs` renders them once an intake's batches are done. Without it — or when the committed suite
no longer matches the catalogue (regenerate with ``python -m expectations.project``) — the suite generated from
``catalogue`` runs in an ephemeral context, in the same two passes. Either way the catalogue decides.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from expectations.suites import KEY_COLUMN, column_for, submission_suite, text_column_for
from ingestion.domain.catalogue import Catalogue, Indicator
from ingestion.domain.records import ReportValue, Submission

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """One failed check of one submission, in words the agency can act on (Vietnamese and English)."""

    indicator_code: str
    value: str | None  # as the agency typed it (or the normalised number), None when blank
    rule: str  # required | whole_number | range | yes_no | a rule code from indicator_rules.csv
    message_vi: str
    message_en: str


def number_text(number: float | None) -> str | None:
    """A normalised number written plainly: ``10`` for 10.0, ``10.5``, ``-1``."""
    if number is None:
        return None
    return str(int(number)) if float(number).is_integer() else f"{number:.15g}"


def frame_for(submissions: Sequence[Submission], catalogue: Catalogue):  # -> pandas.DataFrame
    """The wide table the submission suite reads (see :mod:`expectations.suites`)."""
    import pandas as pd

    rows = []
    for submission in submissions:
        values = {v.indicator_code: v for v in submission.values}
        row: dict[str, object] = {KEY_COLUMN: submission.message_hash}
        for indicator in catalogue.indicators:
            value = values.get(indicator.indicator_code)
            code = indicator.indicator_code
            if indicator.value_type == "text":
                row[column_for(code)] = value.value_text if value else None
            else:
                row[column_for(code)] = value.value_number if value else None
            if indicator.value_type == "count":
                row[text_column_for(code)] = number_text(value.value_number) if value else None
        rows.append(row)
    columns = [KEY_COLUMN]
    for indicator in catalogue.indicators:
        columns.append(column_for(indicator.indicator_code))
        if indicator.value_type == "count":
            columns.append(text_column_for(indicator.indicator_code))
    frame = pd.DataFrame(rows, columns=columns)
    for indicator in catalogue.indicators:
        if indicator.value_type != "text":
            frame[column_for(indicator.indicator_code)] = frame[column_for(indicator.indicator_code)].astype("float64")
        if indicator.value_type == "count":
            frame[text_column_for(indicator.indicator_code)] = frame[text_column_for(indicator.indicator_code)].astype(
                "object"
            )
    return frame


def _shown(value: ReportValue | None) -> str | None:
    if value is None:
        return None
    if value.value_text not in (None, ""):
        return value.value_text
    return number_text(value.value_number)


def _allowed(indicator: Indicator) -> tuple[str, str]:
    low, high = indicator.min_value, indicator.max_value
    unit_vi = f" {indicator.measure_unit_vi}" if indicator.measure_unit_vi else ""
    unit_en = f" {indicator.measure_unit_en}" if indicator.measure_unit_en else ""
    if low is not None and high is not None:
        return (
            f"từ {number_text(low)} đến {number_text(high)}{unit_vi}",
            f"between {number_text(low)} and {number_text(high)}{unit_en}",
        )
    if low is not None:
        return f"từ {number_text(low)}{unit_vi} trở lên", f"{number_text(low)}{unit_en} or more"
    return f"không quá {number_text(high)}{unit_vi}", f"at most {number_text(high)}{unit_en}"


def describe_failure(meta: dict[str, Any], catalogue: Catalogue, values: dict[str, ReportValue]) -> Problem:
    """The problem an expectation's failure means for one submission (``meta`` as set in the suite)."""
    check = meta.get("check", "")
    if check == "rule":
        rule = next(r for r in catalogue.rules if r.rule_code == meta.get("rule_code"))
        left, right = catalogue.get(rule.left_indicator), catalogue.get(rule.right_indicator)
        left_value = _shown(values.get(left.indicator_code)) or "(trống)"
        right_value = _shown(values.get(right.indicator_code)) or "(trống)"
        relation = f"{rule.left_indicator} {rule.operator} {rule.right_indicator}"
        return Problem(
            indicator_code=rule.left_indicator,
            value=_shown(values.get(left.indicator_code)),
            rule=rule.rule_code,
            message_vi=(
                f"{rule.description_vi}: chỉ tiêu {left.indicator_code} ({left.name_vi}) = {left_value}, "
                f"chỉ tiêu {right.indicator_code} ({right.name_vi}) = {right_value}; yêu cầu {relation}"
            ),
            message_en=(
                f"{rule.description_en}: indicator {left.indicator_code} ({left.name_en}) = "
                f"{left_value.replace('(trống)', '(blank)')}, indicator {right.indicator_code} ({right.name_en}) = "
                f"{right_value.replace('(trống)', '(blank)')}; required: {relation}"
            ),
        )
    indicator = catalogue.get(meta["indicator_code"])
    value = _shown(values.get(indicator.indicator_code))
    label_vi = f"chỉ tiêu {indicator.indicator_code} ({indicator.name_vi})"
    label_en = f"indicator {indicator.indicator_code} ({indicator.name_en})"
    if check == "required":
        vi = f"{label_vi} bắt buộc phải có giá trị nhưng để trống"
        en = f"{label_en} is required but was left blank"
    elif check == "whole_number":
        vi = f'{label_vi} = "{value}": phải là số nguyên không âm (0, 1, 2, …)'
        en = f'{label_en} = "{value}": must be a whole number, 0 or more'
    elif check == "range":
        allowed_vi, allowed_en = _allowed(indicator)
        vi = f'{label_vi} = "{value}": phải {allowed_vi}'
        en = f'{label_en} = "{value}": must be {allowed_en}'
    elif check == "yes_no":
        vi = f'{label_vi} = "{value}": chỉ được ghi "Có" hoặc "Không"'
        en = f'{label_en} = "{value}": must be "Có" (yes) or "Không" (no)'
    else:
        vi = f'{label_vi} = "{value}": không hợp lệ ({check})'
        en = f'{label_en} = "{value}": not valid ({check})'
    return Problem(indicator.indicator_code, value, check, vi, en)


def validate_submissions(
    submissions: Sequence[Submission],
    catalogue: Catalogue,
    *,
    home: Path | None = None,
    stored: list[tuple[str, ...]] | None = None,
) -> dict[str, list[Problem]]:
    """Problems per message hash (each names indicator, value and what is allowed); absent hashes passed.
    ``stored`` gets the key of each result stored under ``home`` (for :func:`update_data_docs`)."""
    if not submissions:
        return {}
    frame = frame_for(submissions, catalogue)
    result = _run(frame, catalogue, home, stored if stored is not None else [])
    by_hash = {s.message_hash: {v.indicator_code: v for v in s.values} for s in submissions}
    problems: dict[str, list[Problem]] = defaultdict(list)
    for outcome in result.results:
        if outcome.success:
            continue
        meta = outcome.expectation_config.meta or {}
        failing = outcome.result.get("unexpected_index_list")
        if failing is None:  # the expectation could not run: every submission is suspect, say so loudly
            raise RuntimeError(f"GX could not evaluate {outcome.expectation_config.type}: {outcome.exception_info}")
        for index in failing:
            message_hash = index[KEY_COLUMN] if isinstance(index, dict) else frame.iloc[index][KEY_COLUMN]
            problem = describe_failure(meta, catalogue, by_hash[message_hash])
            if problem not in problems[message_hash]:
                problems[message_hash].append(problem)
    return dict(problems)


def _run(frame, catalogue: Catalogue, home: Path | None, stored: list[tuple[str, ...]]):
    """-> ExpectationSuiteValidationResult"""
    if home is not None:
        from expectations.project import SUBMISSION_CHECKPOINT, SUBMISSION_FAILURES_CHECKPOINT, run_checkpoint

        if _committed_suites_current(catalogue, _suite_files_signature()):
            outcome = run_checkpoint(
                _context(home),
                SUBMISSION_CHECKPOINT,
                SUBMISSION_FAILURES_CHECKPOINT,
                batch_parameters={"dataframe": frame},
            )
            stored.extend(key.to_tuple() for key in outcome.run_results)
            return next(iter(outcome.run_results.values()))
        log.warning("The committed GX suites differ from the catalogue; run `python -m expectations.project`.")
    return _run_ephemeral(frame, submission_suite(catalogue))


def update_data_docs(home: Path, stored: Sequence[Sequence[str]]) -> None:
    """Data Docs of ``home`` updated once for the results an intake stored (``validate_submissions``'s keys)."""
    if not stored:
        return
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

    from expectations.project import update_data_docs as update

    update(_context(home), [ValidationResultIdentifier.from_tuple(tuple(key)) for key in stored])


def _suite_files_signature() -> tuple[tuple[str, int, int], ...]:
    from expectations.project import SUITES_DIR

    files = sorted(SUITES_DIR.glob("*.json"))
    return tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)


@functools.lru_cache(maxsize=4)
def _committed_suites_current(catalogue: Catalogue, signature: tuple[tuple[str, int, int], ...]) -> bool:
    """Whether the committed suites are what ``catalogue`` generates; checked once per catalogue and suite files
    in a process (generating the suites through GX costs about a second)."""
    from expectations.project import stale_suites

    return not list(stale_suites(catalogue))


@functools.lru_cache(maxsize=4)
def _context(home: Path):  # -> FileDataContext
    """The file context of ``home``, opened once per process: an intake's batches reuse it (opening it and
    compiling Data Docs' templates cost more than validating a batch)."""
    from expectations.project import open_context

    return open_context(home)


def _run_ephemeral(frame, suite):  # -> ExpectationSuiteValidationResult
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from expectations.project import (
        GATE_FORMAT,
        SUBMISSION_FAILURES_FORMAT,
        SUBMISSIONS_ASSET,
        SUBMISSIONS_BATCH,
        SUBMISSIONS_DATASOURCE,
    )

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas(SUBMISSIONS_DATASOURCE)
        .add_dataframe_asset(SUBMISSIONS_ASSET)
        .add_batch_definition_whole_dataframe(SUBMISSIONS_BATCH)
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = context.suites.add(suite)
    outcome = batch.validate(suite, result_format=GATE_FORMAT)  # as the committed checkpoints: run_checkpoint
    return outcome if outcome.success else batch.validate(suite, result_format=SUBMISSION_FAILURES_FORMAT)
