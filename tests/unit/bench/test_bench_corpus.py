"""The bench's national month is real mail the product accepts, and its table judges targets as the issue says."""

from __future__ import annotations

from bench import synthetic, targets
from ingestion.decide.classify import assess
from ingestion.domain.catalogue import default_catalogue
from ingestion.domain.periods import DeadlineRule
from ingestion.domain.records import MessageState
from ingestion.domain.registry import default_registry, load_registry
from ingestion.mailbox.headers import to_inbound
from ingestion.mailbox.maildir import iter_maildir

MX = "mx.baocao-cntt.gov.example"


def test_the_templated_month_is_accepted_unit_by_unit_from_its_own_registry(tmp_path):
    month = synthetic.build_month(tmp_path, 40)
    registry = load_registry(month.seeds_dir)
    assert len(registry.units) == 40 and month.messages == 40
    assert not {u.unit_code for u in registry.units} & {u.unit_code for u in default_registry().units}
    decided = {}
    for _, raw, _ in iter_maildir(month.maildir):
        message = to_inbound(raw, source="bench", mx_host=MX)
        result = assess(message, registry=registry, catalogue=default_catalogue(), deadline=DeadlineRule())
        assert result.decision.state is MessageState.ACCEPTED, result.decision.reason_en
        decided[result.submission.unit_code] = len(result.submission.values)
    assert set(decided) == {u.unit_code for u in registry.units}
    assert synthetic.build_month(tmp_path, 40).maildir == month.maildir  # cached: the same folder again


def test_the_table_judges_each_target_and_labels_an_extrapolated_history():
    figures = {
        "gx_import": [{"seconds": 3.0}],
        "empty_dag": [{"seconds": 9.0}],
        "dbt_one_model": [{"seconds": 4.0}],
        "close": {"runs": [{"period": "2009-07", "state": "success", "seconds": 20.0, "tasks": {"intake": 2.0}}]},
        "parse_floors": {
            "floor_per_message_ms": 1.0,
            "unzip_lxml_per_docx_ms": 1.0,
            "parse_report_per_docx_ms": 4.0,
            "doc_files": 0,
        },
        "intake_docx": {"messages": 89, "per_message_ms": 6.0},
        "intake_national": {"messages": 12000, "seconds": 100.0, "per_message_ms": 8.3, "peak_mb": 600.0},
        "history": {
            "months": 10,
            "full_months": 210,
            "intake_seconds": 10.0,
            "dbt_full_refresh_seconds": 5.0,
            "month_n": {"tasks": {"intake": 2.1}},
        },
    }
    rows = {row.what.split(",")[0].split(" (")[0]: row for row in targets.rows(figures)}
    assert rows["monthly_close"].holds is True  # 20 s against 16 s: 1.25×
    assert rows["intake per message"].holds is False  # 6×
    assert rows["intake of a 12000-unit month"].holds is True
    assert rows["peak memory"].holds is False
    history = next(row for row in targets.rows(figures) if row.what.startswith("full-history"))
    assert "EXTRAPOLATED" in history.what and history.measured == "315.0 s" and history.holds is False
    assert rows["month 11 / month 2: intake"].holds is True
    assert "| **no** |" in targets.markdown(list(rows.values()), "# bench")
