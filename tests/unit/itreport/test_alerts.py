"""The monthly alert email: compliance tables, the "Cảnh báo số liệu" section and both CSV attachments."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ingestion.domain.periods import DeadlineRule
from itreport.notify.alerts import WARNINGS_SHOWN, compose_alert
from itreport.reports.compliance import ComplianceRow, PeriodCompliance, WarningRow

PERIOD = date(2009, 7, 1)
RECEIVED = datetime(2009, 7, 10, 3, 0, tzinfo=UTC)


def _compliance(warnings: list[WarningRow] | None) -> PeriodCompliance:
    rows = [
        ComplianceRow("BTC", "Bộ Tài chính", "ministry", PERIOD, "on_time", "report", RECEIVED, 0),
        ComplianceRow("P01", "Thành phố Hà Nội", "province", PERIOD, "missing", None, None, None),
    ]
    return PeriodCompliance(PERIOD, rows, warnings)


def _warning(i: int, indicator: str = "2.1", code: str = "outlier_minmax") -> WarningRow:
    return WarningRow(
        f"P{i:02d}",
        f"Tỉnh số {i}",
        indicator,
        code,
        None if indicator == "*" else Decimal(f"{100 + i}.50"),
        Decimal("0"),
        Decimal("80"),
        f"chỉ tiêu {indicator} = {100 + i} nằm ngoài giới hạn <0–80>. Đề nghị kiểm tra lại.",
        f"indicator {indicator} = {100 + i} is outside <0–80>. Please check it.",
        RECEIVED,
    )


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_warnings_section_lists_unit_indicator_value_and_message():
    warnings = [_warning(1), _warning(2, "*", "same_as_last_month")]
    alert = compose_alert(_compliance(warnings), DeadlineRule())
    assert "<h3>Cảnh báo số liệu (2)</h3>" in alert.html
    assert "Tỉnh số 1" in alert.html and "<td>2.1</td><td>101.5</td>" in alert.html
    assert "nằm ngoài giới hạn &lt;0–80&gt;" in alert.html  # escaped
    assert "Toàn bộ báo cáo" in alert.html
    assert "cảnh báo khác" not in alert.html
    assert "2 cảnh báo số liệu" in alert.subject
    # the compliance part is unchanged: the missing unit is named, its CSV attached first
    assert "Thành phố Hà Nội" in alert.html
    assert [name for name, _ in alert.attachments] == ["tuan-thu-bao-cao-2009-07.csv", "canh-bao-so-lieu-2009-07.csv"]


def test_warnings_list_is_capped_and_the_csv_has_them_all():
    warnings = [_warning(i) for i in range(1, WARNINGS_SHOWN + 8)]
    alert = compose_alert(_compliance(warnings), DeadlineRule())
    section = alert.html[alert.html.index("Cảnh báo số liệu") :]
    assert section.count("<tr><td>") == WARNINGS_SHOWN
    assert f"Tỉnh số {WARNINGS_SHOWN}<" in section and f"Tỉnh số {WARNINGS_SHOWN + 1}<" not in section
    assert "và 7 cảnh báo khác" in alert.html and "canh-bao-so-lieu-2009-07.csv" in alert.html
    rows = _csv(alert.warnings_csv_text)
    assert len(rows) == len(warnings)
    assert rows[-1]["unit_code"] == f"P{WARNINGS_SHOWN + 7:02d}"
    assert rows[0] | {"message_vi": "", "message_en": ""} == {
        "unit_code": "P01",
        "unit_name": "Tỉnh số 1",
        "period": "2009-07",
        "indicator_code": "2.1",
        "warning_code": "outlier_minmax",
        "value": "101.5",
        "expected_low": "0",
        "expected_high": "80",
        "message_vi": "",
        "message_en": "",
        "received_at": "2009-07-10T03:00:00+00:00",
    }
    assert rows[0]["message_vi"].startswith("chỉ tiêu 2.1 = 101")


def test_without_warnings_the_section_says_none_and_the_csv_is_empty():
    alert = compose_alert(_compliance([]), DeadlineRule())
    assert "<h3>Cảnh báo số liệu (0)</h3><p>Không có cảnh báo số liệu trong kỳ.</p>" in alert.html
    assert "cảnh báo số liệu" not in alert.subject
    assert _csv(alert.warnings_csv_text) == [] and alert.warnings_csv_text.startswith("unit_code,")
    assert len(alert.attachments) == 2


def test_warnings_mart_not_built_yet_does_not_stop_the_alert():
    alert = compose_alert(_compliance(None), DeadlineRule())
    assert "Chưa có dữ liệu cảnh báo số liệu" in alert.html and "Thành phố Hà Nội" in alert.html


class _Sender:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send_email_smtp(self, **kwargs) -> None:
        self.sent.append(kwargs)


def test_send_compliance_alert_attaches_both_csv_files(monkeypatch, settings, tmp_path):
    from support.scratch import scratch_settings

    from itreport.notify import alerts

    alert = compose_alert(_compliance([_warning(1)]), DeadlineRule())
    monkeypatch.setattr(alerts, "period_alert", lambda _settings, _period: alert)
    sender = _Sender()
    result = alerts.send_alert_once(scratch_settings(settings, tmp_path, "itreport_alert_csv"), PERIOD, sender)
    (sent,) = sender.sent
    assert sent["subject"] == alert.subject and sent["html_content"] == alert.html
    names = [path.rsplit("/", 1)[-1] for path in sent["files"]]
    assert names == ["tuan-thu-bao-cao-2009-07.csv", "canh-bao-so-lieu-2009-07.csv"]
    assert result["attachments"] == sent["files"]
    with open(sent["files"][1], encoding="utf-8") as handle:
        assert len(_csv(handle.read())) == 1


@pytest.mark.parametrize("count", [0, WARNINGS_SHOWN, WARNINGS_SHOWN + 1])
def test_cap_boundary(count):
    alert = compose_alert(_compliance([_warning(i) for i in range(count)]), DeadlineRule())
    assert ("cảnh báo khác" in alert.html) is (count > WARNINGS_SHOWN)
    assert len(_csv(alert.warnings_csv_text)) == count
