"""``itreport db``: the warehouse (embedded PostgreSQL unless ITREPORT_WAREHOUSE_URL is set)."""

from __future__ import annotations

import subprocess

import typer
from rich.console import Console

from itreport.config import warehouse
from itreport.config.secrets import redact_url
from itreport.config.settings import get_settings

db_app = typer.Typer(help="The warehouse (embedded PostgreSQL unless ITREPORT_WAREHOUSE_URL is set).")
console = Console()


@db_app.command("start")
def db_start() -> None:
    """Start the embedded warehouse (no-op for an external one) and print its URL (password masked)."""
    console.print(redact_url(warehouse.warehouse_url(get_settings())))


@db_app.command("stop")
def db_stop() -> None:
    settings = get_settings()
    stopped = warehouse.stop_embedded(settings)
    console.print("stopped" if stopped else "not running")


@db_app.command("status")
def db_status() -> None:
    settings = get_settings()
    if not settings.embedded_warehouse:
        console.print(f"external warehouse: {redact_url(settings.warehouse_url)}")
        return
    console.print(f"embedded PostgreSQL at {settings.pgdata}: {warehouse.embedded_status(settings)}")


@db_app.command("url")
def db_url() -> None:
    """Print the warehouse URL as libpq takes it, password included (for `psql "$(itreport db url)"`)."""
    console.print(warehouse.warehouse_url(get_settings()), soft_wrap=True)


@db_app.command("env")
def db_env() -> None:
    """Print `export ITREPORT_PG…=…` lines for dbt and sqlfluff (use with eval)."""
    import shlex

    for key, value in warehouse.dbt_env(get_settings()).items():
        print(f"export {key}={shlex.quote(value)}")


@db_app.command("psql", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def db_psql(ctx: typer.Context) -> None:
    """Open psql on the warehouse (extra arguments go to psql, e.g. -c 'select ...')."""
    from pgserver._commands import POSTGRES_BIN_PATH

    url = warehouse.warehouse_url(get_settings())
    psql = POSTGRES_BIN_PATH / "psql"
    raise typer.Exit(subprocess.call([str(psql), url, *ctx.args]))
