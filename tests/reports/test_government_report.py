"""The Government's monthly briefing for real: two generated months closed by real monthly_close runs (which emit the
marts asset), then government_report runs answered through Airflow's REST API (approve, reject, unchanged rerun);
the archived .docx is parsed back with python-docx and every figure compared with the marts."""

from __future__ import annotations

import email
import email.policy
import hashlib
import os
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion.domain.periods import format_period

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("briefing")]

JUNE, JULY = date(2009, 6, 1), date(2009, 7, 1)
UNITS = 40
ENV = ("ITREPORT_HOME", "ITREPORT_WAREHOUSE_URL", "ITREPORT_MAILDIR", "ITREPORT_LEADERSHIP_TO")
LEADERSHIP = "lanhdao.bo@mic.gov.example"


def _mails(outbox: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(outbox.glob("*.eml"))]


@pytest.fixture(scope="module")
def calendar(settings, tmp_path_factory):
    """A scratch warehouse; June and July closed by monthly_close (government_report unpaused in between), then
    government_report approved for July, rejected for June, and July run again unchanged."""
    from support.scratch import restore_environ, scratch_settings

    from itreport.config import warehouse
    from itreport.demo import smtp_sink
    from itreport.demo.approver import HitlResponder
    from itreport.demo.sample_mail import generate_mailbox
    from itreport.orchestration import airflow_env
    from itreport.orchestration.local_runner import run_government_report, run_monthly_close, set_paused

    scratch = scratch_settings(settings, tmp_path_factory.mktemp("briefing"), "itreport_briefing")
    for period in (JUNE, JULY):
        generate_mailbox(scratch.maildir, period, units=UNITS, deadline=scratch.deadline, with_doc=False)
    saved = {name: os.environ.get(name) for name in ENV}
    os.environ.update(
        ITREPORT_HOME=str(scratch.home),
        ITREPORT_WAREHOUSE_URL=scratch.warehouse_url or "",
        ITREPORT_MAILDIR=str(scratch.maildir),
        ITREPORT_LEADERSHIP_TO=LEADERSHIP,
    )
    try:
        with smtp_sink.running_sink(scratch.outbox_dir) as smtp_url:
            airflow_env.configure(scratch, smtp_url)
            os.environ.update(warehouse.dbt_env(scratch))
            airflow_env.migrate_metadata_db()
            closes = [run_monthly_close(scratch, JUNE)]
            set_paused("government_report", False)
            closes.append(run_monthly_close(scratch, JULY))
            set_paused("government_report", True)
            responder = HitlResponder("nguyen.van.duyet")
            with responder.answering("government_report", "Approve", "Đồng ý gửi") as approved_answer:
                approved = run_government_report(scratch, JULY)
            with responder.answering("government_report", "Reject", "Sai số liệu tỉnh") as rejected_answer:
                rejected = run_government_report(scratch, JUNE)
            rerun = run_government_report(scratch, JULY, logical_date=scratch.deadline.deadline(JULY) + timedelta(1))
        yield {
            "settings": scratch,
            "closes": closes,
            "approved": approved,
            "rejected": rejected,
            "rerun": rerun,
            "answers": (approved_answer, rejected_answer),
        }
    finally:
        restore_environ(saved)


def _ledger(settings):
    from itreport.config import warehouse
    from itreport.reports import ledger

    with warehouse.connect(settings) as conn:
        return {(v.report_key, v.version): v for v in ledger.history(conn, "government_monthly")}


def test_the_runs_succeed_and_answers_went_through_the_rest_api(calendar):
    for run in calendar["closes"]:
        assert run.succeeded and run.task_states["announce_marts"] == "success", run.task_states
    for answer in calendar["answers"]:
        assert answer.error is None and len(answer.answered) == 1
    assert calendar["approved"].succeeded, calendar["approved"].task_states
    assert calendar["approved"].task_states["publish_report"] == "success"
    states = calendar["rejected"].task_states
    assert calendar["rejected"].succeeded and states["publish_report"] == "skipped", states
    assert states["record_rejection"] == "success"


def test_monthly_close_asset_event_queues_government_report(calendar):
    """dag.test() of monthly_close emits the marts asset with the period, and queues the unpaused consumer for the
    scheduler (AssetDagRunQueue); turning that queue entry into a run is the scheduler's job (the stack test)."""
    from airflow.models.asset import AssetDagRunQueue, AssetEvent, AssetModel
    from airflow.utils.session import create_session

    from itreport.orchestration.assets import MONTHLY_MARTS

    with create_session() as session:
        asset = session.query(AssetModel).filter(AssetModel.uri == MONTHLY_MARTS.uri).one()
        events = session.query(AssetEvent).filter(AssetEvent.asset_id == asset.id).all()
        queued = session.query(AssetDagRunQueue).filter(AssetDagRunQueue.asset_id == asset.id).all()
        produced = [(e.source_dag_id, e.source_task_id, e.extra.get("period")) for e in events]
        consumers = {q.target_dag_id for q in queued}
    assert ("monthly_close", "announce_marts", "2009-06") in produced
    assert ("monthly_close", "announce_marts", "2009-07") in produced
    assert consumers == {"government_report"}


