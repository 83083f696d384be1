"""End to end: generated mail → real Airflow runs of monthly_close → marts equal the generator's ground truth."""

from __future__ import annotations

import csv
import email
import email.message
import email.policy
import html
from datetime import date
from pathlib import Path

import pytest
from support.scratch import delivered_file, mail_files, unprocessed

from ingestion.domain.periods import format_period

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("airflow")]

PERIODS = [date(2009, 6, 1), date(2009, 7, 1)]


def _snapshot(conn) -> dict[str, list[tuple]]:
    tables = {
        "messages": "select message_hash, state, reason_code, unit_code, period_month from raw.messages",
        "submissions": (
            "select message_hash, unit_code, period_month, submission_kind, received_at from raw.submissions"
        ),
        "values": "select message_hash, indicator_code, value_text, value_number from raw.submission_values",
        "compliance": "select unit_code, period_month, status, submission_kind, received_at, days_late "
        "from marts.fct_reporting_compliance",
    }
    return {name: sorted(conn.execute(sql).fetchall(), key=repr) for name, sql in tables.items()}


@pytest.fixture(scope="module")
def closed_months(empty_state, warehouse_conn):
    """Two generated months, each closed by a real monthly_close run, with a local SMTP server listening."""
    import os

    from itreport.config import warehouse
    from itreport.demo import smtp_sink
    from itreport.demo.sample_mail import generate_mailbox
    from itreport.orchestration import airflow_env
    from itreport.orchestration.local_runner import run_monthly_close

    settings = empty_state
    truths = {
        p: generate_mailbox(settings.maildir, p, mx_host=settings.mx_host, deadline=settings.deadline) for p in PERIODS
    }
    with smtp_sink.running_sink(settings.outbox_dir) as smtp_url:
        airflow_env.configure(settings, smtp_url)
        os.environ.update(warehouse.dbt_env(settings))
        airflow_env.migrate_metadata_db()
        runs = [run_monthly_close(settings, p) for p in PERIODS]
        first = _snapshot(warehouse_conn)
        rerun = run_monthly_close(settings, PERIODS[-1])
        second = _snapshot(warehouse_conn)
    return {"truths": truths, "runs": runs, "rerun": rerun, "first": first, "second": second}


def _truth_rows(settings, period: date) -> list[dict[str, str]]:
    path = settings.maildir.parent / f"ground_truth-{format_period(period)}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _expected_warnings(settings, period: date) -> list[tuple[str, str, str, str]]:
    """(message hash, unit, indicator, warning code) of every warning the generator planted for ``period``."""
    from ingestion.mailbox.archive import message_hash
    from itreport.demo.sample_mail import read_ground_truth, warning_pairs

    rows = read_ground_truth(settings.maildir.parent / f"messages-{format_period(period)}.csv")
    return sorted(
        (message_hash(delivered_file(settings.maildir, row["file"]).read_bytes()), row["unit_code"], indicator, code)
        for row in rows
        for code, indicator in warning_pairs(row["expected_warnings"])
    )


def _alert(settings, period: date) -> email.message.EmailMessage:
    """The latest alert email for ``period``."""
    alerts = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(settings.outbox_dir.glob("*.eml"))
    ]
    return [m for m in alerts if f"Tháng {format_period(period)}" in str(m["Subject"])][-1]


def test_runs_succeed(closed_months):
    for run in [*closed_months["runs"], closed_months["rerun"]]:
        assert run.succeeded, run.task_states


@pytest.mark.parametrize("period", PERIODS, ids=format_period)
def test_compliance_mart_equals_ground_truth(closed_months, settings, warehouse_conn, period):
    truth = {r["unit_code"]: r for r in _truth_rows(settings, period)}
    mart = {
        row[0]: row[1:]
        for row in warehouse_conn.execute(
            "select unit_code, status, coalesce(submission_kind, ''), received_at "
            "from marts.fct_reporting_compliance where period_month = %s",
            (period,),
        )
    }
    assert set(mart) == set(truth)
    for unit_code, expected in truth.items():
        status, kind, received_at = mart[unit_code]
        assert (status, kind) == (expected["expected_status"], expected["submission_kind"]), unit_code
        if expected["received_at"]:
            assert received_at.isoformat().replace("+00:00", "Z").startswith(expected["received_at"][:19]), unit_code


