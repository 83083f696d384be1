"""The warehouse connection: the embedded PostgreSQL (``pgserver``) by default, any PostgreSQL by URL.

Everything that talks to the warehouse gets its URL from :func:`warehouse_url`, so the embedded server
is started on first use and reused by later processes (Airflow tasks, dbt, psql).
"""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import psycopg
from psycopg.types.string import StrBinaryDumper, StrDumperUnknown

from itreport.config.settings import Settings

DATABASE = "itreport"


@dataclass(frozen=True)
class ConnectionParts:
    host: str
    port: int
    user: str
    password: str
    dbname: str


def _embedded_server(settings: Settings):  # -> pgserver.PostgresServer
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")  # pgserver's lock dir falls back to /tmp
    import pgserver

    settings.pgdata.parent.mkdir(parents=True, exist_ok=True)
    if _running_as_root():
        ensure_system_user(EMBEDDED_SYSTEM_USER)
    return pgserver.get_server(settings.pgdata, cleanup_mode=None)


EMBEDDED_SYSTEM_USER = "pgserver"  # started by root, pgserver runs PostgreSQL as this user (its own name for it)


def ensure_system_user(name: str, *, lock_dir: Path | None = None) -> int:
    """The uid of system user ``name``, created first if missing, one process at a time.

    pgserver creates its user on first use without a lock: two processes starting at once on a fresh machine
    (pytest-xdist workers, Celery workers) each ran ``useradd``, and one chowned the data folder to a uid that
    the other's ``useradd`` then replaced, so ``initdb`` failed with "Operation not permitted"."""
    import fcntl
    import pwd
    import tempfile

    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name).pw_uid
    lock_path = (lock_dir or Path(tempfile.gettempdir())) / f"itreport-useradd-{name}.lock"
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name).pw_uid
        subprocess.run(["useradd", "-s", "/bin/bash", name], check=True, capture_output=True, text=True)
        return pwd.getpwnam(name).pw_uid


def warehouse_url(settings: Settings) -> str:
    """The warehouse URL; for the embedded default, starts the server and creates the database if needed."""
    if settings.warehouse_url:
        return settings.warehouse_url
    server = _embedded_server(settings)
    admin_url = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone()
        if not exists:
            conn.execute(f"create database {DATABASE}")
    return server.get_uri(DATABASE)


def connection_parts(url: str) -> ConnectionParts:
    """Split a libpq URL (``host`` may be a unix-socket directory given as ``?host=``) for dbt's profile."""
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or "localhost"])[0]
    return ConnectionParts(
        host=host,
        port=parsed.port or int(query.get("port", ["5432"])[0]),
        user=unquote(parsed.username or "postgres"),
        password=unquote(parsed.password or ""),
        dbname=(parsed.path or "/").lstrip("/") or DATABASE,
    )


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment variables read by ``dbt_project/profiles.yml``.

    With ITREPORT_DBT_WAREHOUSE_URL set, dbt connects as that (its own) role; its password then comes from
    ITREPORT_PGPASSWORD where dbt runs, unless the URL carries one."""
    parts = connection_parts(settings.dbt_warehouse_url or warehouse_url(settings))
    return {
        "ITREPORT_PGHOST": parts.host,
        "ITREPORT_PGPORT": str(parts.port),
        "ITREPORT_PGUSER": parts.user,
        "ITREPORT_PGPASSWORD": parts.password,
        "ITREPORT_PGDATABASE": parts.dbname,
    }


class _CleanText(StrDumperUnknown):
    """Python text as PostgreSQL takes it: NUL characters dropped (PostgreSQL text cannot hold them) and lone
    surrogates (undecodable header bytes) replaced, so a sender's bytes can never make an insert fail."""

    def dump(self, obj: str) -> bytes:
        return obj.replace("\x00", "").encode(self._encoding, "replace")


class _CleanTextBinary(StrBinaryDumper):
    def dump(self, obj: str) -> bytes:
        return obj.replace("\x00", "").encode(self._encoding, "replace")


def clean_text(conn: psycopg.Connection) -> psycopg.Connection:
    """Make every ``str`` parameter of ``conn`` safe for PostgreSQL text (see :class:`_CleanText`)."""
    conn.adapters.register_dumper(str, _CleanTextBinary)
    conn.adapters.register_dumper(str, _CleanText)  # registered last: the default for %s
    return conn


def connect(settings: Settings, **kwargs) -> psycopg.Connection:
    """A connection to the warehouse; text parameters are cleaned of what PostgreSQL refuses (NUL)."""
    return clean_text(psycopg.connect(warehouse_url(settings), **kwargs))


def embedded_status(settings: Settings) -> str:
    pid_file = settings.pgdata / "postmaster.pid"
    if not pid_file.exists():
        return "stopped"
    pid = int(pid_file.read_text().splitlines()[0])
    try:
        import psutil

        return "running" if psutil.pid_exists(pid) else "stopped (stale pid file)"
    except ImportError:  # pragma: no cover - psutil comes with pgserver
        return "unknown"


def stop_embedded(settings: Settings) -> bool:
    """Stop the embedded server if it runs; returns whether it was running."""
    if embedded_status(settings) != "running":
        return False
    from pgserver._commands import POSTGRES_BIN_PATH

    command = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(settings.pgdata), "-w", "-m", "fast", "stop"]
    if _running_as_root():
        command = ["su", EMBEDDED_SYSTEM_USER, "-s", "/bin/sh", "-c", " ".join(command)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return True


def _running_as_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0


BI_READER_ROLE = "bi_reader"


def bi_reader_url(settings: Settings) -> str:
    """How reports read the marts, as a BI tool would: ITREPORT_BI_READER_URL, else the warehouse's URL with the
    read-only role ``bi_reader`` (no password: the embedded server trusts local connections)."""
    if settings.bi_reader_url:
        return settings.bi_reader_url
    parsed = urlparse(warehouse_url(settings))
    host = parsed.hostname or ""
    netloc = f"{BI_READER_ROLE}@{host}" + (f":{parsed.port}" if parsed.port else "")
    return parsed._replace(netloc=netloc).geturl()


def connect_bi_reader(settings: Settings, **kwargs) -> psycopg.Connection:
    return psycopg.connect(bi_reader_url(settings), **kwargs)