def test_approved_version_is_archived_and_mailed_to_the_leadership(calendar):
    settings = calendar["settings"]
    versions = _ledger(settings)
    july = versions[("2009-07", 1)]
    assert (july.decision, july.decided_by, july.comment) == ("approved", "nguyen.van.duyet", "Đồng ý gửi")
    assert july.sent_to == LEADERSHIP and july.sent_at is not None
    content = july.archive_path.read_bytes()
    assert hashlib.sha256(content).hexdigest() == july.sha256
    assert july.archive_path.stat().st_mode & 0o777 == 0o600
    mails = [m for m in _mails(settings.outbox_dir) if "Báo cáo tình hình ứng dụng CNTT" in str(m["Subject"])]
    assert len(mails) == 1 and str(mails[0]["To"]) == LEADERSHIP
    (attachment,) = list(mails[0].iter_attachments())
    assert attachment.get_filename() == "v1-bao-cao-chinh-phu-ung-dung-cntt-2009-07.docx"
    assert attachment.get_content() == content


def test_rejected_version_is_recorded_with_its_comment_and_not_sent(calendar):
    versions = _ledger(calendar["settings"])
    june = versions[("2009-06", 1)]
    assert (june.decision, june.comment, june.sent_at) == ("rejected", "Sai số liệu tỉnh", None)
    subjects = [str(m["Subject"]) for m in _mails(calendar["settings"].outbox_dir)]
    assert not any("tháng 06/2009 (phiên bản" in s for s in subjects)


def test_an_unchanged_rerun_keeps_the_version_and_asks_nobody(calendar):
    states = calendar["rerun"].task_states
    assert calendar["rerun"].succeeded and states["approve"] == "skipped" and states["publish_report"] == "skipped"
    assert sorted(_ledger(calendar["settings"])) == [("2009-06", 1), ("2009-07", 1)]


# --- the document against the marts -----------------------------------------------------------------------------


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", ".").replace("+", ""))


def _tables(document) -> dict[tuple[str, ...], list[list[str]]]:
    found: dict[tuple[str, ...], list[list[str]]] = {}
    for table in document.tables:
        rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
        found.setdefault(tuple(rows[0]), []).extend(rows[1:])
    return found


@pytest.fixture(scope="module")
def july_document(calendar):
    from docx import Document

    path = _ledger(calendar["settings"])[("2009-07", 1)].archive_path
    return Document(str(path))


@pytest.fixture(scope="module")
def marts(calendar):
    from itreport.config import warehouse

    with warehouse.connect(calendar["settings"]) as conn:
        rates = {
            (row[0], row[1]): row[2:]
            for row in conn.execute(
                "select period_month, unit_type, expected_reports, actual_reports, reports_on_time, reports_late,"
                " reports_missing, reporting_rate, reporting_rate_on_time from marts.rpt_reporting_rate"
            )
        }
        late_missing = conn.execute(
            "select unit_code, unit_name, status, days_late from marts.fct_reporting_compliance"
            " where period_month = %s and status <> 'on_time'",
            (JULY,),
        ).fetchall()
        warnings = conn.execute(
            "select unit_code, indicator_code from marts.fct_value_warnings where period_month = %s and is_effective",
            (JULY,),
        ).fetchall()
        values = conn.execute(
            "select v.indicator_code, u.unit_type, v.value_number from marts.fct_indicator_values v"
            " join marts.dim_reporting_unit u using (unit_code)"
            " where v.period_month = %s and v.value_number is not null",
            (JULY,),
        ).fetchall()
    return {"rates": rates, "late_missing": late_missing, "warnings": warnings, "values": values}


def _pct(rate) -> Decimal:
    return (Decimal(rate) * 100).quantize(Decimal("0.01"))


def test_headline_figures_equal_the_marts(july_document, marts):
    from itreport.reports.briefing_doc import HEADLINE_HEADER

    rows = _tables(july_document)[HEADLINE_HEADER]
    now, before = marts["rates"][(JULY, "all")], marts["rates"][(JUNE, "all")]
    expected = [
        (now[0], before[0]),
        (now[2], before[2]),
        (now[3], before[3]),
        (now[4], before[4]),
        (_pct(now[5]), _pct(before[5])),
        (_pct(now[6]), _pct(before[6])),
    ]
    assert len(rows) == len(expected)
    for (label, this, last, change), (value, old) in zip(rows, expected, strict=True):
        assert (_number(this), _number(last), _number(change)) == (value, old, value - old), label


def test_by_type_table_equals_the_marts(july_document, marts):
    from itreport.reports.briefing_data import UNIT_TYPE_LABELS
    from itreport.reports.briefing_doc import BY_TYPE_HEADER

    labels = {label: key for key, label in UNIT_TYPE_LABELS.items()}
    rows = _tables(july_document)[BY_TYPE_HEADER]
    assert {labels[r[0]] for r in rows} == {t for p, t in marts["rates"] if p == JULY}
    for label, *cells in rows:
        expected, _actual, on_time, late, missing, rate, on_time_rate = marts["rates"][(JULY, labels[label])]
        assert [_number(c) for c in cells] == [expected, on_time, late, missing, _pct(rate), _pct(on_time_rate)]


