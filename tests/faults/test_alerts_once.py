"""Alerts once (issue 11, item 1 and the alert left unsent): two closes at once send one alert; an alert whose
SMTP stayed down past the retries goes out with the next run, once. Real dbt marts, real SMTP on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from fault_support import SmtpSender, received_emails, scratch, smtp_server

from itreport.demo.smtp_sink import free_port

pytestmark = pytest.mark.xdist_group("faults-dbt")
JUNE = date(2009, 6, 1)


@pytest.fixture(scope="module")
def built(settings, tmp_path_factory):
    """A generated month taken in, closed and built with dbt in a scratch warehouse."""
    from itreport.config.warehouse import dbt_env
    from itreport.demo.sample_mail import generate_mailbox
    from itreport.orchestration.close import close_period
    from itreport.orchestration.intake_run import run_intake

    tmp = tmp_path_factory.mktemp("alerts")
    home = scratch(settings, tmp / "home", "faults_alerts")
    generate_mailbox(home.maildir, JUNE, units=6, with_doc=False)
    run_intake(home)
    close_period(home, JUNE, "test")
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), "build", "--profiles-dir", ".", "--target-path", str(tmp / "target"),
         "--vars", json.dumps(home.dbt_vars())],
        cwd=home.dbt_project_dir,
        env=os.environ | dbt_env(home) | {"DBT_LOG_PATH": str(tmp / "logs")},
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:]
    return home


@pytest.fixture
def fresh(built):
    import psycopg

    with psycopg.connect(built.warehouse_url, autocommit=True) as conn:
        conn.execute("delete from raw.outbox where kind = 'alert'")
        conn.execute("delete from raw.alerts")
    return built


def test_alert_whose_smtp_stayed_down_goes_out_with_the_next_run(fresh, tmp_path):
    from itreport.notify.alerts import send_alert_once, send_pending_alerts

    port, outbox = free_port(), tmp_path / "smtp"
    with pytest.raises(OSError):  # the close's last retry: nobody listens
        send_alert_once(fresh, JUNE, SmtpSender(f"smtp://127.0.0.1:{port}"))
    with smtp_server(outbox, port=port) as url:
        first = send_pending_alerts(fresh, SmtpSender(url))
        again = send_pending_alerts(fresh, SmtpSender(url))
        rerun = send_alert_once(fresh, JUNE, SmtpSender(url))
    assert [r["sent"] for r in first] == [True] and again == [] and rerun["sent"] is False
    assert len(received_emails(outbox)) == 1


def test_two_closes_at_once_send_one_alert(fresh, tmp_path):
    from itreport.notify.alerts import send_alert_once

    outbox = tmp_path / "smtp"
    with smtp_server(outbox) as url, ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: send_alert_once(fresh, JUNE, SmtpSender(url)), range(2)))
    assert sorted(r["sent"] for r in results) == [False, True]
    assert len(received_emails(outbox)) == 1


def test_alert_csv_files_are_owner_only(fresh, tmp_path):
    from itreport.notify.alerts import send_alert_once

    with smtp_server(tmp_path / "smtp") as url:
        result = send_alert_once(fresh, JUNE, SmtpSender(url))
    for name in result["attachments"]:
        assert Path(name).stat().st_mode & 0o777 == 0o600
        assert Path(name).parent.stat().st_mode & 0o777 == 0o700


def test_the_run_summary_prints_no_smtp_password(built):
    import dataclasses
    import io

    from rich.console import Console

    from itreport.cli.summary import print_summary

    password = "S3cr3t-pa55"
    smtp_url = f"smtps://mailer:{password}@smtp.example:465"
    console = Console(file=io.StringIO(), width=200)
    print_summary(console, dataclasses.replace(built, smtp_url=smtp_url), JUNE, smtp_url, 1.0)
    text = console.file.getvalue()
    assert "smtp.example" in text and password not in text
