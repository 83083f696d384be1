"""The docker/compose.yaml topology as real processes on loopback, for the stack test (no Docker engine).

PostgreSQL (pgserver) with Airflow's metadata database and the warehouse made by ``docker/postgres/warehouse.sql``
(loader, dbt and bi_reader roles), Redis (Debian's redis-server), Dovecot IMAP (STARTTLS, a test CA), a local SMTP
server, and Airflow's api-server, scheduler, dag-processor, triggerer and a Celery worker, sharing one JWT secret
and the execution API URL. Every process is started in its own session and stopped by its PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MAIL_USER = "baocao.cntt@mic.gov.example"
T = TypeVar("T")


class StackError(RuntimeError):
    pass


class StackFailure(StackError):
    """A state that will not change into the awaited one: stop waiting at once."""


def wait_for(check: Callable[[], T | None], what: str, timeout: float, interval: float = 1.0) -> T:
    """Poll ``check`` until it returns something truthy; a generous deadline, never a fixed sleep."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except StackFailure:
            raise
        except Exception as error:  # the state is not reachable yet
            last_error = error
        time.sleep(interval)
    raise StackError(f"timed out after {timeout:.0f}s waiting for {what} (last error: {last_error!r})")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Processes:
    """Processes started by the test, each the leader of its own session: stopped by its PID (and its group)."""

    logs: Path
    started: list[Process] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> Process:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
            )
        process = Process(name, popen, log)
        self.started.append(process)
        return process

    def kill(self, process: Process) -> None:
        """SIGKILL, no warning: what a crashed machine does to a worker."""
        _signal_group(process.pid, signal.SIGKILL)
        process.popen.wait(timeout=30)

    def stop(self, process: Process, timeout: float = 20) -> None:
        if process.popen.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=timeout)
        _signal_group(process.pid, signal.SIGKILL)  # children left in the group (task runners, gunicorn workers)
        if process.popen.poll() is None:
            process.popen.wait(timeout=30)

    def stop_all(self, timeout: float = 30) -> list[str]:
        """SIGTERM to every process at once, a shared grace period, then SIGKILL to each group that is left."""
        problems = []
        for process in self.started:
            if process.popen.poll() is None:
                _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in reversed(self.started):
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in reversed(self.started):
            try:
                self.stop(process, timeout=5)
            except Exception as error:  # keep stopping the others
                problems.append(f"{process.name}: {error!r}")
        return problems


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


# --- PostgreSQL -----------------------------------------------------------------------------------------------------


