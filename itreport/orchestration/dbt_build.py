"""What the monthly ``dbt build`` runs: every model, the tests on the marts, seeds only when they changed.

Seeds (the registry, the catalogue, targets, weights) change with a release, not with a month: their files'
checksum is kept in the warehouse (``raw.dbt_seed_state``) after each successful build, and a build whose seed
files match it (and whose seed tables are all there) excludes them. dbt unit tests test the SQL, not the data:
they run in CI (the test suite's full builds, or ``ITREPORT_DBT_UNIT_TESTS=true``), not in production runs.
The data tests upstream of the marts (tag ``upstream``: sources, staging, intermediate, the registry's
successions) test the SQL and its inputs (raw data is checked by GX at intake): they run in CI and in every build
that loads seeds, and a month of an unchanged release runs only the tests on the marts (whose contracts are
enforced on every build).

Views (staging, intermediate) change with a release too: the checksum of what compiles them (models, macros,
``dbt_project.yml``, the vars, dbt's version) is kept in ``raw.dbt_view_state``, and such a month (all its views
there) builds only the tables, which is most of a build's time saved: replacing a view locks it while the other
threads read it.

In such a month the tests on the incremental facts (``where: "rebuilt periods"``), and the marts derived from them
period by period (the trend across reorganisations, the reporting rates), read only the periods the build rewrote,
and the models derived year by year (the annual ranking, the target progress) only the years the month changed
(``macros/incremental.sql``): the rest was tested, and derived, by the build that wrote it. Those periods are
written into the SQL as a date, so PostgreSQL reads them through the period_month index (a month's tests and marts
do not grow with the history).

dbt parses the project partially: Cosmos keeps ``partial_parse.msgpack`` in its cache folder (``[cosmos]
cache_dir``) between runs, so a month re-parses only what changed (nothing, within a release).

dbt compiles every macro it calls, and every model's SQL, from Jinja again in each new process: the build keeps
that code beside the partial parse (:func:`use_template_code_cache`), so a month compiles only what it had never
called before (that took about a second of a month's build, whose threads mostly wait for the GIL). After a build
that succeeded, the code it did not use is removed (:func:`prune_template_code_cache`): the cache holds one build's.

Each of dbt's threads keeps its connection from node to node (:func:`keep_connections_between_nodes`): dbt-postgres
closes it after every model and test, and a new backend loads the catalog again for its first queries (about 0.15 s
of a month's build).

The build writes no JSON artifacts (``--no-write-json``, set in ``tasks.dbt_build``): nothing reads them (no
OpenLineage without its provider, no datasets emitted, no Cosmos callback), and dbt would serialize the whole
manifest twice. The partial parse file and the compiled SQL are written all the same. Nor does it write dbt's
debug log file (``--log-level-file none``): Cosmos runs dbt in a temporary copy of the project whose ``logs/``
it deletes after the run, and formatting a debug line for every statement of four threads cost about half a
second of a month's build. The task log keeps dbt's console lines (every node, every error).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg
from cosmos.operators.local import DbtBuildLocalOperator

from itreport.orchestration.heap import unscanned_imports

log = logging.getLogger(__name__)

SEED_SCHEMA = "reference"
UPSTREAM_TESTS = "tag:upstream"  # dbt_project.yml: data tests upstream of the marts
VIEWS = "config.materialized:view"
SCOPE_ENV = "ITREPORT_DBT_SCOPE"  # "rebuilt": what derives from the facts reads the periods they rewrote (or "all")
STALE_PARTIAL_SECONDS = 3600.0  # a partial Jinja code cache entry this old was left by a process that died
VIEW_FOLDERS = ("staging", "intermediate")  # dbt_project.yml: views, in schemas named as their folders
VIEW_STATE_DDL = """
create schema if not exists raw;
create table if not exists raw.dbt_view_state (
    project text primary key,
    checksum text not null,
    built_at timestamptz not null default now()
)
"""
SEED_STATE_DDL = """
create schema if not exists raw;
create table if not exists raw.dbt_seed_state (
    project text primary key,
    checksum text not null,
    loaded_at timestamptz not null default now()
)
"""


def seed_files(project_dir: Path) -> list[Path]:
    """What decides the seed tables' content: the seed folder's files and the project's seed configuration."""
    seeds = sorted(p for p in (project_dir / "seeds").rglob("*") if p.is_file())
    return [*seeds, project_dir / "dbt_project.yml"]


