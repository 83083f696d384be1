"""Passwords printed (issue 11, item 4): nothing the product prints or logs shows a credential of a URL."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from itreport.config.secrets import redact_text, redact_url

PASSWORD = "S3cr3t-pa55"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql://etl:{PASSWORD}@db.example:5432/itreport", "postgresql://etl:***@db.example:5432/itreport"),
        (f"smtps://mailer:{PASSWORD}@smtp.example:465", "smtps://mailer:***@smtp.example:465"),
        (f"postgresql://db.example/itreport?user=etl&password={PASSWORD}", "postgresql://db.example/itreport?user=etl&password=***"),
        ("smtp://127.0.0.1:2525", "smtp://127.0.0.1:2525"),
        ("postgresql://postgres:@/itreport?host=/tmp/x", "postgresql://postgres:***@/itreport?host=/tmp/x"),
    ],
)  # fmt: skip
def test_urls_are_shown_without_their_password(url, shown):
    assert redact_url(url) == shown and PASSWORD not in redact_url(url)


def test_free_text_is_redacted():
    text = f"could not connect to smtp://u:{PASSWORD}@host:25 (password={PASSWORD})"
    assert PASSWORD not in redact_text(text) and "smtp://u:***@host:25" in redact_text(text)


@pytest.mark.parametrize("command", [["db", "status"], ["db", "start"]])
def test_db_commands_print_no_password(command, monkeypatch):
    from itreport.cli.app import app

    monkeypatch.setenv("ITREPORT_WAREHOUSE_URL", f"postgresql://etl:{PASSWORD}@db.example:5432/itreport")
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "db.example" in result.output and PASSWORD not in result.output


def test_the_demo_first_line_shows_no_warehouse_password(settings, tmp_path):
    """The demo prints where the warehouse is before anything else; here it then stops at its next step (the
    sample mailbox cannot be written under a file), with its first line printed."""
    import dataclasses
    import io
    from datetime import date

    from rich.console import Console

    from itreport.demo.run import run_demo

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    external = dataclasses.replace(
        settings,
        home=tmp_path / "home",
        warehouse_url=f"postgresql://etl:{PASSWORD}@db.example:5432/itreport",
        maildir=blocker / "inbox",
    )
    console = Console(file=io.StringIO(), width=200)
    with pytest.raises(OSError):
        run_demo(console, external, date(2009, 7, 1), 1)
    text = console.file.getvalue()
    assert "db.example" in text and PASSWORD not in text
