"""Intake batches shared by 1 vs 2 worker processes: what mapping ``intake_batch`` over Celery workers buys.

What runs: the product's own steps (``plan_intake`` → ``intake_batch`` per batch → ``finish_intake``) on the same
Maildir (a slice of the synthetic national month) into a fresh database, the batches handed to a pool of 1, then 2,
fresh worker processes (each imports the product and GX once, as a Celery worker process does). Not Airflow or
Celery themselves: their scheduling overhead is the same either way. Times are wall-clock seconds of the whole run
(plan, batches, finish), worker start included. Each batch decides its messages in its worker's own process
(``ITREPORT_INTAKE_PROCESSES=1``, as Celery workers running one batch per core are set up), so the comparison is of
the workers, not of the deciding processes a batch starts. ``python -m bench.workers WORKERS SEEDS_DIR OUT_JSON`` is
one run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

BATCHES = 4  # batches of the product's size the comparison runs on (all of a smaller month): 2 for each of 2 workers
WORKER_COUNTS = (1, 2)


def slice_maildir(maildir: Path, target: Path, count: int) -> Path:
    """The first ``count`` messages of ``maildir`` as symbolic links under ``target/new``, made afresh: intake
    files the links it read into the Maildir's processed folder."""
    shutil.rmtree(target, ignore_errors=True)
    for sub in ("new", "cur"):
        (target / sub).mkdir(parents=True)
    files = sorted(f for sub in ("new", "cur") if (maildir / sub).is_dir() for f in (maildir / sub).iterdir())
    for file in files[:count]:
        (target / "new" / file.name).symlink_to(file.resolve())
    return target


def measure(bench: Any, maildir: Path, seeds_dir: Path) -> dict[str, Any]:
    """One run per worker count, each on a fresh database, in a child process of the bench."""
    import subprocess

    runs = {}
    count = BATCHES * bench.settings().intake_batch_size
    for workers in WORKER_COUNTS:
        mail = slice_maildir(maildir, bench.home / "mail" / "workers", count)
        url = bench.database(f"bench_workers_{workers}")
        out = bench.logs / f"workers-{workers}.json"
        out.unlink(missing_ok=True)
        env = bench.env | {"ITREPORT_WAREHOUSE_URL": url, "ITREPORT_MAILDIR": str(mail)}
        env["ITREPORT_INTAKE_PROCESSES"] = "1"
        command = [sys.executable, "-m", "bench.workers", str(workers), str(seeds_dir), str(out)]
        with (bench.logs / f"workers-{workers}.log").open("wb") as log:
            subprocess.run(
                command, cwd=Path(__file__).resolve().parent.parent, env=env, stdout=log, stderr=log, check=True
            )
        runs[workers] = json.loads(out.read_text(encoding="utf-8"))
    return {"runs": runs, "cores": os.cpu_count()}


_REGISTRY: Any = None


def _start_worker(seeds_dir: str) -> None:
    global _REGISTRY
    import expectations.validate  # noqa: F401 - the imports a worker process pays once
    from ingestion.domain.registry import load_registry

    _REGISTRY = load_registry(Path(seeds_dir))


def _batch(batch: dict[str, Any]) -> dict[str, Any]:
    from ingestion.domain.records import IntakeBatch
    from itreport.config.settings import Settings
    from itreport.orchestration.intake_run import intake_batch

    return intake_batch(Settings.from_env(), IntakeBatch.from_dict(batch), registry=_REGISTRY).as_dict()


def run(workers: int, seeds_dir: Path) -> dict[str, Any]:
    from ingestion.domain.registry import load_registry
    from itreport.config.settings import Settings
    from itreport.orchestration.intake_run import BatchOutcome, finish_intake, plan_intake

    settings = Settings.from_env()
    start = time.perf_counter()
    plan = plan_intake(settings)
    planned = time.perf_counter()
    context = get_context("spawn")  # fresh interpreters, as worker processes are
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(str(seeds_dir),)
    ) as pool:
        outcomes = list(pool.map(_batch, [batch.as_dict() for batch in plan.batches]))
    batched = time.perf_counter()
    done = [BatchOutcome.from_dict(outcome) for outcome in outcomes]
    counts = finish_intake(settings, plan, done, registry=load_registry(seeds_dir))
    return {
        "workers": workers,
        "seconds": time.perf_counter() - start,
        "plan_seconds": planned - start,
        "batches_seconds": batched - planned,
        "batches": len(plan.batches),
        "batch_size": settings.intake_batch_size,
        "messages": counts.seen,
        "states": dict(counts.states),
    }


def row(figures: dict[str, Any] | None):  # -> bench.targets.Row
    from bench.targets import Row

    what = "intake batches mapped over 1 vs 2 workers"
    if not figures or not all(str(n) in figures["runs"] or n in figures["runs"] for n in WORKER_COUNTS):
        return Row(what, "not measured", "—", None, "—", None)
    runs = {int(n): run for n, run in figures["runs"].items()}
    one, two = runs[1], runs[2]
    return Row(
        f"{what} ({one['messages']} messages of the national month, {one['batches']} batches of {one['batch_size']}, "
        f"the product's plan → intake_batch → finish with batches in 1 vs 2 fresh processes, each batch decided in its "
        f"worker's own process, {figures['cores']} cores)",
        f"2 workers {one['seconds'] / two['seconds']:.2f}× faster",
        f"1 worker {one['seconds']:.1f} s, 2 workers {two['seconds']:.1f} s",
        one["seconds"] / two["seconds"],
        "— (bounded by the cores)",
        None,
    )


def main() -> None:
    workers, seeds_dir, out = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    out.write_text(json.dumps(run(workers, seeds_dir)), encoding="utf-8")


if __name__ == "__main__":
    main()