def seed_checksum(project_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in seed_files(project_dir):
        digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def seed_tables(project_dir: Path) -> list[str]:
    return sorted(p.stem for p in (project_dir / "seeds").rglob("*.csv"))


def view_checksum(project_dir: Path, dbt_vars: Mapping[str, object]) -> str:
    """What decides the views' SQL: models, macros, the project file, the vars and the dbt version."""
    digest = hashlib.sha256()
    files = sorted(p for folder in ("models", "macros") for p in (project_dir / folder).rglob("*") if p.is_file())
    for path in [*files, project_dir / "dbt_project.yml"]:
        digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    digest.update(json.dumps(dict(dbt_vars), sort_keys=True, default=str).encode() + b"\0")
    for package in ("dbt-core", "dbt-postgres"):
        digest.update(importlib.metadata.version(package).encode() + b"\0")
    return digest.hexdigest()


def view_models(project_dir: Path) -> list[tuple[str, str]]:
    """(schema, name) of every model in the folders dbt_project.yml materializes as views (a few intermediate
    models there are tables: built by every build, they need only be there)."""
    return sorted(
        (folder, path.stem) for folder in VIEW_FOLDERS for path in (project_dir / "models" / folder).rglob("*.sql")
    )


@dataclass(frozen=True)
class BuildPlan:
    checksum: str
    seeds_current: bool  # the warehouse holds these very seed files: no need to load them again
    unit_tests: bool
    views_checksum: str = ""
    views_current: bool = False  # every view is there, compiled from these very files: no need to replace it

    @property
    def rebuilt_only(self) -> bool:
        """Whether the tests on the incremental facts, and the marts derived from them period by period, read only
        the periods this build rewrites (``SCOPE_ENV``, macros/incremental.sql): in the months of an unchanged
        release, as for the upstream tests; every earlier row was tested, and derived, by the build that wrote
        it, against the same seeds."""
        return self.seeds_current and not self.unit_tests

    @property
    def exclude(self) -> str | None:
        """dbt's ``--exclude`` for this build (None: nothing excluded)."""
        parts = ["resource_type:seed"] if self.seeds_current else []
        if not self.unit_tests:
            parts.append("test_type:unit")
            if self.seeds_current:
                parts.append(UPSTREAM_TESTS)
                if self.views_current:
                    parts.append(VIEWS)
        return " ".join(parts) or None


def plan_build(
    conn: psycopg.Connection, project_dir: Path, *, unit_tests: bool, dbt_vars: Mapping[str, object] | None = None
) -> BuildPlan:
    checksum = seed_checksum(project_dir)
    conn.execute(SEED_STATE_DDL)
    row = conn.execute("select checksum from raw.dbt_seed_state where project = %s", (project_dir.name,)).fetchone()
    tables = seed_tables(project_dir)
    present = conn.execute(
        "select count(*) from information_schema.tables where table_schema = %s and table_name = any(%s)",
        (SEED_SCHEMA, tables),
    ).fetchone()
    seeds_current = row is not None and row[0] == checksum and present is not None and present[0] == len(tables)
    views = view_checksum(project_dir, dbt_vars or {})
    conn.execute(VIEW_STATE_DDL)
    recorded = conn.execute("select checksum from raw.dbt_view_state where project = %s", (project_dir.name,))
    expected = view_models(project_dir)
    existing = {
        (schema, name)
        for schema, name in conn.execute(
            "select table_schema, table_name from information_schema.tables where table_schema = any(%s)",
            (list(VIEW_FOLDERS),),
        )
    }
    views_current = recorded.fetchone() == (views,) and set(expected) <= existing
    return BuildPlan(checksum, seeds_current, unit_tests, views, views_current)


def record_seeds(conn: psycopg.Connection, project_dir: Path, checksum: str) -> None:
    """After a successful build: the warehouse's seed tables are those of ``checksum``."""
    conn.execute(SEED_STATE_DDL)
    conn.execute(
        """
        insert into raw.dbt_seed_state (project, checksum) values (%s, %s)
        on conflict (project) do update set checksum = excluded.checksum, loaded_at = now()
        """,
        (project_dir.name, checksum),
    )


def record_views(conn: psycopg.Connection, project_dir: Path, checksum: str) -> None:
    """After a successful build: the warehouse's views are those compiled from ``checksum``."""
    conn.execute(VIEW_STATE_DDL)
    conn.execute(
        """
        insert into raw.dbt_view_state (project, checksum) values (%s, %s)
        on conflict (project) do update set checksum = excluded.checksum, built_at = now()
        """,
        (project_dir.name, checksum),
    )


def record_full_build(conn: psycopg.Connection, project_dir: Path, dbt_vars: Mapping[str, object]) -> None:
    """After a successful full ``dbt build`` run outside the DAG (a rebuild of the history): the seeds and views
    are current, so the next monthly build needs neither."""
    record_seeds(conn, project_dir, seed_checksum(project_dir))
    record_views(conn, project_dir, view_checksum(project_dir, dbt_vars))


def partial_parse_cache(dag_id: str, task_id: str) -> Path | None:
    """Cosmos's cache folder for this task's ``partial_parse.msgpack`` (None when Cosmos's caches are off).

    A standalone Cosmos operator gets no cache folder (only ``DbtDag``/``DbtTaskGroup`` give theirs one), so
    without this every build would parse the whole project again."""
    from cosmos import settings as cosmos_settings

    if not (cosmos_settings.enable_cache and cosmos_settings.enable_cache_partial_parse):
        return None
    return Path(cosmos_settings.cache_dir) / f"{dag_id}__{task_id}"


def behavior_flag_source(frame: FrameType | None = None) -> str:
    """The module that registered a dbt behaviour flag (reported when the flag is off): the first caller outside
    ``dbt_common.behavior_flags``, as dbt_common's own ``_default_source`` finds it.

    dbt_common finds it with ``inspect.stack()`` for every flag an adapter registers without a source (all of
    them, whether or not the project sets the flag): that reads the source of every frame on the stack and maps
    every loaded module to its file, about half a second per build in a task that has imported Airflow, GX and
    dbt. The frames' globals name the module without reading anything."""
    from dbt_common import behavior_flags

    frame = frame or sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if name and name != behavior_flags.__name__:
            return name
        frame = frame.f_back
    return "Unknown"


def use_cheap_behavior_flag_source() -> None:
    """dbt_common's behaviour flags name their source with :func:`behavior_flag_source` (no setting of dbt or of
    its adapters avoids ``inspect.stack()`` there)."""
    from dbt_common.behavior_flags import BehaviorFlagRendered

    BehaviorFlagRendered._default_source = staticmethod(behavior_flag_source)  # type: ignore[method-assign]


def release_keeping_connection(manager: Any) -> None:
    """A thread's connection after a node: rolled back (as dbt's ``close`` does before closing) and kept for the
    thread's next node, which renames it (``set_connection_name``); closed as dbt would when it is not open or the
    rollback fails. dbt closes every thread's connection at the end of the run (``cleanup_all``)."""
    from dbt.adapters.base.connections import BaseConnectionManager
    from dbt.adapters.contracts.connection import ConnectionState

    with manager.lock:
        connection = manager.get_if_exists()
    # the state first: reading ``handle`` of a connection never opened would open it
    if connection is not None and connection.state == ConnectionState.OPEN and connection.handle.closed == 0:
        try:
            connection.handle.rollback()
            connection.transaction_open = False
            return
        except Exception:  # a broken connection: closed below, as dbt closes any
            log.debug("dbt connection %s not kept: its rollback failed", connection.name, exc_info=True)
    BaseConnectionManager.release(manager)  # dbt's own: close (PostgresConnectionManager inherits it)


def keep_connections_between_nodes() -> None:
    """dbt-postgres runs every model and test on a new connection (dbt releases a node's connection by closing it):
    a new backend, whose first query of each catalog view loads the catalog again (6.5 ms against 1 ms on a used
    connection), 40 times a monthly build. Each thread keeps its connection instead
    (:func:`release_keeping_connection`); nothing a node leaves on its session outlives the build but temporary
    tables of the incremental models, named for their model."""
    from dbt.adapters.postgres.connections import PostgresConnectionManager

    PostgresConnectionManager.release = release_keeping_connection  # type: ignore[method-assign]


@functools.cache
def template_compiler_versions() -> str:
    """The versions that decide how Jinja turns a template into Python code."""
    import jinja2

    return f"{sys.version}\0{jinja2.__version__}\0{importlib.metadata.version('dbt-common')}"


def template_code_key(environment: Any, source: str, name: str | None, filename: str | None, defer_init: bool) -> str:
    """What decides the Python code Jinja generates for ``source`` in one of dbt's environments."""
    parts = (
        template_compiler_versions(),
        f"{type(environment).__module__}.{type(environment).__qualname__}",
        *sorted(environment.extensions),
        repr(name),
        repr(filename),
        repr(defer_init),
        source,
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def use_template_code_cache(folder: Path) -> set[str]:
    """dbt's Jinja environments keep the code they compile from a macro or a model in ``folder``, and compile
    each source once per release instead of once per process. Returns the names of the entries this process
    reads or writes from now on (:func:`prune_template_code_cache` keeps those).

    A build compiles every macro it calls, and every model's SQL, again in each new process (dbt's template cache
    lives in the process): parsing Jinja and generating Python for the 300-odd sources of a month's build took about
    a second of it (measured: ``dbt_build`` 5.8 → 4.8 s), on threads that mostly wait for the GIL. The code Jinja
    generates depends only on the source, the environment's class and extensions, and the versions of Python, Jinja
    and dbt, which the key holds; an unreadable entry is compiled again."""
    import marshal

    from dbt_common.clients.jinja import MacroFuzzEnvironment, NativeSandboxEnvironment

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    used: set[str] = set()

    for environment_class in (MacroFuzzEnvironment, NativeSandboxEnvironment):
        compile_code = environment_class.compile
        if getattr(compile_code, "cached_in", None) is not None:
            compile_code = compile_code.__wrapped__

        def cached(
            self: Any,
            source: Any,
            name: str | None = None,
            filename: str | None = None,
            raw: bool = False,
            defer_init: bool = False,
            compile_code: Any = compile_code,
        ) -> Any:
            if raw or not isinstance(source, str):
                return compile_code(self, source, name, filename, raw, defer_init)
            entry = folder / template_code_key(self, source, name, filename, defer_init)
            used.add(entry.name)
            try:
                return marshal.loads(entry.read_bytes())
            except (OSError, ValueError, EOFError, TypeError):
                pass
            code = compile_code(self, source, name, filename, raw, defer_init)
            partial = entry.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
            try:
                partial.write_bytes(marshal.dumps(code))
                partial.replace(entry)
            except OSError as error:
                log.warning("Jinja code not cached (%s): %s", entry.name, error)
            return code

        cached.__wrapped__ = compile_code  # type: ignore[attr-defined]
        cached.cached_in = folder  # type: ignore[attr-defined]
        environment_class.compile = cached  # type: ignore[method-assign]
    return used


def prune_template_code_cache(folder: Path, used: set[str]) -> int:
    """Remove the entries of ``folder`` a build did not use (the code of macros and models a release changed or
    dropped, and of older dbt or Jinja versions), so the cache holds one build's sources; returns how many."""
    removed = 0
    for entry in folder.iterdir():
        if entry.name in used or (entry.suffix == ".tmp" and _younger_than(entry, STALE_PARTIAL_SECONDS)):
            continue  # a partial entry another process is writing now
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
            removed += 1
    return removed


def _younger_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime < seconds
    except FileNotFoundError:
        return True


class MonthlyDbtBuildOperator(DbtBuildLocalOperator):
    """Cosmos' ``dbt build``, excluding what :func:`plan_build` says the month does not need."""

    def execute(self, context: Any, **kwargs: Any) -> None:
        from itreport.config import warehouse
        from itreport.config.settings import Settings

        settings = Settings.from_env()
        project_dir = Path(self.project_dir)
        with warehouse.connect(settings, autocommit=True) as conn:
            plan = plan_build(conn, project_dir, unit_tests=settings.dbt_unit_tests, dbt_vars=self.vars or {})
        self.exclude = plan.exclude
        self.env = {**(self.env or {}), SCOPE_ENV: "rebuilt" if plan.rebuilt_only else "all"}
        self.log.info("dbt build excludes: %s; scope: %s periods", plan.exclude or "nothing", self.env[SCOPE_ENV])
        self.cache_dir = self.cache_dir or partial_parse_cache(self.dag_id, self.task_id)
        with unscanned_imports():
            import dbt.cli.main  # noqa: F401  (Cosmos imports it to find dbtRunner; here, for unscanned_imports)
        use_cheap_behavior_flag_source()
        keep_connections_between_nodes()
        templates = Path(self.cache_dir) / "jinja" if self.cache_dir is not None else None
        used = use_template_code_cache(templates) if templates is not None else set()
        super().execute(context, **kwargs)
        if templates is not None and used:
            self.log.info(
                "Jinja code cache: %d entries used, %d unused removed",
                len(used),
                prune_template_code_cache(templates, used),
            )
        with warehouse.connect(settings, autocommit=True) as conn:
            record_seeds(conn, project_dir, plan.checksum)
            record_views(conn, project_dir, plan.views_checksum)

    def _update_partial_parse_cache(self, tmp_dir_path: Path) -> None:
        """Cosmos's cache takes the build's partial parse and, beside it, its manifest.json, which this build does
        not write (``--no-write-json``; Cosmos would fail copying it): only the partial parse is kept."""
        from cosmos.dbt.project import get_partial_parse_path
        from cosmos.fs import safe_copy

        built = get_partial_parse_path(tmp_dir_path)
        if self.cache_dir is None or not built.exists():
            return
        cached = get_partial_parse_path(Path(self.cache_dir))
        cached.parent.mkdir(parents=True, exist_ok=True)
        safe_copy(built, cached)

    def calculate_openlineage_events_completes(self, *args: Any, **kwargs: Any) -> bool:
        """Lineage events only for Airflow's OpenLineage provider, the one reader of them: without it, Cosmos
        would still import the OpenLineage client and parse the build's artifacts for nothing."""
        if importlib.util.find_spec("airflow.providers.openlineage") is None:
            return False
        return super().calculate_openlineage_events_completes(*args, **kwargs)