def test_every_message_has_exactly_one_final_state(closed_months, settings, warehouse_conn):
    files = mail_files(settings.maildir)
    assert unprocessed(settings.maildir) == []  # every recorded message is filed as processed
    states = dict(warehouse_conn.execute("select state, count(*) from raw.messages group by state").fetchall())
    archived = list(settings.archive_dir.rglob("*.eml"))
    assert len(files) == len(archived) == sum(states.values())
    assert set(states) <= {"accepted", "quarantined", "ignored"}


def test_message_states_match_the_generator(closed_months, settings, warehouse_conn):
    from ingestion.mailbox.archive import message_hash

    ledger = {
        h: (state, reason)
        for h, state, reason in warehouse_conn.execute("select message_hash, state, reason_code from raw.messages")
    }
    for period in PERIODS:
        path = settings.maildir.parent / f"messages-{format_period(period)}.csv"
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                raw = delivered_file(settings.maildir, row["file"]).read_bytes()
                state, reason = ledger[message_hash(raw)]
                assert state == row["expected_state"], (row, reason)
                if state != "accepted":
                    assert reason == row["reason_code"], row


def test_alert_email_names_every_missing_unit(closed_months, settings, warehouse_conn):
    alerts = sorted(settings.outbox_dir.glob("*.eml"))
    assert len(alerts) >= len(PERIODS)
    for period in PERIODS:
        subject_mark = f"Tháng {format_period(period)}"
        matching = [
            m
            for m in (email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in alerts)
            if subject_mark in str(m["Subject"])
        ]
        assert matching, f"no alert for {period}"
        html_part = matching[-1].get_body(preferencelist=("html",))
        body = html_part.get_content()
        missing = [
            (code, name)
            for code, name in warehouse_conn.execute(
                "select unit_code, unit_name from marts.fct_reporting_compliance "
                "where period_month = %s and status = 'missing'",
                (period,),
            )
        ]
        assert missing, "the generated month has missing units"
        for code, name in missing:
            assert code in body and name in body


def test_second_run_changes_nothing(closed_months):
    assert closed_months["first"] == closed_months["second"]
    assert closed_months["first"]["messages"], "the first run loaded messages"


def test_alert_csv_is_attached(closed_months, settings):
    latest = email.message_from_bytes(
        sorted(settings.outbox_dir.glob("*.eml"))[-1].read_bytes(), policy=email.policy.default
    )
    names = [part.get_filename() for part in latest.iter_attachments()]
    assert any(name and name.endswith(".csv") for name in names)


@pytest.mark.parametrize("period", PERIODS, ids=format_period)
def test_alert_lists_the_value_warnings_of_the_mart(closed_months, settings, warehouse_conn, period):
    alert = _alert(settings, period)
    attachments = {part.get_filename(): part.get_content() for part in alert.iter_attachments()}
    name = f"canh-bao-so-lieu-{format_period(period)}.csv"
    assert set(attachments) == {f"tuan-thu-bao-cao-{format_period(period)}.csv", name}
    content = attachments[name]
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    rows = list(csv.DictReader(text.splitlines()))
    expected = warehouse_conn.execute(
        "select unit_code, indicator_code, warning_code from marts.fct_value_warnings"
        " where period_month = %s and is_effective",
        (period,),
    ).fetchall()
    assert sorted((r["unit_code"], r["indicator_code"], r["warning_code"]) for r in rows) == sorted(expected)
    assert "Cảnh báo số liệu" in alert.get_body(preferencelist=("html",)).get_content()
    # every stored warning reaches the mart (none is lost for a loaded report)
    raw, mart = warehouse_conn.execute(
        "select (select count(*) from raw.value_warnings), (select count(*) from marts.fct_value_warnings)"
    ).fetchone()
    assert raw == mart