@dataclass
class Postgres:
    pgdata: Path
    socket_dir: str
    pid: int

    def url(self, user: str, dbname: str, driver: str = "postgresql") -> str:
        return f"{driver}://{user}@/{dbname}?host={self.socket_dir}"

    def stop(self) -> None:
        """Fast shutdown of the postmaster by its PID (postmaster.pid), waiting until it is gone."""
        try:
            os.kill(self.pid, signal.SIGINT)
        except ProcessLookupError:
            return
        wait_for(lambda: not _alive(self.pid), "PostgreSQL to stop", 60, 0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def start_postgres(pgdata: Path) -> Postgres:
    import pgserver

    server = pgserver.get_server(pgdata, cleanup_mode=None)
    admin = server.get_uri()
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = 'airflow'").fetchone():
            conn.execute("create database airflow")
    pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    from urllib.parse import parse_qs, urlparse

    socket_dir = parse_qs(urlparse(admin).query)["host"][0]
    return Postgres(pgdata, socket_dir, pid)


def make_warehouse(postgres: Postgres, database: str = "itreport") -> None:
    """docker/postgres/warehouse.sql, as PostgreSQL's docker-entrypoint runs it (psql with variables)."""
    from pgserver._commands import POSTGRES_BIN_PATH

    passwords = {name: secrets.token_urlsafe(12) for name in ("loader_password", "dbt_password", "bi_reader_password")}
    argv = [str(POSTGRES_BIN_PATH / "psql"), "--no-psqlrc", "-q", "-h", postgres.socket_dir, "-U", "postgres"]
    argv += ["-d", "postgres", "-f", str(REPO / "docker" / "postgres" / "warehouse.sql")]
    for name, value in {**passwords, "warehouse_db": database}.items():
        argv += ["-v", f"{name}={value}"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if result.returncode:
        raise StackError(f"warehouse.sql failed: {result.stderr[-2000:]}")


# --- Dovecot --------------------------------------------------------------------------------------------------------

DOVECOT_CONF = """
base_dir = {root}/run
state_dir = {root}/state
instance_name = itreport-stack-{port}
protocols = imap
listen = 127.0.0.1
log_path = {root}/dovecot.log
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@dataclass
class Dovecot:
    port: int
    password: str
    ca_file: Path
    process: Process


def start_dovecot(processes: Processes, root: Path, ca_folder: Path) -> Dovecot:
    """Dovecot (Debian's 2.3) as root, logins as dovenull, mail as the unprivileged ``nobody``."""
    import grp
    import pwd

    try:  # tests/support/ after the test-layout change on main; tests/ before it
        from support.imap_server import make_certificates
    except ImportError:
        from imap_server import make_certificates

    certificates = make_certificates(ca_folder)
    nobody = pwd.getpwnam("nobody")
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(exist_ok=True)
    os.chown(root / "mail", nobody.pw_uid, nobody.pw_gid)
    os.chmod(root, 0o755)
    os.chmod(certificates.key, 0o600)
    password = secrets.token_urlsafe(12)
    (root / "users").write_text(f"{MAIL_USER}:{{PLAIN}}{password}\n")
    os.chmod(root / "users", 0o640)
    os.chown(root / "users", 0, grp.getgrnam("dovecot").gr_gid)  # read by the auth process (user dovecot)
    port = free_port()
    conf = root / "dovecot.conf"
    conf.write_text(
        DOVECOT_CONF.format(
            root=root, cert=certificates.cert, key=certificates.key, port=port, uid=nobody.pw_uid, gid=nobody.pw_gid
        )
    )
    process = processes.start("dovecot", ["dovecot", "-F", "-c", str(conf)], dict(os.environ))
    wait_for(lambda: _port_open(port), "Dovecot to listen", 60, 0.2)
    return Dovecot(port, password, certificates.ca, process)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def imap_append(dovecot: Dovecot, messages: list[tuple[bytes, Any]]) -> None:
    """APPEND each message with its INTERNALDATE (the receipt time the product judges the deadline by)."""
    import ssl

    from imapclient import IMAPClient

    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=30) as client:
        client.starttls(context)
        client.login(MAIL_USER, dovecot.password)
        for body, moment in messages:
            client.append("INBOX", body, msg_time=moment)


# --- Redis ----------------------------------------------------------------------------------------------------------


def start_redis(processes: Processes, root: Path) -> int:
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    processes.start("redis", [*argv, "--dir", str(root), "--protected-mode", "yes"], dict(os.environ))
    wait_for(lambda: _port_open(port), "Redis to listen", 60, 0.2)
    return port


# --- Airflow --------------------------------------------------------------------------------------------------------


@dataclass
class Airflow:
    env: dict[str, str]
    api_port: int
    password: str
    processes: Processes
    worker: Process | None = None
    _token: str | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def token(self) -> str:
        if self._token is None:
            body = json.dumps({"username": "admin", "password": self.password}).encode()
            request = urllib.request.Request(
                f"{self.base}/auth/token", data=body, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                self._token = json.load(response)["access_token"]
        return self._token

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base}/api/v2{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token()}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response) if response.length != 0 else None
        except urllib.error.HTTPError as error:
            raise StackError(f"{method} {path}: {error.code} {error.read()[:500]!r}") from None

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "airflow"), *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def start_worker(self, name: str) -> Process:
        argv = [str(BIN / "airflow"), "celery", "worker", "--concurrency", "2", "--celery-hostname", f"{name}@%h"]
        self.worker = self.processes.start(name, argv, self.env)
        return self.worker

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{_quote(run_id)}")["state"]

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        found = self.api("GET", f"/dags/{dag_id}/dagRuns/{_quote(run_id)}/taskInstances")
        return {ti["task_id"]: ti["state"] for ti in found["task_instances"]}

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float, fail_fast: bool = True) -> str:
        """The run's final state; with ``fail_fast`` a task waiting for its retry (5 minutes) ends the wait."""

        def finished() -> str | None:
            state = self.run_state(dag_id, run_id)
            if fail_fast and state not in ("success", "failed"):
                states = self.task_states(dag_id, run_id)
                if {"up_for_retry", "failed", "upstream_failed"} & set(states.values()):
                    raise StackFailure(f"{dag_id} {run_id}: {states}")
            return state if state in ("success", "failed") else None

        return wait_for(finished, f"{dag_id} run {run_id} to finish", timeout, 2)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def airflow_env(
    home: Path, postgres: Postgres, redis_port: int, api_port: int, product: dict[str, str]
) -> tuple[dict[str, str], str]:
    password = secrets.token_urlsafe(12)
    passwords_file = home / "passwords.json"
    home.mkdir(parents=True, exist_ok=True)
    passwords_file.write_text(json.dumps({"admin": password}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ITREPORT_", "PYTEST"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres.url("postgres", "airflow", "postgresql+psycopg2"),
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": postgres.url("postgres", "airflow", "db+postgresql"),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__CORE__FERNET_KEY": "",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "true",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            # Runs come from the REST API and backfills only: monthly_close catches up from 2009 once unpaused.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "false",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            # the log servers of workers and triggerer: free ports, so that parallel stacks do not collide
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "GX_ANALYTICS_ENABLED": "false",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            **product,
        }
    )
    return env, password


