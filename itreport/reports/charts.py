"""The briefing's charts (matplotlib, PNG bytes): the 12-month trend of the reporting rates, the status of the
period by unit type, and progress against the Quyết định 48/2009 targets (bars against the target line).

The same figures give the same bytes (no timestamps in the PNG), so an unchanged briefing keeps its sha256.
DejaVu Sans, which matplotlib bundles, has every Vietnamese glyph.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from itreport.reports.briefing_data import UNIT_TYPE_LABELS, MonthlyBriefing, TargetProgress

WIDTH_IN, HEIGHT_IN, DPI = 6.3, 3.2, 150
SHORT_LABELS = {
    "ministry": "Bộ",
    "ministerial_agency": "CQ ngang Bộ",
    "government_agency": "CQ thuộc CP",
    "province": "Tỉnh",
    "central_city": "TP trực thuộc TW",
}


def _short(unit_type: str) -> str:
    return SHORT_LABELS.get(unit_type, UNIT_TYPE_LABELS.get(unit_type, unit_type))


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    pyplot.rcParams.update({"font.family": "DejaVu Sans", "font.size": 8, "svg.hashsalt": "itreport"})
    return pyplot, pyplot.figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)


def _png(pyplot, figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    pyplot.close(figure)
    return buffer.getvalue()


def trend_chart(briefing: MonthlyBriefing) -> bytes:
    """Reporting rate and on-time rate (%) of the last 12 closed months up to the briefing's period."""
    pyplot, figure = _figure()
    axes = figure.add_subplot()
    labels = [f"{r.period:%m/%Y}" for r in briefing.trend]
    axes.plot(labels, [float(r.reporting_rate) * 100 for r in briefing.trend], marker="o", label="Tỷ lệ báo cáo")
    axes.plot(labels, [float(r.on_time_rate) * 100 for r in briefing.trend], marker="s", label="Tỷ lệ báo cáo đúng hạn")
    axes.set_ylim(0, 105)
    axes.set_ylabel("%")
    axes.set_title(f"Tỷ lệ báo cáo 12 tháng đến tháng {briefing.period:%m/%Y}")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="lower left")
    axes.tick_params(axis="x", labelrotation=45)
    return _png(pyplot, figure)


def status_chart(briefing: MonthlyBriefing) -> bytes:
    """On time, late and missing units of the period, stacked, by unit type."""
    pyplot, figure = _figure()
    axes = figure.add_subplot()
    labels = [_short(r.unit_type) for r in briefing.by_type]
    bottom = [0] * len(labels)
    for attribute, name, color in (
        ("on_time", "Đúng hạn", "#2e7d32"),
        ("late", "Trễ hạn", "#f9a825"),
        ("missing", "Chưa báo cáo", "#c62828"),
    ):
        counts = [getattr(r, attribute) for r in briefing.by_type]
        axes.bar(labels, counts, bottom=bottom, label=name, color=color)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_ylabel("Số đơn vị")
    axes.set_title(f"Tình hình báo cáo tháng {briefing.period:%m/%Y} theo loại cơ quan")
    axes.legend()
    return _png(pyplot, figure)


def target_chart(targets: Sequence[TargetProgress]) -> bytes:
    """Mean reported value (%) per unit type and target indicator, as bars, with each target as a line on its bar."""
    pyplot, figure = _figure()
    axes = figure.add_subplot()
    order = list(SHORT_LABELS)
    targets = sorted(
        targets, key=lambda t: (t.indicator_code, order.index(t.unit_type) if t.unit_type in order else 99)
    )
    labels = [f"{t.indicator_code} · {_short(t.unit_type)}" for t in targets]
    positions = list(range(len(targets)))
    axes.bar(positions, [float(t.average or 0) for t in targets], color="#1565c0", label="Bình quân đã báo cáo")
    for index, target in enumerate(targets):
        axes.hlines(float(target.target_value), index - 0.4, index + 0.4, colors="#c62828", linewidth=2)
    axes.plot([], [], color="#c62828", linewidth=2, label="Mục tiêu QĐ 48/2009")
    axes.set_xticks(positions, labels, fontsize=6, rotation=30, ha="right")
    axes.set_ylim(0, 105)
    axes.set_ylabel("%")
    axes.set_title("Tiến độ so với mục tiêu Quyết định 48/2009/QĐ-TTg")
    axes.legend(fontsize=7)
    return _png(pyplot, figure)
