"""One measurement per child process: ``python -m bench.probes NAME ARGS_JSON OUT_JSON``.

Each probe runs in a fresh interpreter so its peak memory (the parent reads it with ``os.wait4``) and its imports
are its own. Times are wall-clock seconds from ``time.perf_counter``; what a probe times is said in its docstring.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Args = dict[str, Any]

EMPTY_DAG = """
import pendulum
from airflow.sdk import dag, task


@dag(dag_id="bench_empty", schedule=None, start_date=pendulum.datetime(2009, 1, 1))
def bench_empty():
    @task
    def nothing() -> None:
        return None

    nothing()


bench_empty()
"""


def _settings():
    from itreport.config.settings import Settings

    return Settings.from_env()


def gx_import(args: Args) -> dict[str, Any]:
    """``import great_expectations`` in a fresh interpreter."""
    start = time.perf_counter()
    import great_expectations  # noqa: F401

    return {"seconds": time.perf_counter() - start}


def empty_dag(args: Args) -> dict[str, Any]:
    """Load a one-task no-op DAG with DagBag and run it with ``dag.test()`` (Airflow already imported)."""
    dags = Path(tempfile.mkdtemp(prefix="bench-dags-"))
    (dags / "bench_empty.py").write_text(EMPTY_DAG, encoding="utf-8")
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)  # dag.test() runs DAGs of the configured folder only
    _airflow_ready()

    from itreport.orchestration.local_runner import load_dag

    start = time.perf_counter()
    run = load_dag("bench_empty", dags).test()
    seconds = time.perf_counter() - start
    shutil.rmtree(dags)
    return {"seconds": seconds, "state": str(run.state)}


def dbt_one_model(args: Args) -> dict[str, Any]:
    """``dbt build`` of a one-model project on the warehouse (dbt's import included, as in a close)."""
    project = Path(tempfile.mkdtemp(prefix="bench-dbt-"))
    (project / "models").mkdir()
    (project / "models" / "one.sql").write_text("select 1 as x\n", encoding="utf-8")
    (project / "dbt_project.yml").write_text(
        "name: bench\nversion: '1.0.0'\nconfig-version: 2\nprofile: itreport\nmodel-paths: ['models']\n",
        encoding="utf-8",
    )
    from itreport.config import warehouse

    settings = _settings()
    os.environ.update(warehouse.dbt_env(settings))
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"  # as in the DAG's tasks (and no .user.yml written)
    start = time.perf_counter()
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(
        ["build", "--project-dir", str(project), "--profiles-dir", str(settings.dbt_project_dir), "--quiet"]
    )
    seconds = time.perf_counter() - start
    shutil.rmtree(project)
    return {"seconds": seconds, "success": bool(result.success)}


def _messages(maildirs: list[str]) -> list[bytes]:
    from ingestion.mailbox.maildir import iter_maildir

    return [raw for maildir in maildirs for _, raw, _ in iter_maildir(Path(maildir))]


DOCX_TEXT = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"


def _unzip_lxml(payload: bytes) -> list[str]:
    import zipfile
    from io import BytesIO

    from lxml import etree

    with zipfile.ZipFile(BytesIO(payload)) as package:
        root = etree.fromstring(package.read("word/document.xml"))
    return [node.text or "" for node in root.iter(DOCX_TEXT)]


def _word_files(raws: list[bytes]) -> tuple[list[Any], list[Any]]:
    """The .docx and the .doc attachments the product would read (after its attachment checks)."""
    from ingestion.decide import classify
    from ingestion.documents.attachments import check_attachment
    from ingestion.mailbox.headers import parse_bytes

    docx, docs = [], []
    for raw in raws:
        for attachment in classify.attachments(parse_bytes(raw)):
            try:
                kind = check_attachment(attachment)
            except Exception:
                continue
            (docx if kind == "docx" else docs).append(attachment)
    return docx, docs


def _copy_floor(conn: Any, raws: list[bytes]) -> float:
    """Seconds to unzip + lxml every .docx attachment of ``raws`` and COPY its cell texts into a table."""
    docx, _ = _word_files(raws)
    start = time.perf_counter()
    texts = [_unzip_lxml(a.payload) for a in docx]
    with conn.cursor().copy("copy floor_cells from stdin") as copy:
        for index, cells in enumerate(texts):
            for position, text in enumerate(cells):
                copy.write_row((index, position, text))
    seconds = time.perf_counter() - start
    conn.execute("truncate floor_cells")
    return seconds


def copy_floor(args: Args) -> dict[str, Any]:
    """The floor of one intake mailbox (``maildir``): unzip + lxml of every .docx attachment and a COPY of its cell
    texts (reading the files and their MIME is not timed). The bench takes it right after the intake of the same
    mailbox, so the two are measured on the machine as it was then."""
    import psycopg

    raws = _messages([args["maildir"]])
    with psycopg.connect(os.environ["ITREPORT_WAREHOUSE_URL"]) as conn:
        conn.execute("create temp table floor_cells (message int, position int, text text)")
        return {"messages": len(raws), "seconds": _copy_floor(conn, raws)}


def parse_floors(args: Args) -> dict[str, Any]:
    """On ``sample`` (a mixed Maildir): per .docx ``parse_report`` vs unzip + lxml; per .doc: antiword, one
    LibreOffice batch, and the product's .doc path."""
    from ingestion.decide import classify
    from ingestion.documents.doc_convert import convert_many, doc_text_with_antiword, libreoffice_available
    from ingestion.documents.doc_reader import convert_cached
    from ingestion.documents.docx_reader import parse_report
    from ingestion.domain.catalogue import default_catalogue

    raws = _messages([args["sample"]])
    docx, docs = _word_files(raws)
    start = time.perf_counter()
    for attachment in docx:
        _unzip_lxml(attachment.payload)
    unzip_seconds = time.perf_counter() - start
    catalogue = default_catalogue()
    start = time.perf_counter()
    for attachment in docx:
        parse_report(attachment.payload, catalogue=catalogue)
    parse_seconds = time.perf_counter() - start
    result: dict[str, Any] = {
        "messages": len(raws),
        "docx_files": len(docx),
        "doc_files": len(docs),
        "unzip_lxml_per_docx_ms": 1000 * unzip_seconds / max(len(docx), 1),
        "parse_report_per_docx_ms": 1000 * parse_seconds / max(len(docx), 1),
    }
    if docs:
        start = time.perf_counter()
        for attachment in docs:
            doc_text_with_antiword(attachment.payload)
        result["antiword_per_doc_ms"] = 1000 * (time.perf_counter() - start) / len(docs)
        if libreoffice_available():
            batch = {str(i): a.payload for i, a in enumerate(docs[: args.get("soffice_batch", 20)])}
            start = time.perf_counter()
            convert_many(batch, suffix=".doc", to="docx")
            result["soffice_batch_seconds"] = time.perf_counter() - start
            result["soffice_batch_files"] = len(batch)
        start = time.perf_counter()  # as a batch's workers do: antiword first, LibreOffice for the rest together
        waiting: dict[str, bytes] = {}
        for attachment in docs:
            try:
                classify._parse_attachment(attachment, catalogue, {}, defer_conversion=True)
            except classify.ConversionNeeded as needed:
                waiting[needed.key] = needed.payload
        converted = convert_cached(waiting, None) if waiting else {}
        for attachment in docs:
            if classify.payload_key(attachment.payload) in waiting:
                classify._parse_attachment(attachment, catalogue, converted)
        result["product_doc_path_per_doc_ms"] = 1000 * (time.perf_counter() - start) / len(docs)
    return result


def intake(args: Args) -> dict[str, Any]:
    """``run_intake`` over a whole Maildir into an empty database (GX's import included, as in a task)."""
    from ingestion.domain.registry import load_registry
    from itreport.orchestration.intake_run import run_intake

    settings = _settings()
    registry = load_registry(Path(args["seeds_dir"])) if args.get("seeds_dir") else None
    start = time.perf_counter()
    counts = run_intake(settings, registry=registry)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "messages": counts.seen,
        "per_message_ms": 1000 * seconds / max(counts.seen, 1),
        "states": dict(counts.states),
    }


