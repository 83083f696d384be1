"""Through run_intake: an invalid report is quarantined with precise reasons in both languages; accepted reports
get value warnings in raw.value_warnings without changing their state."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from ingestion.domain.catalogue import default_catalogue
from ingestion.domain.registry import default_registry

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("airflow")]  # shares raw tables with the e2e run

CATALOGUE = default_catalogue()
PERIODS = [date(2012, 1, 1), date(2012, 2, 1), date(2012, 3, 1)]  # far from the e2e test's periods


def _texts(**overrides: str) -> dict[str, str]:
    base = {"yes_no": "Có", "text": "https://example.gov.vn", "percent": "40"}
    texts = {i.indicator_code: base.get(i.value_type, "12") for i in CATALOGUE.indicators}
    texts.update({code.replace("_", "."): text for code, text in overrides.items()})
    return texts


def _message(unit_code: str, period: date, texts: dict[str, str], mx_host: str) -> bytes:
    from ingestion.documents.form import build_form

    unit = default_registry().get(unit_code)
    received = datetime(period.year, period.month, 10, 3, tzinfo=UTC)
    msg = EmailMessage()
    msg["Received"] = f"from mail.sender.example by {mx_host} with ESMTPS id X1; {format_datetime(received)}"
    msg["From"] = f"Văn phòng <{unit.contact_email}>"
    msg["To"] = "baocao.cntt@mic.gov.example"
    msg["Subject"] = f"Báo cáo CNTT tháng {period.month}/{period.year}"
    msg["Date"] = format_datetime(received)
    msg["Message-ID"] = f"<{unit_code}.{period.isoformat()}@test-expectations-intake>"
    msg.set_content("Kính gửi Cục Ứng dụng CNTT.")
    msg.add_attachment(
        build_form(unit, period, texts),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename=f"bao-cao-{unit_code}-{period:%Y-%m}.docx",
    )
    return msg.as_bytes()


@pytest.fixture(scope="module")
def intake(tmp_path_factory, warehouse_conn):
    from ingestion.mailbox.archive import message_hash
    from itreport.config.settings import Settings
    from itreport.orchestration.intake_run import run_intake

    maildir = tmp_path_factory.mktemp("maildir")
    (maildir / "new").mkdir()
    settings = Settings.from_env(dict(os.environ) | {"ITREPORT_MAILDIR": str(maildir)})
    mails = {
        # P02: steady, then a percent jumping 40 → 85 (warning only)
        "p02-1": _message("P02", PERIODS[0], _texts(), settings.mx_host),
        "p02-2": _message("P02", PERIODS[1], _texts(**{"4_4": "7"}), settings.mx_host),
        "p02-3": _message("P02", PERIODS[2], _texts(**{"3_3": "85", "4_4": "9"}), settings.mx_host),
        # P04: March equals February (warning only)
        "p04-2": _message("P04", PERIODS[1], _texts(), settings.mx_host),
        "p04-3": _message("P04", PERIODS[2], _texts(), settings.mx_host),
        # P06: broken values (quarantined)
        "p06-3": _message("P06", PERIODS[2], _texts(**{"3_3": "150", "2_1": "12,5", "3_2": "99", "3_1": "20"}),
                          settings.mx_host),
    }  # fmt: skip
    for name, raw in mails.items():
        (maildir / "new" / name).write_bytes(raw)
    hashes = {name: message_hash(raw) for name, raw in mails.items()}
    counts = run_intake(settings)
    yield {"counts": counts, "hashes": hashes, "conn": warehouse_conn}
    for table in ("value_warnings", "submission_values", "submissions", "replies", "messages"):
        exists = warehouse_conn.execute("select to_regclass(%s)", (f"raw.{table}",)).fetchone()[0]
        if exists:
            warehouse_conn.execute(f"delete from raw.{table} where message_hash = any(%s)", (list(hashes.values()),))


def test_invalid_report_is_quarantined_with_precise_reasons_in_both_languages(intake):
    conn, digest = intake["conn"], intake["hashes"]["p06-3"]
    state, reason, vi, en = conn.execute(
        "select state, reason_code, reason_vi, reason_en from raw.messages where message_hash = %s", (digest,)
    ).fetchone()
    assert (state, reason) == ("quarantined", "invalid_values")
    assert 'chỉ tiêu 3.3 (Tỷ lệ cán bộ, công chức sử dụng thư điện tử trong công việc) = "150"' in vi
    assert "từ 0 đến 100 %" in vi and "chỉ tiêu 2.1" in vi and "12,5" in vi and "3.2 <= 3.1" in vi
    assert 'indicator 3.3 (Share of officials using email for work) = "150": must be between 0 and 100 %' in en
    assert "whole number" in en and "3.2 <= 3.1" in en
    assert "chỉ tiêu" not in en


def test_warnings_never_block_acceptance(intake):
    conn, hashes = intake["conn"], intake["hashes"]
    states = dict(
        conn.execute(
            "select message_hash, state from raw.messages where message_hash = any(%s)", (list(hashes.values()),)
        ).fetchall()
    )
    assert [states[hashes[n]] for n in ("p02-1", "p02-2", "p02-3", "p04-2", "p04-3")] == ["accepted"] * 5


def test_jumps_and_unchanged_reports_are_stored_as_warnings(intake):
    conn, hashes = intake["conn"], intake["hashes"]
    rows = conn.execute(
        "select message_hash, indicator_code, warning_code, value, expected_low, expected_high, message_en "
        "from raw.value_warnings where message_hash = any(%s) order by 1, 2, 3",
        (list(hashes.values()),),
    ).fetchall()
    by_message = {}
    for digest, code, warning, *_rest in rows:
        by_message.setdefault(digest, []).append((code, warning))
    assert by_message.get(hashes["p02-3"]) == [("3.3", "jump")]
    assert by_message.get(hashes["p04-3"]) == [("*", "same_as_last_month")]
    assert hashes["p06-3"] not in by_message
    jump = next(r for r in rows if r[0] == hashes["p02-3"])
    assert (float(jump[3]), float(jump[4]), float(jump[5])) == (85.0, 10.0, 70.0)
    assert intake["counts"].rows_inserted["value_warnings"] == len(rows)