def test_late_and_missing_units_equal_the_marts(july_document, marts):
    from itreport.reports.briefing_doc import STATUS_LABELS, UNITS_HEADER

    rows = _tables(july_document)[UNITS_HEADER]
    expected = {
        (code, name, STATUS_LABELS[status], "" if days is None else str(days))
        for code, name, status, days in marts["late_missing"]
    }
    assert {tuple(r) for r in rows} == expected and len(rows) == len(expected)
    assert any(r[2] == "Trễ hạn" for r in rows) and any(r[2] == "Chưa báo cáo" for r in rows)


def test_trend_rows_equal_the_marts(july_document, marts):
    from itreport.reports.briefing_doc import TREND_HEADER

    rows = _tables(july_document)[TREND_HEADER]
    assert [r[0] for r in rows] == ["06/2009", "07/2009"]
    for row, period in zip(rows, (JUNE, JULY), strict=True):
        expected, actual, on_time, _late, _missing, rate, on_time_rate = marts["rates"][(period, "all")]
        assert [_number(c) for c in row[1:]] == [expected, actual, on_time, _pct(rate), _pct(on_time_rate)]


def test_target_progress_equals_the_marts(july_document, marts):
    from itreport.reports.briefing_data import UNIT_TYPE_LABELS
    from itreport.reports.briefing_doc import TARGET_HEADER

    labels = {label: key for key, label in UNIT_TYPE_LABELS.items()}
    rows = _tables(july_document)[TARGET_HEADER]
    assert rows, "2009 has Quyết định 48/2009 targets"
    for indicator, unit_type_label, target, _units, reported, met, average in rows:
        code = indicator.split(". ", 1)[0]
        values = [v for c, t, v in marts["values"] if c == code and t == labels[unit_type_label]]
        assert int(reported) == len(values)
        assert int(met) == sum(v >= _number(target) for v in values)
        if values:
            assert _number(average) == (sum(values) / len(values)).quantize(Decimal("0.01"))


def test_value_warnings_are_listed(july_document, marts):
    from itreport.reports.briefing_doc import WARNINGS_HEADER

    rows = _tables(july_document).get(WARNINGS_HEADER, [])
    assert marts["warnings"], "the generated July has value warnings"
    assert sorted((r[0], "*" if r[2] == "Toàn bộ báo cáo" else r[2]) for r in rows) == sorted(marts["warnings"])


def test_document_format_and_charts(july_document):
    section = july_document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.left_margin.mm) == 30 and round(section.right_margin.mm) == 20
    assert july_document.styles["Normal"].font.name == "Times New Roman"
    assert 13 <= july_document.styles["Normal"].font.size.pt <= 14
    text = "\n".join(p.text for p in july_document.paragraphs)
    header = "\n".join(cell.text for cell in july_document.tables[0].rows[0].cells)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header and "Độc lập - Tự do - Hạnh phúc" in header
    assert "BỘ THÔNG TIN VÀ TRUYỀN THÔNG" in header and "ngày 22 tháng 07 năm 2009" in header
    assert "Tình hình ứng dụng CNTT của các cơ quan nhà nước tháng 07/2009" in text
    images = [rel for rel in july_document.part.rels.values() if "image" in rel.reltype]
    assert len(images) == 3 and all(rel.target_part.blob.startswith(b"\x89PNG") for rel in images)
    assert len(july_document.inline_shapes) == 3


def test_cli_writes_the_same_document(calendar, tmp_path):
    import subprocess
    import sys

    version = _ledger(calendar["settings"])[("2009-07", 1)]
    target = tmp_path / "briefing.docx"
    env = os.environ | {
        "ITREPORT_HOME": str(calendar["settings"].home),
        "ITREPORT_WAREHOUSE_URL": calendar["settings"].warehouse_url or "",
    }
    command = [sys.executable, "-m", "itreport.cli.app", "report", "monthly", "--period", "2009-07", "-o", str(target)]
    subprocess.run(command, check=True, capture_output=True, env=env)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == version.sha256
    assert target.stat().st_mode & 0o777 == 0o600


def test_the_briefing_reads_the_marts_as_bi_reader(calendar):
    import psycopg

    from itreport.config import warehouse

    with warehouse.connect_bi_reader(calendar["settings"]) as conn:
        assert conn.execute("select current_user").fetchone()[0] == "bi_reader"
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from raw.submissions")


def test_format_helpers():
    from itreport.reports.briefing_doc import percent, signed

    assert percent(Decimal("0.9570")) == "95,70" and percent(Decimal("1")) == "100,00"
    assert signed(3) == "+3" and signed(-2) == "-2" and signed(0) == "0"
    assert signed(Decimal("0.0125"), rate=True) == "+1,25"
    assert format_period(JULY) == "2009-07"
