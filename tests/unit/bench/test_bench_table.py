"""The bench's table: medians of the samples, marginal intake cost, every target judged, honest peak memory."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

from bench import run, targets


def _close(period: str, seconds: float, **tasks: float) -> dict:
    return {"period": period, "state": "success", "seconds": seconds, "tasks": tasks, "peak_mb": 400.0}


def _intake(messages: int, seconds: float, floor_seconds: float | None = None) -> dict:
    run = {"messages": messages, "seconds": seconds, "peak_mb": 300.0, "states": {"accepted": messages}}
    if floor_seconds is not None:
        run["floor"] = {"messages": messages, "seconds": floor_seconds}
    return run


def _floors(gx: float, dag: float, dbt: float) -> dict:
    return {"gx_import": {"seconds": gx}, "empty_dag": {"seconds": dag}, "dbt_one_model": {"seconds": dbt}}


FIGURES = {
    # ratios 20/16, 19/16 and 40/16 (median 20/16); the third sample's month N is missing (history not rebuilt)
    "close": [
        {"floors": _floors(gx, 9.0, 4.0), "runs": [_close("2009-07", s, intake=2.0)]}
        | ({"month_n": _close("2026-12", 21.0, intake=2.5)} if s < 40 else {})
        for gx, s in ((3.0, 20.0), (3.0, 19.0), (3.0, 40.0))
    ],
    "parse_floors": [
        {
            "unzip_lxml_per_docx_ms": 1.0,
            "parse_report_per_docx_ms": 4.0,
            "doc_files": 20,
            "antiword_per_doc_ms": 3.0,
            "product_doc_path_per_doc_ms": 12.0,
        }
    ],
    # 5 s of fixed cost, 4 ms a message: 4× the floor's 1 ms
    "intake_docx": [{"small": _intake(100, 5.4, 0.1), "large": _intake(1000, 9.0, 1.0)}],
    "intake_mixed": [{"small": _intake(100, 6.0, 0.1), "large": _intake(1000, 24.0, 1.0)}],
    "intake_national": [
        _intake(11500, 100.0) | {"peak_mb": 600.0, "plan": {"on_time": 11000, "late": 500, "missing": 500}}
    ],
    "history": [
        {
            "months": 210,
            "messages": 19500,
            "intake_seconds": 300.0,
            "close_seconds": 10.0,
            "dbt_full_refresh_seconds": 50.0,
            "seconds": 360.0,
            "peak_mb": 500.0,
        }
    ],
}


def test_every_target_is_judged_on_medians_with_the_count_of_samples():
    table = targets.rows(FIGURES)
    rows = {row.what.split(",")[0].split(" (")[0]: row for row in table}
    close = rows["monthly_close"]
    assert close.measured == "20.0 s" and close.samples == 3 and close.holds is True  # 20 s / (3 + 9 + 4) s
    assert close.ratio == 20 / 16 and "taken beside each close" in close.floor
    docx = next(r for r in table if r.what.startswith("intake per message, .docx"))
    assert docx.measured == "4.00 ms" and round(docx.ratio, 6) == 4.0 and docx.holds is True
    assert "fixed cost of a run 5.0 s" in docx.what and "100- and a 1000-message" in docx.what
    mixed = next(r for r in table if r.what.startswith("intake per message, mixed"))
    assert round(mixed.ratio, 6) == 20.0 and mixed.holds is None
    assert rows[".doc per file"].holds is False
    national = next(r for r in table if r.what.startswith("intake of a 12000-unit month"))
    assert "accepted 11500" in national.what and national.holds is True
    assert rows["peak memory"].holds is False
    history = next(r for r in table if r.what.startswith("full-history"))
    assert "210 months" in history.what and "measured" in history.what and history.measured == "360.0 s"
    assert history.holds is False
    month_n = {r.what.split(": ")[-1]: r for r in table if r.what.startswith("month N")}
    assert month_n["intake (fastest samples)"].ratio == 1.25 and month_n["intake (fastest samples)"].holds is False
    assert month_n["intake (fastest samples)"].samples == 2  # the samples that took both months
    assert all(r.ratio is not None for r in table if r.measured != "not measured")
    text = targets.markdown(table, "# bench")
    assert text.count("\n| ") == len(table) + 1 and "| **no** |" in text


def test_a_task_grows_when_its_fastest_month_n_sample_is_slower_not_when_one_sample_is_slow():
    """Month N's audit ran 70 ms twice and 95 ms once (a busy moment: the median ratio would say 1.17); its
    finish_intake ran 30 % slower in every sample, which is growth."""
    samples = ((0.06, 0.40), (0.07, 0.39), (0.095, 0.41))
    closes = [
        {
            "runs": [_close("2009-07", 20.0, audit=0.06, finish_intake=0.30)],
            "month_n": _close("2026-12", 20.0, audit=a, finish_intake=f),
        }
        for a, f in samples
    ]
    table = targets.rows({"close": closes, "history": FIGURES["history"]})
    tasks = {r.what.split(": ")[-1]: r for r in table if r.what.startswith("month N")}
    audit = tasks["audit (fastest samples)"]
    assert audit.holds is True and audit.ratio == 1.0 and audit.measured == "0.06 s (median 0.07 s)"
    growing = tasks["finish_intake (fastest samples)"]
    assert growing.holds is False and round(growing.ratio, 6) == 1.3 and growing.samples == 3


def test_the_intake_ratio_pairs_each_sample_with_the_floor_taken_right_after_it():
    """The machine twice as slow in the first sample (intake and floor alike) says 4×, as the fast second does; the
    third's intake ran slow and its floor fast (8×). The row says 4×, where the median intake (8 ms) over the median
    floor (1 ms), taken apart, would say 8×."""
    slow = {"small": _intake(100, 10.8, 0.2), "large": _intake(1000, 18.0, 2.0)}
    fast = {"small": _intake(100, 5.4, 0.1), "large": _intake(1000, 9.0, 1.0)}
    mixed = {"small": _intake(100, 10.8, 0.1), "large": _intake(1000, 18.0, 1.0)}
    figures = {"intake_docx": [slow, fast, mixed]}
    row = targets.rows(figures)[0]
    assert row.samples == 3 and row.measured == "8.00 ms" and row.holds is True
    assert round(row.ratio, 6) == 4.0  # the samples' ratios: 4, 4 and 8
    assert "marginal 1.00 ms" in row.floor


def test_the_sizes_cover_the_whole_history_and_quick_is_one_small_sample():
    full = run.Sizes.from_env({}, today=date(2026, 12, 2))
    assert full.history_months == 210 and full.repeats == 3 and full.national_units == 12_000
    quick = run.Sizes.from_env({"BENCH_QUICK": "1"}, today=date(2026, 12, 2))
    assert quick.repeats == 1 and quick.history_months < 12 and quick.quick
    assert json.loads(json.dumps(run.dataclasses.asdict(quick)))["budget_seconds"] == 900


def test_a_probe_peak_memory_is_its_own_not_the_bench_process(tmp_path):
    held = bytearray(300 * 1024 * 1024)
    held[::4096] = b"\x01" * len(held[::4096])  # the test process now holds over 300 MB
    peak = tmp_path / "peak"
    command = [sys.executable, "-m", "bench.launch", str(peak), sys.executable, "-c", "pass"]
    subprocess.run(command, check=True, cwd=run.ROOT)
    assert int(peak.read_text()) / 1024 < 150
    del held


def _bench(tmp_path, budget: float) -> run.Bench:
    from rich.console import Console

    sizes = run.dataclasses.replace(run.Sizes.from_env({}), budget_seconds=budget)
    return run.Bench(tmp_path, Console(quiet=True), sizes)


def test_every_figure_gets_its_repeats_when_the_budget_allows_and_a_note_when_not(tmp_path):
    from rich.progress import Progress

    for budget, expected in ((3600.0, 3), (0.0, 1)):
        bench = _bench(tmp_path, budget)
        for key in ("cheap", "dear"):
            bench.sample(key, lambda index, key=key: {"key": key, "index": index})
        with Progress(disable=True) as progress:
            bench.more_samples(progress)
        assert [s["index"] for s in bench.figures["cheap"]] == list(range(expected))
        assert len(bench.figures["dear"]) == expected
        assert bool(bench.skipped) == (expected < 3)


def test_another_sample_is_taken_only_if_the_longest_so_far_fits_the_budget(tmp_path):
    """Samples of 10 s and 30 s (median 20 s) with 25 s of budget left: the median would fit, the longest not."""
    import time

    from rich.progress import Progress

    bench = _bench(tmp_path, budget=1000.0)
    bench.sample("figure", lambda index: {"index": index})
    bench.figures["figure"][0]["sample_seconds"] = 10.0
    bench.figures["figure"].append({"index": 1, "sample_seconds": 30.0})
    for left, taken in ((25.0, 2), (60.0, 3)):
        del bench.figures["figure"][2:]
        bench.skipped.clear()
        bench.started = time.perf_counter() - (1000.0 - left)
        with Progress(disable=True) as progress:
            bench.more_samples(progress)
        assert len(bench.figures["figure"]) == taken
        assert ("figure" in bench.skipped) == (taken < 3)


def test_a_figure_no_target_judges_gets_its_next_sample_after_the_others(tmp_path):
    """Budget left for one more sample of 30 s: the close gets it, not the cheaper mixed intake (informative)."""
    import time

    from rich.progress import Progress

    bench = _bench(tmp_path, budget=1000.0)

    def take(index: int) -> dict:
        bench.started -= 30.0  # each sample takes 30 s of the budget
        return {"index": index}

    for key, seconds in (("intake_mixed", 20.0), ("close", 25.0)):
        bench.sample(key, take)
        bench.figures[key][0]["sample_seconds"] = seconds
    bench.started = time.perf_counter() - (1000.0 - 40.0)
    with Progress(disable=True) as progress:
        bench.more_samples(progress)
    assert (len(bench.figures["close"]), len(bench.figures["intake_mixed"])) == (2, 1)
    assert "intake_mixed" in bench.skipped


def test_bench_steps_select_steps_and_the_steps_they_need():
    from bench import run

    every = run.Sizes.from_env({})
    assert every.runs("history") and every.runs("national")
    close = run.Sizes.from_env({"BENCH_STEPS": "close"})
    assert [key for key in ("start", "corpora", "close", "history", "national") if close.runs(key)] == [
        "start",
        "corpora",
        "close",
    ]
    month_n = run.Sizes.from_env({"BENCH_STEPS": " month_n"})  # the close takes month N once the history is rebuilt
    assert month_n.steps == ("month_n",)
    assert month_n.runs("history") and month_n.runs("close") and not month_n.runs("national")
    national = run.Sizes.from_env({"BENCH_STEPS": "workers"})
    assert national.runs("national") and national.runs("workers") and not national.runs("intake_national")


def test_the_close_takes_more_samples_than_the_other_figures(tmp_path):
    """The close (its floors, month 2 and month N, judged task by task on the fastest samples) gets PAIRED_EXTRA
    samples more."""
    from rich.progress import Progress

    from bench import run

    bench = _bench(tmp_path, 3600.0)
    for key in ("close", "intake_docx"):
        bench.sample(key, lambda index, key=key: {"key": key, "index": index})
    with Progress(disable=True) as progress:
        bench.more_samples(progress)
    repeats = bench.sizes.repeats
    assert len(bench.figures["intake_docx"]) == repeats
    assert len(bench.figures["close"]) == repeats + run.PAIRED_EXTRA
    assert not bench.skipped
    quick = run.Sizes.from_env({"BENCH_QUICK": "1"})
    assert quick.repeats_of("close") == quick.repeats == 1


def test_the_close_ratio_pairs_each_close_with_the_floors_taken_in_its_sample():
    """The machine a third slower in the second sample (close and floors alike) says 1.2×, as the first does; the
    third's close ran slow and its floors fast (1.5×). The row says 1.2×, where the median close (14.4 s) over the
    median floors (10 s), taken apart, would say 1.44×."""
    samples = [
        (_floors(3.0, 5.0, 2.0), 12.0),
        (_floors(4.0, 6.67, 2.67), 16.0),
        (_floors(3.0, 5.0, 2.0), 15.0),
    ]
    figures = {"close": [{"floors": f, "runs": [_close("2009-07", s)]} for f, s in samples]}
    row = targets.rows(figures)[0]
    assert row.what.startswith("monthly_close") and row.samples == 3 and row.measured == "15.0 s"
    assert abs(row.ratio - 1.2) < 0.001 and row.holds is True
    assert targets.rows({"close": figures["close"][2:]})[0].holds is False


def test_what_a_first_sample_prepares_for_the_later_ones_does_not_count_as_its_cost(tmp_path):
    bench = _bench(tmp_path, 3600.0)
    bench.sample("close", lambda index: {"index": index} | ({"setup_seconds": 30.0} if index == 0 else {}))
    assert bench.figures["close"][0]["sample_seconds"] == 0.0  # took next to nothing, "30 s" of it preparation
    bench._take("close")
    assert bench.figures["close"][1]["sample_seconds"] > 0.0
