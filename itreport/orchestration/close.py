"""The close of a period, outside intake: the warehouse made ready, and the period recorded as closed."""

from __future__ import annotations

from datetime import date

from ingestion.load import ensure_raw_schema, record_closure
from itreport.config import warehouse
from itreport.config.settings import Settings


def ensure_warehouse(settings: Settings) -> dict[str, str]:
    """Start the embedded warehouse when needed, create the raw schema; returns dbt's connection env (no secret)."""
    with warehouse.connect(settings, autocommit=True) as conn:
        ensure_raw_schema(conn)
    env = warehouse.dbt_env(settings)
    env.pop("ITREPORT_PGPASSWORD", None)
    return env


def close_period(settings: Settings, period: date, run_id: str | None) -> None:
    with warehouse.connect(settings, autocommit=True) as conn:
        ensure_raw_schema(conn)
        record_closure(conn, period, run_id)
