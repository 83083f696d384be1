"""Nothing sent twice (issue 11, item 1): two senders at once, a sender killed mid-send, SMTP down then back,
an alert whose SMTP stays down past the retries. Emails are counted at a real SMTP server on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import psycopg
import pytest
from fault_support import SmtpSender, assert_invariant, database_name, received_emails, scratch, smtp_server

from itreport.demo.smtp_sink import free_port

JUNE = date(2009, 6, 1)


@pytest.fixture
def decided(settings, tmp_path, request):
    """A scratch warehouse whose intake decided a small generated month (replies pending)."""
    from itreport.demo.sample_mail import generate_mailbox
    from itreport.orchestration.intake_run import run_intake

    home = scratch(settings, tmp_path / "home", database_name(request))
    generate_mailbox(home.maildir, JUNE, units=6, with_doc=False)
    run_intake(home)
    return home


def _expected_replies(settings) -> int:
    with psycopg.connect(settings.warehouse_url) as conn:
        return conn.execute(
            "select count(*) from raw.messages where state in ('accepted', 'quarantined') and unit_code is not null"
            " and reason_code <> 'already_processed'"
        ).fetchone()[0]


def test_a_second_sender_starting_mid_send_sends_nothing_twice(decided, tmp_path):
    """The hourly intake's replies start while monthly_close's are sending their first email (interleaved by
    hand, no timing): before the fix both sent every reply."""
    from itreport.notify.replies import send_pending_replies

    outbox = tmp_path / "smtp"
    with smtp_server(outbox) as url:

        class Interleaved(SmtpSender):
            def send_email_smtp(self, **email) -> None:
                if self.calls == 0:  # the other DAG's task runs in full while this one is mid-send
                    send_pending_replies(decided, SmtpSender(url))
                super().send_email_smtp(**email)

        send_pending_replies(decided, Interleaved(url))
    expected = _expected_replies(decided)
    assert expected > 0
    assert len(received_emails(outbox)) == expected
    assert_invariant(decided, outbox)


def test_two_senders_at_once_send_each_reply_once(decided, tmp_path):
    from itreport.notify.replies import send_pending_replies

    outbox = tmp_path / "smtp"
    with smtp_server(outbox) as url, ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: send_pending_replies(decided, SmtpSender(url)), range(2)))
    sent = sum(r["receipt"] + r["rejection"] for r in results)
    assert sent == len(received_emails(outbox)) == _expected_replies(decided)
    assert_invariant(decided, outbox)


def test_smtp_down_then_back_sends_each_reply_once(decided, tmp_path):
    from itreport.notify.replies import send_pending_replies

    port, outbox = free_port(), tmp_path / "smtp"
    with pytest.raises(OSError):  # nobody listens: the task fails (Airflow retries it)
        send_pending_replies(decided, SmtpSender(f"smtp://127.0.0.1:{port}"))
    with smtp_server(outbox, port=port) as url:
        send_pending_replies(decided, SmtpSender(url))
        send_pending_replies(decided, SmtpSender(url))
    assert len(received_emails(outbox)) == _expected_replies(decided)
    assert_invariant(decided, outbox)


KILLED_SENDER = """
import os, signal, sys
sys.path.insert(0, {support!r})
from fault_support import SmtpSender
from itreport.config.settings import Settings
from itreport.notify.replies import send_pending_replies
import dataclasses, pathlib

class DiesAfterSecond(SmtpSender):
    def send_email_smtp(self, **email):
        super().send_email_smtp(**email)
        if self.calls == 2:  # the SMTP server took it; the worker dies before recording it
            os.kill(os.getpid(), signal.SIGKILL)

settings = dataclasses.replace(Settings.from_env(), home=pathlib.Path({home!r}), warehouse_url={url!r},
                               maildir=pathlib.Path({maildir!r}), notify_max_age_days=None)
send_pending_replies(settings, DiesAfterSecond({smtp!r}))
"""


def test_kill_9_mid_replies_then_rerun_sends_nothing_twice(decided, tmp_path):
    from itreport.notify.replies import send_pending_replies
    from itreport.orchestration.audit import audit

    outbox = tmp_path / "smtp"
    with smtp_server(outbox) as url:
        script = KILLED_SENDER.format(
            support=os.path.dirname(__file__),
            home=str(decided.home),
            url=decided.warehouse_url,
            maildir=str(decided.maildir),
            smtp=url,
        )
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, timeout=300)
        assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
        assert len(received_emails(outbox)) == 2
        send_pending_replies(decided, SmtpSender(url))
    expected = _expected_replies(decided)
    # the email in flight when the worker died went out once and is never resent; the audit names it for staff
    assert len(received_emails(outbox)) == expected
    assert_invariant(decided, outbox)
    report = audit(decided)
    assert [p.code for p in report.problems] == ["email_unconfirmed"]