@pytest.mark.parametrize("period", PERIODS, ids=format_period)
def test_value_warnings_mart_equals_ground_truth(closed_months, settings, warehouse_conn, period):
    """None in 2009-06; in 2009-07 exactly the planted typo (jump) and unchanged report (same_as_last_month)."""
    expected = _expected_warnings(settings, period)
    mart = warehouse_conn.execute(
        "select message_hash, unit_code, indicator_code, warning_code from marts.fct_value_warnings"
        " where period_month = %s",
        (period,),
    ).fetchall()
    assert sorted(mart) == expected
    planted = {"jump", "same_as_last_month"} if period > PERIODS[0] else set()
    assert {code for *_, code in expected} == planted


@pytest.mark.parametrize("period", PERIODS, ids=format_period)
def test_alert_names_the_units_with_value_warnings(closed_months, settings, warehouse_conn, period):
    body = _alert(settings, period).get_body(preferencelist=("html",)).get_content()
    section = body.split("<h3>Cảnh báo số liệu", 1)[1]
    units = {unit for _, unit, _, _ in _expected_warnings(settings, period)}
    if not units:
        assert "Không có cảnh báo số liệu" in section
        return
    names = warehouse_conn.execute(
        "select unit_code, unit_name from marts.dim_reporting_unit where unit_code = any(%s)", (sorted(units),)
    ).fetchall()
    assert {code for code, _ in names} == units
    for code, name in names:
        assert f"<td>{html.escape(code)}</td><td>{html.escape(name)}</td>" in section


def test_run_summary_counts_the_value_warnings(closed_months, settings, warehouse_conn, capsys):
    from rich.console import Console

    from itreport.cli.summary import print_summary

    print_summary(Console(), settings, PERIODS[-1], "", 0)
    count = warehouse_conn.execute(
        "select count(*) from marts.fct_value_warnings where period_month = %s and is_effective", (PERIODS[-1],)
    ).fetchone()[0]
    assert f"Value warnings ({count})" in capsys.readouterr().out


def test_archive_is_content_addressed(closed_months, settings):
    from ingestion.mailbox.archive import message_hash

    for path in list(settings.archive_dir.rglob("*.eml"))[:10]:
        assert path.stem == message_hash(path.read_bytes())
    assert Path(settings.archive_dir).is_dir()


def test_dbt_applies_the_same_deadline_rule_as_python(closed_months, settings, warehouse_conn):
    rows = warehouse_conn.execute(
        "select period_month, deadline_at, received_at, status, days_late from marts.fct_reporting_compliance"
    ).fetchall()
    assert rows
    for period, deadline_at, received_at, status, days_late in rows:
        assert deadline_at == settings.deadline.deadline(period)
        if received_at is None:
            assert status == "missing" and days_late is None
        else:
            on_time = settings.deadline.is_on_time(received_at, period)
            assert status == ("on_time" if on_time else "late")
            assert days_late == settings.deadline.days_late(received_at, period)


def test_form_prefilled_from_the_warehouse(closed_months, settings, warehouse_conn, tmp_path):
    import subprocess
    import sys

    from ingestion.documents.docx_reader import parse_report

    unit_code, message = warehouse_conn.execute(
        "select unit_code, message_hash from raw.submissions "
        "where period_month = '2009-06-01' and submission_kind = 'report' order by unit_code limit 1"
    ).fetchone()
    stored = dict(
        warehouse_conn.execute(
            "select indicator_code, value_text from raw.submission_values where message_hash = %s and value_text <> ''",
            (message,),
        ).fetchall()
    )
    target = tmp_path / "form.docx"
    command = [sys.executable, "-m", "itreport.cli.app", "form", "--unit", unit_code, "--period", "2009-07"]
    subprocess.run([*command, "--prefill-from", "2009-06", "-o", str(target)], check=True, capture_output=True)
    parsed = parse_report(target.read_bytes())
    assert parsed.unit_code == unit_code and parsed.period == date(2009, 7, 1)
    assert {code: v.value_text for code, v in parsed.values.items() if v.value_text} == stored
