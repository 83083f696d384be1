"""``make bench``: every figure of issue 12 side by side in one run, each as a ratio to its floor.

Writes ``<state>/bench/results.md`` and ``results.json`` (state: ``ITREPORT_HOME``, default ``.local``). The bench
runs in a home of its own (``<state>/bench/home``: its own embedded PostgreSQL and Airflow metadata); each sample
of a scenario gets a fresh database and a fresh state folder (archive, GX results, dbt target), and runs in a
child process whose peak memory ``os.wait4`` reports (through :mod:`bench.launch`). Corpora are cached under
``<state>/bench/cache``.

Every figure is sampled ``BENCH_REPEATS`` times (default 3) and reported as a median, all samples in the JSON:
one pass takes a sample of each, then further rounds add samples, cheapest figure first, as long as the next
one fits in ``BENCH_BUDGET`` seconds (default 900); the table says how many samples each median is of. A sample
of the close takes, one right after the other, its floors, month 2 and (once the history is rebuilt) month N;
judged task by task on their fastest samples, these take two samples more (:data:`PAIRED`).
``BENCH_QUICK=1`` shrinks every size and takes one sample (a smoke run, not figures). ``BENCH_STEPS`` (keys of
steps, comma-separated, e.g. ``close`` or ``month_n``, which is the history and the close) runs only those steps
besides ``start`` and ``corpora``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import statistics
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
from ingestion.domain.periods import FIRST_PERIOD, add_months, parse_period

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_MARGIN = 1.15  # another sample is taken only if its longest sample so far, this much longer, fits the budget
INFORMATIONAL = frozenset({"intake_mixed"})  # figures no target judges: their further samples come last
# steps that need others: those reading the 12,000-unit month "national" builds; month N, which the close samples
# beside month 2 once the history is rebuilt
NEEDS = {"intake_national": ("national",), "workers": ("national",), "month_n": ("history", "close")}
HISTORY_BASE = "bench_history_base"  # the rebuilt history after its last close, copied before each month N
CLOSE_BASE = "bench_close_base"  # month 1 closed, copied before each month 2 after the first
# Month N is judged against month 2 task by task, on each task's fastest sample. Tasks of 50-100 ms vary by a
# quarter from one process to the next (Airflow's own work per task), so the close (its floors, month 2 and month N
# in each sample) takes more samples.
PAIRED = frozenset({"close"})
PAIRED_EXTRA = 2  # samples beyond BENCH_REPEATS for the figures in PAIRED


def last_month(today: date) -> date:
    return add_months(today.replace(day=1), -1)


def months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


@dataclasses.dataclass(frozen=True)
class Sizes:
    small_months: int  # 93-unit months of the small intake mailbox
    large_months: int  # and of the large one (the marginal cost per message is between the two)
    history_months: int  # 2009-06 → last month, at 93 units
    national_units: int
    repeats: int
    budget_seconds: float
    quick: bool
    steps: tuple[str, ...] = ()  # BENCH_STEPS: only these steps (empty: all)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, today: date | None = None) -> Sizes:
        env = dict(os.environ if env is None else env)
        quick = env.get("BENCH_QUICK", "") not in ("", "0")
        history = months_between(FIRST_PERIOD, last_month(today or date.today()))
        return cls(
            small_months=1,
            large_months=int(env.get("BENCH_MONTHS") or (2 if quick else 10)),
            history_months=int(env.get("BENCH_HISTORY_MONTHS") or (3 if quick else history)),
            national_units=int(env.get("BENCH_UNITS") or (200 if quick else 12_000)),
            repeats=int(env.get("BENCH_REPEATS") or (1 if quick else 3)),
            budget_seconds=float(env.get("BENCH_BUDGET") or 900),
            quick=quick,
            steps=tuple(key.strip() for key in env.get("BENCH_STEPS", "").split(",") if key.strip()),
        )

    def repeats_of(self, key: str) -> int:
        """Samples to take of figure ``key``: ``repeats``, and :data:`PAIRED_EXTRA` more for :data:`PAIRED`
        (none more in a quick run)."""
        return self.repeats + (PAIRED_EXTRA if key in PAIRED and not self.quick else 0)

    def runs(self, key: str) -> bool:
        """Whether step ``key`` runs (``start`` and ``corpora``, which the others need, always do; and the steps
        that a chosen step needs, :data:`NEEDS`)."""
        needed = {"start", "corpora", *self.steps}
        for step in self.steps:
            needed.update(NEEDS.get(step, ()))
        return not self.steps or key in needed


class Bench:
    def __init__(self, state: Path, console: Console, sizes: Sizes) -> None:
        self.root = state / "bench"
        self.home = self.root / "home"
        self.homes = self.root / "homes"
        self.cache = self.root / "cache"
        self.logs = self.root / "logs"
        self.console = console
        self.sizes = sizes
        self.figures: dict[str, Any] = {}
        self.failures: dict[str, str] = {}
        self.skipped: dict[str, str] = {}  # figure → why it has fewer samples than asked
        self.samplers: dict[str, Callable[[int], dict[str, Any]]] = {}
        self.loads: list[float] = []  # 1-minute load average at each step's start and end
        self.started = time.perf_counter()
        self.env = os.environ | {
            "AIRFLOW_HOME": str(self.home / "airflow"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
            "PYTHONPATH": str(ROOT),
            # every close replies to its agencies (2009's mail is older than the default 30 days, month N's not)
            "ITREPORT_NOTIFY_MAX_AGE_DAYS": "none",
        }
        self.env.pop("ITREPORT_MAILDIR", None)
        self.env.pop("ITREPORT_WAREHOUSE_URL", None)
        self.server: Any = None

    def settings(self) -> Any:
        from itreport.config.settings import Settings

        return Settings.from_env(self.env | {"ITREPORT_HOME": str(self.home)})

    def start(self) -> None:
        from itreport.config import warehouse

        for folder in (self.home, self.homes, self.cache, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        warehouse.warehouse_url(self.settings())
        self.server = warehouse._embedded_server(self.settings())
        airflow = Path(sys.executable).with_name("airflow")
        env = self.env | {"ITREPORT_HOME": str(self.home)}
        with (self.logs / "airflow-migrate.log").open("ab") as log:
            subprocess.run([str(airflow), "db", "migrate"], check=True, stdout=log, stderr=log, env=env)

    def database(self, name: str, *, template: str | None = None) -> str:
        """A new database ``name`` (a copy of ``template`` when given) and a new state folder beside it."""
        import psycopg

        with psycopg.connect(self.server.get_uri(), autocommit=True) as admin:
            admin.execute(f"drop database if exists {name} with (force)")
            # a copy of the template's files between two checkpoints: for month N's 530 MB, a second faster than
            # the default WAL_LOG strategy, and nothing left to write back when the probe starts
            admin.execute(f"create database {name}" + (f" template {template} strategy file_copy" if template else ""))
        home = self.homes / name
        shutil.rmtree(home, ignore_errors=True)
        if template:
            shutil.copytree(self.homes / template, home, symlinks=True, copy_function=_link_archive)
        home.mkdir(parents=True, exist_ok=True)
        return self.server.get_uri(name)

    def settle(self) -> None:
        """Write out what setting up a probe left dirty (a restored 500 MB database is as much WAL and dirty pages;
        the mailbox copied for it), so that the probe does not pay for its own set-up's writeback."""
        import psycopg

        with psycopg.connect(self.server.get_uri(), autocommit=True) as admin:
            admin.execute("checkpoint")
        os.sync()

    def probe(
        self,
        name: str,
        args: dict[str, Any],
        *,
        database: str,
        maildir: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One probe in a child process on ``database`` and its state folder (see :meth:`database`); adds its
        peak memory (MB) and wall time (s, interpreter start included)."""
        env = (
            self.env
            | (env or {})
            | {
                "ITREPORT_WAREHOUSE_URL": self.server.get_uri(database),
                "ITREPORT_HOME": str(self.homes / database),
            }
        )
        if maildir is not None:
            env["ITREPORT_MAILDIR"] = str(maildir)
        self.settle()
        tag = f"{database}-{name}{args.get('period', '')}"
        out, peak = self.logs / f"{tag}.json", self.logs / f"{tag}.peak"
        out.unlink(missing_ok=True)
        command = [sys.executable, "-m", "bench.launch", str(peak), sys.executable, "-m", "bench.probes", name]
        command += [json.dumps(args), str(out)]
        started = time.perf_counter()
        with (self.logs / f"{tag}.log").open("wb") as log:
            returncode = subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=log).returncode
        if returncode != 0 or not out.exists():
            raise RuntimeError(f"probe {name} exited {returncode}; see {tag}.log in {self.logs}")
        result = json.loads(out.read_text(encoding="utf-8"))
        result["peak_mb"] = int(peak.read_text(encoding="utf-8")) / 1024
        result["wall_seconds"] = time.perf_counter() - started
        return result

    def floors(self) -> dict[str, dict[str, Any]]:
        """The close's floors, each in its own process on a fresh database: GX import, an empty DAG run through
        ``dag.test()``, a 1-model dbt build (:data:`bench.targets.FLOORS`)."""
        floors = {}
        for key in targets.FLOORS:
            self.database("bench_floor")
            floors[key] = self.probe(key, {}, database="bench_floor")
        return floors

    def sample(self, key: str, take: Callable[[int], dict[str, Any]]) -> None:
        """The first sample of figure ``key`` (``take(i)`` makes sample i); :meth:`more_samples` takes the rest."""
        self.samplers[key] = take
        self._take(key)

    def _take(self, key: str) -> None:
        samples: list[dict[str, Any]] = self.figures.setdefault(key, [])
        started = time.perf_counter()
        result = self.samplers[key](len(samples))
        # what a first sample prepares for the later ones (``setup_seconds``) is not what another sample costs
        result["sample_seconds"] = max(0.0, time.perf_counter() - started - result.get("setup_seconds", 0.0))
        samples.append(result)

    def one_sample_seconds(self, key: str) -> float:
        return statistics.median(s["sample_seconds"] for s in self.figures[key])

    def next_sample_estimate(self, key: str) -> float:
        """What another sample of ``key`` may take: its longest so far, and a margin (a busier moment of the
        machine makes a sample slower than the median; the budget is a promise)."""
        return SAMPLE_MARGIN * max(s["sample_seconds"] for s in self.figures[key])

    def more_samples(self, progress: Progress) -> None:
        """Samples 2..:meth:`Sizes.repeats_of` of every figure, round by round, the figures a target judges first
        (then those only informative, :data:`INFORMATIONAL`), cheapest first, each only if it still fits the budget
        (the figures left short are noted)."""
        measured = [key for key in self.samplers if self.figures.get(key)]  # a figure whose first sample failed: no
        wanted = {key: self.sizes.repeats_of(key) for key in measured}
        task = progress.add_task("more samples", total=sum(wanted[k] - len(self.figures[k]) for k in measured))
        for _ in range(max(wanted.values(), default=1) - 1):
            for key in sorted(measured, key=lambda key: (key in INFORMATIONAL, self.one_sample_seconds(key))):
                if len(self.figures[key]) >= wanted[key]:
                    continue
                if time.perf_counter() - self.started + self.next_sample_estimate(key) > self.sizes.budget_seconds:
                    continue
                progress.update(task, description=f"another sample: {key}")
                try:
                    self._take(key)
                except Exception as error:
                    self.failures[f"another sample of {key}"] = f"{type(error).__name__}: {error}"
                progress.advance(task)
        progress.remove_task(task)
        for key in measured:
            taken = len(self.figures[key])
            if taken < wanted[key]:
                self.skipped[key] = (
                    f"{taken} of {wanted[key]} samples: one may take {self.next_sample_estimate(key):.0f} s, "
                    f"more would pass the {self.sizes.budget_seconds:.0f} s budget"
                )


def _link_archive(source: str, target: str) -> None:
    """Copy a state folder's file; the archive's are written once (named by content hash), so they are linked."""
    if f"{os.sep}archive{os.sep}" in source:
        os.link(source, target)
    else:
        shutil.copy2(source, target)


@dataclasses.dataclass(frozen=True)
class Step:
    key: str
    title: str
    action: Callable[[], None]


def run(console: Console) -> Path:
    from itreport.config.settings import Settings
    from itreport.demo import smtp_sink

    sizes = Sizes.from_env()
    state = Settings.from_env().home
    bench = Bench(state, console, sizes)
    history = corpus.periods(sizes.history_months + 1)  # the history and month N after it
    month_n = history[-1]
    mail = bench.root / "mail"
    load_before = os.getloadavg()
    steps: list[Step] = []
    progress_bar: list[Progress] = []

    def step(key: str, title: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
        def register(action: Callable[[], None]) -> Callable[[], None]:
            if sizes.runs(key):
                steps.append(Step(key, title, action))
            return action

        return register

    @step("start", "warehouse and Airflow metadata of the bench")
    def _start() -> None:
        bench.start()

    mixed_corpus: list[Path] = []

    @step("corpora", f"93-unit sample months (cached): {len(history)} mixed, {sizes.large_months} .docx only")
    def _corpora() -> None:
        progress = progress_bar[0]
        mixed = corpus.build_corpus(bench.cache, len(history), with_doc=True, progress=progress)
        docx = corpus.build_corpus(bench.cache, sizes.large_months, with_doc=False, progress=progress)
        for kind, source in (("docx", docx), ("mixed", mixed)):
            corpus.copy_months(source, history[: sizes.small_months], mail / f"{kind}-small")
            corpus.copy_months(source, history[: sizes.large_months], mail / f"{kind}-large")
        corpus.copy_months(mixed, history[:-1], mail / "history")
        mixed_corpus.append(mixed)

    national: list[synthetic.SyntheticMonth] = []

    @step("national", f"{sizes.national_units:,}-unit month from the form's XML (cached)")
    def _national() -> None:
        national.append(synthetic.build_month(bench.cache / "national", sizes.national_units))

    @step("parse_floors", "floors: parse_report vs unzip + lxml, antiword, LibreOffice")
    def _parse() -> None:
        args = {"sample": str(mail / "mixed-large")}

        def take(index: int) -> dict[str, Any]:
            bench.database("bench_floor")
            return bench.probe("parse_floors", args, database="bench_floor")

        bench.sample("parse_floors", take)

    for kind in ("docx", "mixed"):

        @step(
            f"intake_{kind}",
            f"intake of {sizes.small_months} and of {sizes.large_months} months of {kind} mail, fresh each time, "
            "each followed by its floor",
        )
        def _intake(kind: str = kind) -> None:
            def take(index: int) -> dict[str, Any]:
                runs = {}
                for size in ("small", "large"):
                    database = f"bench_{kind}_{size}"
                    bench.database(database)
                    # a copy: intake files what it read into the Maildir's processed folder (the floor reads these)
                    maildir = corpus.snapshot(mail / f"{kind}-{size}", mail / f"intake-{kind}-{size}")
                    runs[size] = bench.probe("intake", {}, database=database, maildir=maildir)
                    # the floor of the same mail right after: a ratio of two figures taken seconds apart
                    floor_args = {"maildir": str(mail / f"{kind}-{size}")}
                    runs[size]["floor"] = bench.probe("copy_floor", floor_args, database=database)
                return runs

            bench.sample(f"intake_{kind}", take)

    # Month N answers the mail received since it began (the hourly intake answered the history's at the time,
    # and a rebuild mails nobody), as month 2 answers its own (month 1's close answered month 1's).
    since = (date.today() - parse_period(month_n)).days + 1
    month_n_replies = {"ITREPORT_NOTIFY_MAX_AGE_DAYS": str(max(since, 1))}

    @step("history", f"history rebuild: {sizes.history_months} months {history[0]} → {history[-2]} at 93 units")
    def _history() -> None:
        def take(index: int) -> dict[str, Any]:
            bench.database("bench_history")
            corpus.copy_months(mixed_corpus[0], history[:-1], mail / "history")  # without an earlier month N
            args = {"periods": history[:-1]}
            result = bench.probe("history", args, database="bench_history", maildir=mail / "history")
            # Not part of the figure: the last month's close through the DAG, as after any rebuild, records the
            # history's replies as withheld (too old to send), so month N's close answers only its own mail.
            args = {"period": history[-2], "corpus": str(mixed_corpus[0])}
            settle = bench.probe("close", args, database="bench_history", maildir=mail / "history", env=month_n_replies)
            bench.database(HISTORY_BASE, template="bench_history")  # what each sample of month N starts from
            corpus.snapshot(mail / "history", mail / HISTORY_BASE)  # and its mailbox: the history filed as processed
            return result | {"last_month_close": settle}

        bench.sample("history", take)

    def month_2_close() -> dict[str, Any]:
        # restored from a copy as month N is (the same checkpoint before the probe), so the two months' samples
        # are taken alike
        bench.database("bench_close", template=CLOSE_BASE)
        maildir = corpus.snapshot(mail / CLOSE_BASE, mail / "close")
        month_2 = {"period": history[1], "corpus": str(mixed_corpus[0])}
        return bench.probe("close", month_2, database="bench_close", maildir=maildir)

    def month_n_close() -> dict[str, Any]:
        # the history's own database and state folder, as they were after its last close: a deployment closes
        # month N where it closed the month before (another database name would be another dbt profile, so
        # dbt would parse the whole project again instead of reusing the partial parse)
        bench.database("bench_history", template=HISTORY_BASE)
        # the mailbox the history was read from, as that close left it (the history's files filed into its
        # processed folder), at the same path: the warehouse knows its files by source (``maildir:<path>``)
        maildir = corpus.snapshot(mail / HISTORY_BASE, mail / "history")
        args = {"period": month_n, "corpus": str(mixed_corpus[0])}
        return bench.probe("close", args, database="bench_history", maildir=maildir, env=month_n_replies)

    @step(
        "close",
        "monthly_close of month 2 (93 units) through dag.test(), month 1 closed before it, beside its floors "
        f"and month N ({month_n}) on the rebuilt history",
    )
    def _close() -> None:
        def take(index: int) -> dict[str, Any]:
            first: dict[str, Any] = {}
            if index == 0:
                setup = time.perf_counter()
                bench.database("bench_close")
                maildir = corpus.copy_months(mixed_corpus[0], [], mail / "close")
                month_1 = {"period": history[0], "corpus": str(mixed_corpus[0])}
                first = {"month_1": bench.probe("close", month_1, database="bench_close", maildir=maildir)}
                bench.database(CLOSE_BASE, template="bench_close")  # what each sample of month 2 starts from
                corpus.snapshot(mail / "close", mail / CLOSE_BASE)  # and its mailbox: month 1 filed as processed
                first["setup_seconds"] = time.perf_counter() - setup
            # The floors, month 2 and month N taken one after the other, month 2 in the middle and the others
            # swapping sides from one sample to the next: a machine that slows down during the bench moves a close
            # and its floors, and month 2 and month N, together.
            parts: list[tuple[str, Callable[[], Any]]] = [("floors", bench.floors), ("runs", month_2_close)]
            if bench.figures.get("history"):
                parts.append(("month_n", month_n_close))
            if index % 2:
                parts.reverse()
            sample = {key: measure() for key, measure in parts}
            sample["runs"] = [sample["runs"]]
            return sample | first

        bench.sample("close", take)

    @step("intake_national", f"intake of the {sizes.national_units:,}-unit month (peak memory of the process)")
    def _intake_national() -> None:
        month = national[0]

        def take(index: int) -> dict[str, Any]:
            bench.database("bench_national")
            args = {"seeds_dir": str(month.seeds_dir)}
            maildir = corpus.snapshot(month.maildir, mail / "national")  # the cached month stays as it was built
            return bench.probe("intake", args, database="bench_national", maildir=maildir) | {"plan": month.plan}

        bench.sample("intake_national", take)

    @step("workers", "intake batches of the national month by 1 vs 2 worker processes")
    def _workers() -> None:
        from bench import workers

        bench.figures["workers"] = workers.measure(bench, national[0].maildir, national[0].seeds_dir)

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with smtp_sink.running_sink(bench.home / "outbox") as smtp_url, Progress(*columns, console=console) as progress:
        progress_bar.append(progress)
        bench.env["BENCH_SMTP_URL"] = smtp_url
        overall = progress.add_task("bench", total=len(steps))
        for current in steps:
            progress.update(overall, description=current.title)
            bench.loads.append(os.getloadavg()[0])
            begun = time.perf_counter()
            try:
                current.action()
                progress.console.print(f"[green]✓[/] {current.title} ({time.perf_counter() - begun:.0f} s)")
            except Exception as error:
                bench.failures[current.title] = f"{type(error).__name__}: {error}"
                progress.console.print(f"[red]✗[/] {current.title}: {error}")
            bench.loads.append(os.getloadavg()[0])
            progress.advance(overall)
        most = max(sizes.repeats_of(key) for key in bench.samplers) if bench.samplers else sizes.repeats
        progress.update(overall, description=f"more samples, up to {most} of each figure, within the budget")
        bench.loads.append(os.getloadavg()[0])
        bench.more_samples(progress)
        bench.loads.append(os.getloadavg()[0])
    return report(bench, load_before)


def report(bench: Bench, load_before: tuple[float, float, float]) -> Path:
    table = targets.rows(bench.figures)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - bench.started
    machine = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit.stdout.strip(),
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "load_max_1min": max(bench.loads, default=load_before[0]),
        "bench_seconds": seconds,
        "sizes": dataclasses.asdict(bench.sizes),
        "sample_seconds": {key: bench.one_sample_seconds(key) for key in bench.samplers if bench.figures.get(key)},
        "skipped": bench.skipped,
    }
    header = (
        f"# itreport bench, {machine['when']} (commit {machine['commit']}): {machine['cpus']} cores, "
        f"load {load_before[0]:.1f} before → {machine['load_after'][0]:.1f} after (1-minute; highest seen "
        f"{machine['load_max_1min']:.1f}), medians of up to {bench.sizes.repeats} samples "
        f"({bench.sizes.repeats_of('close')} of the close, its floors, month 2 and month N), "
        f"took {seconds:.0f} s of a {bench.sizes.budget_seconds:.0f} s budget"
        + (" — BENCH_QUICK smoke run, not figures" if bench.sizes.quick else "")
    )
    notes = [f"{figure}: {why}" for figure, why in bench.skipped.items()]
    text = targets.markdown(table, header)
    if notes:
        text += "\nFewer samples than asked:\n" + "".join(f"- {note}\n" for note in notes)
    if bench.failures:
        text += "\nFailed steps:\n" + "".join(f"- {k}: {v}\n" for k, v in bench.failures.items())
    (bench.root / "results.md").write_text(text, encoding="utf-8")
    payload = {"machine": machine, "rows": [r.as_dict() for r in table], "figures": bench.figures}
    payload["failures"] = bench.failures
    (bench.root / "results.json").write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    rich_table = Table(title=header.removeprefix("# "))
    for column in ("what", "measured", "floor", "ratio", "target", "holds", "n", "peak MB"):
        rich_table.add_column(column)
    for row in table:
        holds = {True: "[green]yes[/]", False: "[red]no[/]", None: "—"}[row.holds]
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}"
        peak = "—" if row.peak_mb is None else f"{row.peak_mb:.0f}"
        rich_table.add_row(row.what, row.measured, row.floor, ratio, row.target, holds, str(row.samples or "—"), peak)
    bench.console.print(rich_table)
    for note in notes:
        bench.console.print(f"[yellow]fewer samples:[/] {note}")
    for title, error in bench.failures.items():
        bench.console.print(f"[red]failed:[/] {title}: {error}")
    bench.console.print(f"The bench took {seconds:.0f} s (budget {bench.sizes.budget_seconds:.0f} s).")
    bench.console.print(f"Written: {bench.root / 'results.md'} and results.json; logs in {bench.logs}")
    return bench.root / "results.md"


def main() -> None:
    run(Console())


if __name__ == "__main__":
    main()