def _airflow_ready() -> Any:
    from itreport.config import warehouse
    from itreport.orchestration import airflow_env

    settings = _settings()
    airflow_env.configure(settings, os.environ.get("BENCH_SMTP_URL"))
    os.environ.update(warehouse.dbt_env(settings))
    import airflow  # noqa: F401

    return settings


def _close(settings: Any, period: str) -> dict[str, Any]:
    """One ``monthly_close`` run through ``dag.test()``, as ``itreport.orchestration.local_runner`` runs it."""
    from ingestion.domain.periods import parse_period, previous_period
    from itreport.orchestration.local_runner import load_dag

    start = time.perf_counter()
    dag = load_dag("monthly_close", settings.dags_dir)
    logical_date = settings.deadline.deadline(previous_period(parse_period(period)))
    run = dag.test(logical_date=logical_date, run_conf={"period": period})
    seconds = time.perf_counter() - start
    tasks = {}
    for ti in run.get_task_instances():
        if ti.start_date and ti.end_date:
            # mapped tasks (intake_batch) have one instance per batch: their seconds add up
            tasks[ti.task_id] = tasks.get(ti.task_id, 0.0) + (ti.end_date - ti.start_date).total_seconds()
    return {"period": period, "seconds": seconds, "state": str(run.state), "tasks": tasks}


