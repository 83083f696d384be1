"""The environment Airflow runs in for this project: set before ``airflow`` is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

from itreport.config.settings import Settings


def smtp_connection(url: str, from_email: str) -> str:
    """Airflow's ``smtp_default`` connection (JSON form) for ``smtp://`` (plain) or ``smtps://`` (TLS) URLs."""
    parsed = urlparse(url)
    tls = parsed.scheme == "smtps"
    return json.dumps(
        {
            "conn_type": "smtp",
            "host": parsed.hostname or "localhost",
            "port": parsed.port or (465 if tls else 25),
            "login": unquote(parsed.username or ""),
            "password": unquote(parsed.password or ""),
            "extra": {"disable_ssl": not tls, "disable_tls": not tls, "from_email": from_email, "retry_limit": 2},
        }
    )


def configure(settings: Settings, smtp_url: str | None = None, *, quiet: bool = True) -> dict[str, str]:
    """Set AIRFLOW_HOME, the DAG folder, SQLite metadata and the SMTP connection (unless already set)."""
    env = {
        "AIRFLOW_HOME": str(settings.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_dir),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "false",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING" if quiet else "INFO",
        "GX_ANALYTICS_ENABLED": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        # Cosmos keeps dbt's partial parse between runs here (its default is the system's temporary folder)
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.home / "cosmos"),
        # dag.test() cannot run a DAG with a DeadlineAlert (apache/airflow#73428): off here, on for a real scheduler
        "ITREPORT_DEADLINE_ALERT": "false",
    }
    if smtp_url or settings.smtp_url:
        env["AIRFLOW_CONN_SMTP_DEFAULT"] = smtp_connection(
            smtp_url or settings.smtp_url or "", settings.ministry_address
        )
    for key, value in env.items():
        if key.startswith("AIRFLOW_CONN_") or key == "AIRFLOW__LOGGING__LOGGING_LEVEL":
            os.environ[key] = value
        else:
            os.environ.setdefault(key, value)
    Path(os.environ["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    return env


def migrate_metadata_db() -> None:
    """``airflow db migrate`` (fast when already current)."""
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, env=os.environ.copy())
