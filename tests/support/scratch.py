"""Helpers for intake tests that need a warehouse of their own (a scratch database on the session's server)."""

from __future__ import annotations

import dataclasses
from pathlib import Path


def scratch_settings(settings, home: Path, database: str, **overrides):
    """Settings for a throw-away database on the session's embedded server, and a home of its own (``overrides``:
    other settings replaced too)."""
    import psycopg

    from itreport.config import warehouse

    warehouse.warehouse_url(settings)  # starts the embedded server
    server = warehouse._embedded_server(settings)
    with psycopg.connect(server.get_uri(), autocommit=True) as admin:
        admin.execute(f"drop database if exists {database} with (force)")
        admin.execute(f"create database {database}")
    return dataclasses.replace(
        settings, home=home, warehouse_url=server.get_uri(database), maildir=home / "mail" / "inbox", **overrides
    )


def restore_environ(saved: dict[str, str | None]) -> None:
    """Put back environment variables saved as ``{name: os.environ.get(name)}`` (None: it was unset)."""
    import os

    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send_email_smtp(self, **message) -> None:
        self.sent.append(message)
