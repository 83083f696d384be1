"""Helpers for intake tests that need a warehouse of their own (a scratch database on the session's server)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
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


def mail_files(maildir: Path) -> list[Path]:
    """Every message file of ``maildir``, in ``new/`` and ``cur/`` or filed into its processed folder, by name."""
    from ingestion.mailbox.maildir import PROCESSED

    folders = [maildir / sub for sub in ("new", "cur")] + [maildir / PROCESSED / sub for sub in ("new", "cur")]
    return sorted((f for folder in folders if folder.is_dir() for f in folder.iterdir()), key=lambda f: f.name)


def unprocessed(maildir: Path) -> list[Path]:
    """The message files still in ``new/`` and ``cur/`` (not filed as processed), by path."""
    return sorted(f for sub in ("new", "cur") if (maildir / sub).is_dir() for f in (maildir / sub).iterdir())


def processed(maildir: Path) -> list[Path]:
    """The message files filed into the processed folder, by path."""
    from ingestion.mailbox.maildir import PROCESSED

    folder = maildir / PROCESSED / "cur"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def filed_name(path: Path) -> str:
    """The name the message file ``path`` (in ``new/`` or ``cur/``) gets once filed as processed."""
    from ingestion.mailbox.maildir import processed_name

    return processed_name(f"{path.parent.name}/{path.name}")


def delivered_name(path: Path) -> str:
    """The name a processed file had when delivered (the test mail has no ``cur/`` file with empty flags)."""
    from ingestion.mailbox.maildir import INFO

    return path.name.removesuffix(INFO)


def delivered_file(maildir: Path, name: str) -> Path:
    """The message file delivered as ``name``, wherever it is now (unread, or filed as processed)."""
    return next(f for f in mail_files(maildir) if name in (f.name, delivered_name(f)))


@contextlib.contextmanager
def output_of_this_process(path: Path) -> Iterator[Path]:
    """What this process writes meanwhile to ``sys.stdout`` and ``sys.stderr`` (Airflow's task logs under
    ``dag.test()`` included: its loggers write to the stream current when they log), into ``path``."""
    with path.open("w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield path
