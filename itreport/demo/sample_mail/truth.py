"""The ground truth beside the Maildir: what a correct pipeline concludes for each unit and each message file."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from ingestion.domain.records import SubmissionKind
from ingestion.domain.registry import ReportingUnit

from .records import REPORT, Context, MailPlan, Rendered

GROUND_TRUTH_FIELDS = ("unit_code", "period", "expected_status", "submission_kind", "received_at")
MESSAGE_FIELDS = ("file", "scenario", "expected_state", "reason_code", "unit_code", "received_at", "expected_warnings")


@dataclass(frozen=True)
class UnitTruth:
    """What a correct pipeline concludes for one expected unit in the period."""

    unit_code: str
    period: str
    expected_status: str  # on_time | late | missing
    submission_kind: str  # report | same_as_notice | ""
    received_at: str  # ISO UTC of the effective (first accepted) submission, or ""


@dataclass(frozen=True)
class MessageTruth:
    """The one final state a correct pipeline gives one message file."""

    file: str
    scenario: str
    expected_state: str  # accepted | quarantined | ignored
    reason_code: str
    unit_code: str  # "" for an unknown sender
    received_at: str
    expected_warnings: str  # "warning_code:indicator_code" joined by ";", e.g. "jump:5.2"; "" for none


@dataclass
class GroundTruth:
    period: date
    units: list[UnitTruth]
    messages: list[MessageTruth]
    ground_truth_path: Path
    messages_path: Path

    def status_counts(self) -> dict[str, int]:
        return _count(u.expected_status for u in self.units)

    def state_counts(self) -> dict[str, int]:
        return _count(m.expected_state for m in self.messages)

    def scenario_counts(self) -> dict[str, int]:
        return _count(m.scenario for m in self.messages)

    def expected_warnings(self) -> list[tuple[str, str, str, str]]:
        """(file, unit_code, indicator_code, warning_code) of every value warning the period's reports must get."""
        return [
            (m.file, m.unit_code, indicator, code)
            for m in self.messages
            for code, indicator in warning_pairs(m.expected_warnings)
        ]


def ground_truth(
    ctx: Context,
    selected: Sequence[ReportingUnit],
    plans: Sequence[MailPlan],
    rendered: Sequence[Rendered],
    folder: Path,
) -> GroundTruth:
    """The period's truth, its CSV files written into ``folder``."""
    truth = GroundTruth(
        period=ctx.period,
        units=unit_truths(ctx, selected, plans),
        messages=[_message_truth(r) for r in sorted(rendered, key=lambda r: r.file)],
        ground_truth_path=folder / f"ground_truth-{ctx.label}.csv",
        messages_path=folder / f"messages-{ctx.label}.csv",
    )
    _write_csv(truth.ground_truth_path, GROUND_TRUTH_FIELDS, [astuple(u) for u in truth.units])
    _write_csv(truth.messages_path, MESSAGE_FIELDS, [astuple(m) for m in truth.messages])
    return truth


def read_ground_truth(path: Path | str) -> list[dict[str, str]]:
    """The rows of a ``ground_truth-*.csv`` or ``messages-*.csv`` file, as dicts of strings."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def warning_pairs(text: str) -> list[tuple[str, str]]:
    """``"jump:1.3;same_as_last_month:*"`` (an ``expected_warnings`` cell) → ``[("jump", "1.3"), ...]``."""
    pairs = [item.split(":", 1) for item in text.split(";") if item]
    return [(code, indicator) for code, indicator in pairs]


def unit_truths(ctx: Context, selected: Sequence[ReportingUnit], plans: Sequence[MailPlan]) -> list[UnitTruth]:
    """Each unit's status from its earliest accepted submission; none → missing."""
    rows = []
    for unit in sorted(selected, key=lambda u: u.unit_code):
        counted = [p for p in plans if p.counts_for_unit and p.profile.unit.unit_code == unit.unit_code]
        rows.append(_unit_truth(ctx, unit, min(counted, key=lambda p: p.received_at, default=None)))
    return rows


def _unit_truth(ctx: Context, unit: ReportingUnit, first: MailPlan | None) -> UnitTruth:
    if first is None:
        return UnitTruth(unit.unit_code, ctx.label, "missing", "", "")
    status = "on_time" if ctx.deadline.is_on_time(first.received_at, ctx.period) else "late"
    kind = SubmissionKind.REPORT if first.content == REPORT else SubmissionKind.SAME_AS_NOTICE
    return UnitTruth(unit.unit_code, ctx.label, status, kind.value, _iso(first.received_at))


def _message_truth(rendered: Rendered) -> MessageTruth:
    plan = rendered.plan
    unit_code = "" if plan.scenario == "unknown_sender" else plan.profile.unit.unit_code
    return MessageTruth(
        rendered.file,
        plan.scenario,
        plan.state.value,
        plan.reason_code,
        unit_code,
        _iso(plan.received_at),
        ";".join(plan.warnings),
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))