def close(args: Args) -> dict[str, Any]:
    """``period``'s mail arrives in the mailbox (which keeps earlier months' mail, as a real one does), then
    ``monthly_close`` runs for it in this fresh process (cold, as each run of a deployment is)."""
    from bench.corpus import deliver

    settings = _airflow_ready()
    deliver(Path(args["corpus"]), [args["period"]], settings.maildir)
    return _close(settings, args["period"])


def history(args: Args) -> dict[str, Any]:
    """A rebuild from the archive: intake of every message of the history, every period closed, ``dbt build
    --full-refresh`` of what the product's build plan runs on a new warehouse (every model, seed and data test;
    dbt's unit tests only where ``ITREPORT_DBT_UNIT_TESTS`` asks, as in CI). The next month's close, month N, is a
    ``close`` probe on the same database."""
    from dbt.cli.main import dbtRunner

    from ingestion.domain.periods import parse_period
    from itreport.config import warehouse
    from itreport.orchestration.close import close_period
    from itreport.orchestration.dbt_build import plan_build, record_full_build
    from itreport.orchestration.intake_run import run_intake

    settings = _airflow_ready()
    start = time.perf_counter()
    counts = run_intake(settings)
    intake_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for period in args["periods"]:
        close_period(settings, parse_period(period), "bench")
    close_seconds = time.perf_counter() - start
    work = Path(tempfile.mkdtemp(prefix="bench-dbt-target-"))
    command = ["build", "--full-refresh", "--project-dir", str(settings.dbt_project_dir)]
    command += ["--profiles-dir", str(settings.dbt_project_dir), "--target-path", str(work / "target")]
    command += ["--log-path", str(work / "logs"), "--vars", json.dumps(settings.dbt_vars()), "--quiet"]
    start = time.perf_counter()
    with warehouse.connect(settings, autocommit=True) as conn:
        plan = plan_build(
            conn, settings.dbt_project_dir, unit_tests=settings.dbt_unit_tests, dbt_vars=settings.dbt_vars()
        )
    command += ["--exclude", *plan.exclude.split()] if plan.exclude else []
    result = dbtRunner().invoke(command)
    dbt_seconds = time.perf_counter() - start
    shutil.rmtree(work, ignore_errors=True)
    if result.success:  # as after any rebuild outside the DAG: the next monthly build needs no seeds or views
        with warehouse.connect(settings) as conn:
            record_full_build(conn, settings.dbt_project_dir, settings.dbt_vars())
            conn.commit()
    return {
        "months": len(args["periods"]),
        "messages": counts.seen,
        "states": dict(counts.states),
        "intake_seconds": intake_seconds,
        "close_seconds": close_seconds,
        "dbt_full_refresh_seconds": dbt_seconds,
        "seconds": intake_seconds + close_seconds + dbt_seconds,
        "dbt_success": bool(result.success),
        "dbt_exclude": plan.exclude,
    }


PROBES: dict[str, Callable[[Args], dict[str, Any]]] = {
    "gx_import": gx_import,
    "empty_dag": empty_dag,
    "dbt_one_model": dbt_one_model,
    "copy_floor": copy_floor,
    "parse_floors": parse_floors,
    "intake": intake,
    "close": close,
    "history": history,
}


def main() -> None:
    name, args, out = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
    result = PROBES[name](args)
    out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # Airflow and GX leave threads behind; the result is written
