"""``make bench``: every figure of issue 12 side by side in one run, each as a ratio to its floor.

Writes ``<state>/bench/results.md`` and ``results.json`` (state: ``ITREPORT_HOME``, default ``.local``). The bench
runs in a home of its own (``<state>/bench/home``: its own embedded PostgreSQL, Airflow metadata, archive), one
fresh database per scenario, each measurement in a child process whose peak memory ``os.wait4`` reports.
Corpora are cached under ``<state>/bench/cache``. ``BENCH_QUICK=1`` shrinks every size (a smoke run, not figures).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from bench import corpus, synthetic, targets
from ingestion.domain.periods import FIRST_PERIOD, add_months

ROOT = Path(__file__).resolve().parent.parent


@dataclasses.dataclass(frozen=True)
class Sizes:
    months: int  # 93-unit sample months for the intake figures and the history prefix
    national_units: int
    repeats: int

    @classmethod
    def from_env(cls) -> Sizes:
        quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
        return cls(
            months=int(os.environ.get("BENCH_MONTHS") or (2 if quick else 10)),
            national_units=int(os.environ.get("BENCH_UNITS") or (200 if quick else 12_000)),
            repeats=int(os.environ.get("BENCH_REPEATS") or (1 if quick else 3)),
        )


class Bench:
    def __init__(self, state: Path, console: Console) -> None:
        self.root = state / "bench"
        self.home = self.root / "home"
        self.cache = self.root / "cache"
        self.logs = self.root / "logs"
        self.console = console
        self.figures: dict[str, Any] = {}
        self.failures: dict[str, str] = {}
        self.env = os.environ | {
            "ITREPORT_HOME": str(self.home),
            "AIRFLOW_HOME": str(self.home / "airflow"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
            "PYTHONPATH": str(ROOT),
        }
        self.env.pop("ITREPORT_MAILDIR", None)
        self.env.pop("ITREPORT_WAREHOUSE_URL", None)
        self.server: Any = None

    def settings(self) -> Any:
        from itreport.config.settings import Settings

        return Settings.from_env(self.env)

    def start(self) -> None:
        from itreport.config import warehouse

        for folder in (self.home, self.cache, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        warehouse.warehouse_url(self.settings())
        self.server = warehouse._embedded_server(self.settings())
        airflow = Path(sys.executable).with_name("airflow")
        with (self.logs / "airflow-migrate.log").open("ab") as log:
            subprocess.run([str(airflow), "db", "migrate"], check=True, stdout=log, stderr=log, env=self.env)

    def database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.server.get_uri(), autocommit=True) as admin:
            admin.execute(f"drop database if exists {name} with (force)")
            admin.execute(f"create database {name}")
        return self.server.get_uri(name)

    def probe(
        self, name: str, args: dict[str, Any], *, database: str, maildir: Path | None = None, fresh: bool = True
    ) -> dict[str, Any]:
        """One probe in a child process (on a new ``database`` unless not ``fresh``); adds its peak memory (MB)
        and wall time (s, interpreter start included)."""
        url = self.database(database) if fresh else self.server.get_uri(database)
        env = self.env | {"ITREPORT_WAREHOUSE_URL": url}
        if maildir is not None:
            env["ITREPORT_MAILDIR"] = str(maildir)
        tag = args.get("period", "")
        out = self.logs / f"{database}-{name}{tag}.json"
        out.unlink(missing_ok=True)
        command = [sys.executable, "-m", "bench.probes", name, json.dumps(args), str(out)]
        started = time.perf_counter()
        with (self.logs / f"{database}-{name}{tag}.log").open("wb") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0 or not out.exists():
            raise RuntimeError(f"probe {name} exited {process.returncode}; see {log.name} in {self.logs}")
        result = json.loads(out.read_text(encoding="utf-8"))
        result["peak_mb"] = usage.ru_maxrss / 1024
        result["wall_seconds"] = time.perf_counter() - started
        return result


def last_month(today: date) -> date:
    return add_months(today.replace(day=1), -1)


def run(console: Console) -> Path:
    from itreport.config.settings import Settings
    from itreport.demo import smtp_sink

    sizes = Sizes.from_env()
    state = Settings.from_env().home
    bench = Bench(state, console)
    labels = corpus.periods(sizes.months + 1)
    full_months = len(corpus.periods(_months_between(FIRST_PERIOD, last_month(date.today()))))
    mail = bench.home / "mail"
    started = time.perf_counter()
    load_before = os.getloadavg()
    steps: list[tuple[str, Callable[[], None]]] = []

    def step(title: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
        def register(action: Callable[[], None]) -> Callable[[], None]:
            steps.append((title, action))
            return action

        return register

    @step("warehouse and Airflow metadata of the bench")
    def _start() -> None:
        bench.start()

    docx_months = min(sizes.months, 3)
    mixed_corpus: list[Path] = []

    @step(f"93-unit sample months (cached): {sizes.months + 1} mixed, {docx_months} .docx only")
    def _corpora() -> None:
        mixed = corpus.build_corpus(bench.cache, sizes.months + 1, with_doc=True)
        docx = corpus.build_corpus(bench.cache, docx_months, with_doc=False)
        corpus.copy_months(mixed, labels[: sizes.months], mail / "mixed")
        corpus.copy_months(docx, labels[:docx_months], mail / "docx")
        corpus.copy_months(mixed, [], mail / "close")
        corpus.copy_months(mixed, labels[: sizes.months], mail / "history")
        mixed_corpus.append(mixed)

    national: list[synthetic.SyntheticMonth] = []

    @step(f"{sizes.national_units:,}-unit month from the form's XML (cached)")
    def _national() -> None:
        national.append(synthetic.build_month(bench.cache / "national", sizes.national_units))

    def floor(name: str) -> Callable[[], None]:
        def action() -> None:
            bench.figures[name] = [bench.probe(name, {}, database="bench_floor") for _ in range(sizes.repeats)]

        return action

    step(f"floor: GX import (×{sizes.repeats})")(floor("gx_import"))
    step(f"floor: empty DAG run through dag.test() (×{sizes.repeats})")(floor("empty_dag"))
    step(f"floor: 1-model dbt build (×{sizes.repeats})")(floor("dbt_one_model"))

    @step("floors: unzip + lxml + COPY, parse_report, antiword, LibreOffice, the .doc path")
    def _parse() -> None:
        args = {"maildirs": [str(mail / "mixed")]}
        bench.figures["parse_floors"] = bench.probe("parse_floors", args, database="bench_floor")

    @step(f"intake of {docx_months} months of .docx mail")
    def _intake_docx() -> None:
        bench.figures["intake_docx"] = bench.probe("intake", {}, database="bench_docx", maildir=mail / "docx")

    @step(f"intake of {sizes.months} months of mixed .docx/.doc mail")
    def _intake_mixed() -> None:
        bench.figures["intake_mixed"] = bench.probe("intake", {}, database="bench_mixed", maildir=mail / "mixed")

    @step("monthly_close for months 1 and 2 (93 units) through dag.test()")
    def _close() -> None:
        runs = []
        for index, period in enumerate(labels[:2]):
            args = {"period": period, "corpus": str(mixed_corpus[0])}
            runs.append(bench.probe("close", args, database="bench_close", maildir=mail / "close", fresh=index == 0))
        bench.figures["close"] = {"runs": runs}

    @step(f"history rebuild ({sizes.months} of {full_months} months), then month {sizes.months + 1}'s close")
    def _history() -> None:
        args = {"periods": labels[: sizes.months]}
        result = bench.probe("history", args, database="bench_history", maildir=mail / "history")
        args = {"period": labels[sizes.months], "corpus": str(mixed_corpus[0])}
        month_n = bench.probe("close", args, database="bench_history", maildir=mail / "history", fresh=False)
        bench.figures["history"] = result | {"full_months": full_months, "month_n": month_n}

    @step(f"intake of the {sizes.national_units:,}-unit month (peak memory of the process)")
    def _intake_national() -> None:
        month = national[0]
        args = {"seeds_dir": str(month.seeds_dir)}
        bench.figures["intake_national"] = bench.probe("intake", args, database="bench_national", maildir=month.maildir)

    @step("intake batches of the national month by 1 vs 2 worker processes")
    def _workers() -> None:
        from bench import workers

        bench.figures["workers"] = workers.measure(bench, national[0].maildir, national[0].seeds_dir)

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with smtp_sink.running_sink(bench.home / "outbox") as smtp_url, Progress(*columns, console=console) as progress:
        bench.env["BENCH_SMTP_URL"] = smtp_url
        overall = progress.add_task("bench", total=len(steps))
        for title, action in steps:
            progress.update(overall, description=title)
            begun = time.perf_counter()
            try:
                action()
                progress.console.print(f"[green]✓[/] {title} ({time.perf_counter() - begun:.0f} s)")
            except Exception as error:
                bench.failures[title] = f"{type(error).__name__}: {error}"
                progress.console.print(f"[red]✗[/] {title}: {error}")
            progress.advance(overall)
    return report(bench, sizes, started, load_before)


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def report(bench: Bench, sizes: Sizes, started: float, load_before: tuple[float, float, float]) -> Path:
    table = targets.rows(bench.figures)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    machine = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit.stdout.strip(),
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "bench_seconds": time.perf_counter() - started,
        "sizes": dataclasses.asdict(sizes),
    }
    header = (
        f"# itreport bench, {machine['when']} (commit {machine['commit']}, {machine['cpus']} cores, "
        f"load {load_before[0]:.1f} → {machine['load_after'][0]:.1f}, {machine['bench_seconds']:.0f} s)"
    )
    text = targets.markdown(table, header)
    if bench.failures:
        text += "\nFailed steps:\n" + "".join(f"- {k}: {v}\n" for k, v in bench.failures.items())
    (bench.root / "results.md").write_text(text, encoding="utf-8")
    payload = {"machine": machine, "rows": [r.as_dict() for r in table], "figures": bench.figures}
    payload["failures"] = bench.failures
    (bench.root / "results.json").write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    rich_table = Table(title=header.removeprefix("# "))
    for column in ("what", "measured", "floor", "ratio", "target", "holds", "peak MB"):
        rich_table.add_column(column)
    for row in table:
        holds = {True: "[green]yes[/]", False: "[red]no[/]", None: "—"}[row.holds]
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}"
        peak = "—" if row.peak_mb is None else f"{row.peak_mb:.0f}"
        rich_table.add_row(row.what, row.measured, row.floor, ratio, row.target, holds, peak)
    bench.console.print(rich_table)
    for title, error in bench.failures.items():
        bench.console.print(f"[red]failed:[/] {title}: {error}")
    bench.console.print(f"Written: {bench.root / 'results.md'} and results.json; logs in {bench.logs}")
    return bench.root / "results.md"


def main() -> None:
    run(Console())


if __name__ == "__main__":
    main()
