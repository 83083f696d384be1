"""Reminders before the deadline, on a warehouse of their own loaded by the real intake, sent over real SMTP (the
local sink on loopback, through Airflow's SmtpHook) and read back from the .eml files it wrote."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ingestion.domain.periods import DeadlineRule

pytestmark = pytest.mark.xdist_group("reminders")

JUNE, JULY = date(2009, 6, 1), date(2009, 7, 1)
UNITS = 14


def _mails(outbox: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(outbox.glob("*.eml"))]


@pytest.fixture(scope="module")
def loaded(settings, tmp_path_factory):
    """Two generated months read by the real intake into a scratch database; an SMTP sink and its hook."""
    import os

    from support.scratch import scratch_settings

    from itreport.demo import smtp_sink
    from itreport.demo.sample_mail import generate_mailbox
    from itreport.orchestration import airflow_env
    from itreport.orchestration.intake_run import run_intake

    scratch = scratch_settings(settings, tmp_path_factory.mktemp("reminders"), "itreport_reminders")
    truths = {
        p: generate_mailbox(scratch.maildir, p, units=UNITS, deadline=scratch.deadline, with_doc=False)
        for p in (JUNE, JULY)
    }
    run_intake(scratch)
    saved = os.environ.get("AIRFLOW_CONN_SMTP_DEFAULT")
    with smtp_sink.running_sink(scratch.outbox_dir) as url:
        os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = airflow_env.smtp_connection(url, scratch.ministry_address)
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        with SmtpHook(smtp_conn_id="smtp_default") as hook:
            yield {"settings": scratch, "truths": truths, "hook": hook}
    if saved is None:
        os.environ.pop("AIRFLOW_CONN_SMTP_DEFAULT", None)
    else:
        os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = saved


def _expected_outstanding(settings, truth, period: date, moment: datetime) -> set[str]:
    """From the generator's ground truth: units expected in the period without an accepted submission before
    ``moment`` (units the sample left out sent nothing at all)."""
    from ingestion.domain.registry import default_registry

    reported = {
        row.unit_code
        for row in truth.units
        if row.received_at and datetime.fromisoformat(row.received_at.replace("Z", "+00:00")) < moment
    }
    return {u.unit_code for u in default_registry().expected(period)} - reported


def test_reminder_moment_is_0800_local_days_before_the_22nd():
    from itreport.notify.reminders import reminder_moment, step_for

    rule = DeadlineRule()
    moment = reminder_moment(rule, JULY, 7)
    assert moment.isoformat() == "2009-07-15T08:00:00+07:00"
    assert reminder_moment(rule, JULY, 1).isoformat() == "2009-07-21T08:00:00+07:00"
    assert step_for(rule, moment) == (JULY, 7)


def test_reminders_reach_exactly_the_outstanding_units_with_a_prefilled_form(loaded):
    from ingestion.decide.notices import find_notice
    from ingestion.documents.docx_reader import parse_report
    from ingestion.domain.registry import default_registry
    from itreport.config import warehouse
    from itreport.notify.reminders import reminder_moment, send_reminders
    from itreport.reports.queries import last_report_period, latest_report_values

    settings = loaded["settings"]
    before = len(list(settings.outbox_dir.glob("*.eml")))
    moment = reminder_moment(settings.deadline, JULY, 3)
    result = send_reminders(settings, JULY, 3, loaded["hook"])
    expected = _expected_outstanding(settings, loaded["truths"][JULY], JULY, moment)
    assert set(result.outstanding) == set(result.sent) == expected
    assert 0 < len(expected) < len(default_registry().expected(JULY))
    mails = _mails(settings.outbox_dir)[before:]
    reminders = [m for m in mails if "Nhắc gửi báo cáo" in str(m["Subject"])]
    assert len(reminders) == len(expected)
    registry = default_registry()
    prefilled = 0
    with warehouse.connect(settings) as conn:
        for mail in reminders:
            (attachment,) = list(mail.iter_attachments())
            parsed = parse_report(attachment.get_content())
            unit = registry.get(parsed.unit_code)
            assert str(mail["To"]) == unit.contact_email and parsed.period == JULY
            body = mail.get_body(preferencelist=("html",)).get_content()
            assert "22/07/2009" in body and settings.ministry_address in body
            sentence = f"Báo cáo của {unit.name_vi} giống tháng 06/2009"
            assert sentence in body
            notice = find_notice(sentence)
            assert notice is not None and (notice.month, notice.year) == (6, 2009)
            source = last_report_period(conn, unit.unit_code, JULY)
            stored = latest_report_values(conn, unit.unit_code, source) if source else {}
            values = {code: v.value_text for code, v in parsed.values.items() if v.value_text}
            assert values == {code: text for code, text in stored.items() if text}
            prefilled += bool(values)
    assert prefilled, "some outstanding unit reported in June: its form is prefilled"
    digest = [m for m in mails if "chưa gửi báo cáo" in str(m["Subject"])]
    assert len(digest) == 1 and str(digest[0]["To"]) == ", ".join(sorted(settings.alert_to))
    digest_body = digest[0].get_body(preferencelist=("html",)).get_content()
    for code in expected:
        assert f"<td>{code}</td>" in digest_body


def test_a_rerun_sends_nothing_and_the_ledger_has_one_row_per_unit_and_step(loaded):
    from itreport.config import warehouse
    from itreport.notify.reminders import send_reminders

    settings = loaded["settings"]
    send_reminders(settings, JULY, 3, loaded["hook"])  # sent by the test above, or now
    before = len(list(settings.outbox_dir.glob("*.eml")))
    again = send_reminders(settings, JULY, 3, loaded["hook"])
    assert again.sent == [] and set(again.already) == set(again.outstanding)
    assert len(list(settings.outbox_dir.glob("*.eml"))) == before
    with warehouse.connect(settings) as conn:
        rows = conn.execute(
            "select unit_code, count(*) from raw.reminders where period_month = %s and days_before = 3 group by 1",
            (JULY,),
        ).fetchall()
        sha = conn.execute(
            "select count(*) from raw.reminders where attachment_sha256 is null or recipients = ''"
        ).fetchone()[0]
    assert {code for code, _ in rows} == set(again.outstanding) and all(n == 1 for _, n in rows)
    assert sha == 0


def test_later_steps_remind_fewer_units(loaded):
    from itreport.notify.reminders import reminder_moment, send_reminders

    settings = loaded["settings"]
    first = send_reminders(settings, JULY, 7, loaded["hook"])
    middle = send_reminders(settings, JULY, 3, loaded["hook"])
    last = send_reminders(settings, JULY, 1, loaded["hook"])
    for result, step in ((first, 7), (last, 1)):
        moment = reminder_moment(settings.deadline, JULY, step)
        assert set(result.outstanding) == _expected_outstanding(settings, loaded["truths"][JULY], JULY, moment)
        assert set(result.sent) == set(result.outstanding)
    assert set(last.outstanding) < set(middle.outstanding) < set(first.outstanding)


def test_a_backfill_withholds_every_reminder(loaded):
    import dataclasses

    from itreport.config import warehouse
    from itreport.notify.reminders import send_reminders

    settings = dataclasses.replace(loaded["settings"], notify_max_age_days=30)
    before = len(list(settings.outbox_dir.glob("*.eml")))
    result = send_reminders(settings, JUNE, 7, loaded["hook"], now=datetime(2026, 12, 1, tzinfo=UTC))
    assert result.sent == [] and set(result.withheld) == set(result.outstanding) and result.withheld
    assert result.digest == "not sent"
    assert len(list(settings.outbox_dir.glob("*.eml"))) == before
    with warehouse.connect(settings) as conn:
        withheld = conn.execute(
            "select count(*) from raw.reminders where period_month = %s and days_before = 7"
            " and withheld_reason like 'due %% days ago (a backfill)'",
            (JUNE,),
        ).fetchone()[0]
    assert withheld == len(result.withheld)


def test_first_period_has_no_same_as_sentence():
    from ingestion.domain.registry import default_registry
    from itreport.notify.reminders import same_as_sentence

    unit = default_registry().expected(JUNE)[0]
    assert same_as_sentence(unit, JUNE) is None
    assert same_as_sentence(unit, JULY) == f"Báo cáo của {unit.name_vi} giống tháng 06/2009"
