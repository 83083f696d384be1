"""Charts of the annual evaluation (matplotlib, no pyplot state): PNG for the .docx, SVG for the results page.

Output is byte-for-byte reproducible (no dates, fixed SVG ids), so an unchanged evaluation archives under the
same sha256. Text is set in DejaVu Sans, which matplotlib bundles and which has every Vietnamese glyph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingestion.domain.private_files import private_dir
from itreport.reports.annual_data import RANKING_GROUP_TITLES, RANKING_GROUPS, AnnualEvaluation

# One colour per evaluation group (colour-blind safe, Okabe-Ito), in the groups' order.
GROUP_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9")
RANKING_COLOURS = {"ministries_agencies": "#0072B2", "provinces": "#D55E00"}


@dataclass(frozen=True)
class Chart:
    name: str  # file stem
    title: str  # caption
    description: str  # alternative text


def _rc() -> dict[str, object]:
    return {"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "itreport-annual", "svg.fonttype": "path"}


def _save(figure, path: Path) -> Path:
    fmt = path.suffix.lstrip(".")
    metadata = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    figure.savefig(path, format=fmt, dpi=150, metadata=metadata, bbox_inches="tight")
    path.chmod(0o600)
    return path


def ranking_chart(evaluation: AnnualEvaluation, ranking_group: str, path: Path) -> Chart:
    """The overall index of every ranked unit of a ranking group, split into what each group contributes
    (weight × sub-index), best first."""
    import matplotlib as mpl
    from matplotlib.figure import Figure

    units = evaluation.ranking(ranking_group)
    title = f"Chỉ số tổng hợp năm {evaluation.year} theo nhóm tiêu chí — {RANKING_GROUP_TITLES[ranking_group]}"
    with mpl.rc_context(_rc()):
        figure = Figure(figsize=(8, 1.2 + 0.24 * max(len(units), 1)))
        axes = figure.subplots()
        labels = [f"{u.group_rank}. {u.unit_name}" for u in units]
        positions = list(range(len(units)))[::-1]
        left = [0.0] * len(units)
        for group, colour in zip(evaluation.groups, GROUP_COLOURS, strict=False):
            widths = [float(group.weight * u.group_indices[group.group_code]) for u in units]
            axes.barh(positions, widths, left=left, color=colour, label=f"{group.name_vi} ({_weight(group.weight)})")
            left = [a + b for a, b in zip(left, widths, strict=True)]
        axes.set_yticks(positions, labels)
        axes.set_xlim(0, 1)
        axes.set_xlabel("Chỉ số tổng hợp (0–1) = tổng các phần đóng góp (trọng số × chỉ số thành phần)")
        axes.set_title(title, fontsize=10)
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.9 / figure.get_figheight()), ncol=2, fontsize=8)
        axes.grid(axis="x", alpha=0.3)
        axes.set_axisbelow(True)
        _save(figure, path)
    best = units[0].unit_name if units else "—"
    return Chart(path.stem, title, f"Biểu đồ thanh ngang: {len(units)} đơn vị theo thứ hạng, cao nhất là {best}.")


def group_means_chart(evaluation: AnnualEvaluation, path: Path) -> Chart:
    """The mean sub-index of each evaluation group, ministries and agencies beside provinces."""
    import matplotlib as mpl
    from matplotlib.figure import Figure

    title = f"Chỉ số thành phần bình quân năm {evaluation.year} theo nhóm tiêu chí"
    with mpl.rc_context(_rc()):
        figure = Figure(figsize=(8, 3.6))
        axes = figure.subplots()
        count = len(evaluation.groups)
        width = 0.38
        for offset, ranking_group in zip((-width / 2, width / 2), RANKING_GROUPS, strict=True):
            means = [float(evaluation.group_mean(ranking_group, g.group_code)) for g in evaluation.groups]
            bars = axes.bar(
                [i + offset for i in range(count)],
                means,
                width,
                color=RANKING_COLOURS[ranking_group],
                label=RANKING_GROUP_TITLES[ranking_group],
            )
            axes.bar_label(bars, labels=[_decimal(m) for m in means], fontsize=7, padding=2)
        axes.set_xticks(range(count), [_wrap(g.name_vi) for g in evaluation.groups], fontsize=8)
        axes.set_ylim(0, 1.1)
        axes.set_ylabel("Chỉ số (0–1)")
        axes.set_title(title, fontsize=10)
        axes.legend(fontsize=8, loc="upper right")
        axes.grid(axis="y", alpha=0.3)
        axes.set_axisbelow(True)
        _save(figure, path)
    return Chart(
        path.stem, title, "Biểu đồ cột: chỉ số bình quân của năm nhóm tiêu chí, khối bộ ngành và khối địa phương."
    )


def write_charts(evaluation: AnnualEvaluation, folder: Path, fmt: str) -> list[tuple[Chart, Path]]:
    """Every chart of the evaluation as ``fmt`` (png or svg) files in ``folder``."""
    private_dir(folder, narrow_existing=False)
    charts = [
        (chart, folder / f"{chart.name}.{fmt}")
        for chart in [
            group_means_chart(evaluation, folder / f"chi-so-nhom-{evaluation.year}.{fmt}"),
            *(
                ranking_chart(evaluation, group, folder / f"xep-hang-{group}-{evaluation.year}.{fmt}")
                for group in RANKING_GROUPS
            ),
        ]
    ]
    return charts


def _weight(weight) -> str:
    return f"{float(weight) * 100:.0f}%"


def _decimal(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _wrap(text: str, width: int = 14) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])