def start_airflow(processes: Processes, env: dict[str, str], api_port: int, password: str) -> Airflow:
    migrate = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True, timeout=600
    )
    if migrate.returncode:
        raise StackError(f"airflow db migrate failed: {migrate.stderr[-2000:]}")
    airflow = Airflow(env, api_port, password, processes)
    processes.start("api-server", [str(BIN / "airflow"), "api-server", "--port", str(api_port)], env)
    for name in ("scheduler", "dag-processor", "triggerer"):
        processes.start(name, [str(BIN / "airflow"), name], env)
    airflow.start_worker("worker1")

    def healthy() -> bool:
        with urllib.request.urlopen(f"{airflow.base}/api/v2/monitor/health", timeout=10) as response:
            health = json.load(response)
        parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
        return all(health.get(part, {}).get("status") == "healthy" for part in parts)

    wait_for(healthy, "api-server, scheduler, triggerer and dag-processor to be healthy", 240, 2)
    for dag_id in ("monthly_close", "intake"):
        wait_for(lambda d=dag_id: airflow.api("GET", f"/dags/{d}"), f"{dag_id} to be parsed", 180, 2)
        airflow.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})
    return airflow


def reset(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)


# --- Superset -------------------------------------------------------------------------------------------------------

SUPERSET_VENV = REPO / ".venv-superset"
SUPERSET_CONFIG = """
SECRET_KEY = {secret!r}
SQLALCHEMY_DATABASE_URI = "sqlite:///{root}/superset.db"
# Test only: the dashboard is opened by headless Chromium without a login.
AUTH_ROLE_PUBLIC = "Public"
PUBLIC_ROLE_LIKE = "Admin"
TALISMAN_ENABLED = False
WTF_CSRF_ENABLED = False
FEATURE_FLAGS = {{}}
"""


@dataclass
class Superset:
    root: Path
    env: dict[str, str]
    prepared: Process  # `superset db upgrade && superset init`, started early: it takes minutes on 2 cores

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SUPERSET_VENV / "bin" / "superset"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def prepare_superset(processes: Processes, root: Path) -> Superset:
    """Superset's metadata (SQLite) migrated and its roles made, in its own virtualenv (make superset-venv)."""
    if not (SUPERSET_VENV / "bin" / "superset").exists():
        raise StackError(f"{SUPERSET_VENV} is missing: run `make superset-venv`")
    root.mkdir(parents=True, exist_ok=True)
    (root / "superset_config.py").write_text(SUPERSET_CONFIG.format(secret=secrets.token_urlsafe(32), root=root))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ITREPORT_", "PYTEST", "VIRTUAL_ENV"))}
    env.update(
        {
            "SUPERSET_CONFIG_PATH": str(root / "superset_config.py"),
            "SUPERSET_HOME": str(root),
            "FLASK_APP": "superset",
            "PATH": f"{SUPERSET_VENV / 'bin'}:{env.get('PATH', '')}",
        }
    )
    superset = SUPERSET_VENV / "bin" / "superset"
    prepared = processes.start("superset-init", ["sh", "-c", f"{superset} db upgrade && {superset} init"], env)
    return Superset(root, env, prepared)


def chromium(url: str, *options: str, timeout: float = 180) -> subprocess.CompletedProcess[bytes]:
    """Headless Chromium (Debian's package), a throw-away profile, loopback only."""
    import tempfile

    with tempfile.TemporaryDirectory() as profile:
        argv = [
            shutil.which("chromium") or "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--window-size=1600,2200",
            "--virtual-time-budget=60000",
            *options,
            url,
        ]
        browser = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = browser.communicate(timeout=timeout)
        finally:  # its renderer and GPU processes share its group: none outlives the call
            _signal_group(browser.pid, signal.SIGKILL)
            browser.wait(timeout=30)
        return subprocess.CompletedProcess(argv, browser.returncode, out, err)
