"""The issue's targets, judged on one run's figures (ratios within the run, so a busy machine shifts less)."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    what: str
    measured: str
    floor: str
    ratio: float | None
    target: str
    holds: bool | None  # None: informative only, or not measured
    peak_mb: float | None = None  # peak resident memory of the process that measured it

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _ms(value: float) -> str:
    return f"{value:.2f} ms"


def _s(value: float) -> str:
    return f"{value:.1f} s"


# dag.test() starts with either root task; the first to run pays the process's imports, so they count together.
ROOT_TASKS = ("resolve_period", "prepare_warehouse")


def _tasks(durations: dict[str, float]) -> dict[str, float]:
    merged = {k: v for k, v in durations.items() if k not in ROOT_TASKS}
    merged[" + ".join(ROOT_TASKS)] = sum(durations.get(k, 0.0) for k in ROOT_TASKS)
    return merged


def rows(figures: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    gx = _median([r["seconds"] for r in figures.get("gx_import", [])])
    dag = _median([r["seconds"] for r in figures.get("empty_dag", [])])
    dbt = _median([r["seconds"] for r in figures.get("dbt_one_model", [])])
    close_floor = gx + dag + dbt
    closes = figures.get("close", {}).get("runs", [])
    if closes and math.isnan(close_floor):
        failed = Row("monthly_close, 93-unit month", _s(closes[-1]["seconds"]), "a floor failed", None, "≤ 1.3×", None)
        out.append(failed)
    elif closes:
        month2 = closes[-1]
        out.append(
            Row(
                f"monthly_close, 93-unit month ({month2['period']}, {month2['state']})",
                _s(month2["seconds"]),
                f"empty DAG {_s(dag)} + 1-model dbt {_s(dbt)} + GX import {_s(gx)}",
                month2["seconds"] / close_floor,
                "≤ 1.3×",
                month2["seconds"] / close_floor <= 1.3,
                month2.get("peak_mb"),
            )
        )
    floors = figures.get("parse_floors", {})
    for key, label, target in (
        ("intake_docx", ".docx mail", 5.0),
        ("intake_mixed", "mixed .docx/.doc mail", None),
    ):
        run = figures.get(key)
        if run and floors:
            ratio = run["per_message_ms"] / floors["floor_per_message_ms"]
            out.append(
                Row(
                    f"intake per message, {run['messages']} {label}",
                    _ms(run["per_message_ms"]),
                    f"unzip + lxml + COPY {_ms(floors['floor_per_message_ms'])}",
                    ratio,
                    f"≤ {target:g}×" if target else "—",
                    ratio <= target if target else None,
                    run.get("peak_mb"),
                )
            )
    if floors:
        ratio = floors["parse_report_per_docx_ms"] / floors["unzip_lxml_per_docx_ms"]
        out.append(
            Row(
                "parse_report per .docx",
                _ms(floors["parse_report_per_docx_ms"]),
                f"unzip + lxml {_ms(floors['unzip_lxml_per_docx_ms'])}",
                ratio,
                "—",
                None,
            )
        )
    if floors.get("doc_files"):
        doc = floors["product_doc_path_per_doc_ms"]
        antiword = floors["antiword_per_doc_ms"]
        soffice = ""
        if "soffice_batch_seconds" in floors:
            soffice = f"; LibreOffice batch of {floors['soffice_batch_files']}: {_s(floors['soffice_batch_seconds'])}"
        out.append(
            Row(
                f".doc per file (convert + parse, {floors['doc_files']} files)",
                _ms(doc),
                f"antiword {_ms(antiword)}{soffice}",
                doc / antiword,
                "≤ 10 ms",
                doc <= 10.0,
            )
        )
    big = figures.get("intake_national")
    if big:
        out.append(
            Row(
                f"intake of a {big['messages']}-unit month",
                _s(big["seconds"]),
                f"{_ms(big['per_message_ms'])} per message",
                big["seconds"] / 120.0,
                "≤ 120 s",
                big["seconds"] <= 120.0,
                big.get("peak_mb"),
            )
        )
        out.append(
            Row(
                f"peak memory, {big['messages']}-unit intake",
                f"{big['peak_mb']:.0f} MB",
                "—",
                big["peak_mb"] / 500.0,
                "≤ 500 MB",
                big["peak_mb"] <= 500.0,
            )
        )
    hist = figures.get("history")
    if hist:
        full = hist["full_months"]
        measured = hist["intake_seconds"] + hist["dbt_full_refresh_seconds"]
        estimate = measured * full / hist["months"]
        label = "measured" if full == hist["months"] else f"EXTRAPOLATED ×{full / hist['months']:.1f} from a prefix"
        out.append(
            Row(
                f"full-history rebuild, {full} months at 93 units ({label})",
                _s(estimate),
                f"{hist['months']} months: intake {_s(hist['intake_seconds'])} + dbt full refresh "
                f"{_s(hist['dbt_full_refresh_seconds'])}",
                estimate / 300.0,
                "≤ 300 s",
                estimate <= 300.0,
                hist.get("peak_mb"),
            )
        )
        if closes:
            month2, month_n = _tasks(closes[-1]["tasks"]), _tasks(hist["month_n"]["tasks"])
            for task_id in sorted(set(month2) & set(month_n)):
                ratio = month_n[task_id] / month2[task_id] if month2[task_id] > 0 else float("nan")
                out.append(
                    Row(
                        f"month {hist['months'] + 1} / month 2: {task_id}",
                        _s(month_n[task_id]),
                        f"month 2 {_s(month2[task_id])}",
                        ratio,
                        "≤ 1.1×",
                        ratio <= 1.1,
                    )
                )
    from bench.workers import row as workers_row

    out.append(workers_row(figures.get("workers")))
    return out


def markdown(table: list[Row], header: str) -> str:
    lines = [header, "", "| what | measured | floor | ratio | target | holds | peak MB |", "|---" * 7 + "|"]
    for row in table:
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}"
        holds = {True: "yes", False: "**no**", None: "—"}[row.holds]
        peak = "—" if row.peak_mb is None else f"{row.peak_mb:.0f}"
        lines.append(f"| {row.what} | {row.measured} | {row.floor} | {ratio} | {row.target} | {holds} | {peak} |")
    return "\n".join(lines) + "\n"
