"""The dbt warehouse on a real PostgreSQL: incremental facts equal a full refresh, BI reads marts only.

Runs dbt against its own database (``itreport_dbt_test``) on the session's embedded server, filled with a
small hand-written raw history, so it never touches the data the end-to-end tests compare.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("dbt_warehouse")]  # one worker builds `builds`

REPO = Path(__file__).resolve().parents[2]
DBT_DIR = REPO / "dbt_project"
BIN = Path(sys.executable).parent
DATABASE = "itreport_dbt_test"
MARTS = [
    "dim_period",
    "dim_indicator",
    "dim_reporting_unit",
    "fct_submissions",
    "fct_indicator_values",
    "fct_indicator_value_history",
    "fct_value_warnings",
    "fct_reporting_compliance",
    "rpt_reporting_rate",
    "rpt_target_progress",
    "rpt_annual_ranking",
    "rpt_indicator_trend_current_units",
]

# (message hash, unit, period, kind, received_at UTC, {indicator: value})
FIRST_LOAD = [
    ("btc-06", "BTC", "2009-06-01", "report", "2009-06-10 03:00:00", {"1.3": 40, "3.3": 75, "2.1": 200, "2.4": 10}),
    ("btc-07", "BTC", "2009-07-01", "same_as_notice", "2009-07-15 03:00:00", {}),
    ("btc-08", "BTC", "2009-08-01", "same_as_notice", "2009-08-21 16:59:59", {}),
    ("btc-09", "BTC", "2009-09-01", "report", "2009-09-21 17:00:00", {"1.3": 55, "3.3": 80, "2.1": 200, "2.4": 20}),
    ("p01-06", "P01", "2009-06-01", "report", "2009-06-05 01:00:00", {"1.3": 20, "3.3": 60, "2.1": 500, "2.4": 5}),
    ("p01-07", "P01", "2009-07-01", "report", "2009-07-05 01:00:00", {"1.3": 25, "3.3": 65, "2.1": 500, "2.4": 6}),
    ("p01-09", "P01", "2009-09-01", "same_as_notice", "2009-09-05 01:00:00", {}),
    ("p04-06", "P04", "2009-06-01", "report", "2009-06-30 01:00:00", {"1.3": 10, "3.3": 30, "2.1": 100, "2.4": 0}),
]
FIRST_CLOSURES = ["2009-06-01", "2009-07-01", "2009-08-01", "2009-09-01"]
# Value warnings stored with the reports: (message hash, indicator, warning code, value, expected low, high)
FIRST_WARNINGS = [
    ("btc-06", "2.4", "outlier_minmax", 10, 0, 8),
    ("btc-09", "2.4", "outlier_zscore", 20, 8, 14),
    ("p04-06", "*", "same_as_last_month", None, None, None),
]

# Loaded after the first build: a correction after the deadline for a month outside the lookback window
# (its notices in July and August must follow it), a late report that mends P01's broken notice chain,
# and a new closed month.
LATE_LOAD = [
    ("btc-06b", "BTC", "2009-06-01", "report", "2009-07-02 08:00:00", {"1.3": 45, "3.3": 75, "2.1": 200, "2.4": 12}),
    ("p01-08", "P01", "2009-08-01", "report", "2009-09-30 01:00:00", {"1.3": 30, "3.3": 70, "2.1": 500, "2.4": 8}),
    ("p04-10", "P04", "2009-10-01", "report", "2009-10-01 01:00:00", {"1.3": 15, "3.3": 35, "2.1": 100, "2.4": 1}),
]
LATE_CLOSURES = ["2009-10-01"]
# the correction keeps June's outlier (the superseded report's warning stays, no longer effective)
LATE_WARNINGS = [
    ("btc-06b", "2.4", "outlier_minmax", 12, 0, 8),
    ("p01-08", "1.3", "jump", 30, 0, 25),
]


def _load(conn: psycopg.Connection, submissions, closures, warnings=()) -> None:
    for message_hash, unit, period, kind, received, values in submissions:
        received_at = f"{received}+00"
        same_as = None
        if kind == "same_as_notice":
            year, month = int(period[:4]), int(period[5:7])
            same_as = date(year - (month == 1), 12 if month == 1 else month - 1, 1)
        conn.execute(
            "insert into raw.messages (message_hash, source, sender, received_at, archive_path, state, reason_code,"
            " reason_vi, reason_en, unit_code, period_month, submission_kind)"
            " values (%s, 'test', %s, %s, %s, 'accepted', 'accepted', 'Đã nhận', 'Accepted', %s, %s, %s)",
            (message_hash, f"{unit.lower()}@example", received_at, f"/archive/{message_hash}.eml", unit, period, kind),
        )
        conn.execute(
            "insert into raw.submissions (message_hash, unit_code, period_month, submission_kind, received_at,"
            " filename, same_as_period) values (%s, %s, %s, %s, %s, %s, %s)",
            (message_hash, unit, period, kind, received_at, "bao-cao.docx" if kind == "report" else None, same_as),
        )
        for code, value in values.items():
            conn.execute(
                "insert into raw.submission_values (message_hash, indicator_code, value_text, value_number)"
                " values (%s, %s, %s, %s)",
                (message_hash, code, str(value), value),
            )
    for message_hash, indicator, code, value, low, high in warnings:
        conn.execute(
            "insert into raw.value_warnings (message_hash, indicator_code, warning_code, value, expected_low,"
            " expected_high, message_vi, message_en) values (%s, %s, %s, %s, %s, %s, %s, %s)",
            (message_hash, indicator, code, value, low, high, f"Cảnh báo {code} {indicator}", f"Warning {code}"),
        )
    for period in closures:
        conn.execute("insert into raw.period_closures (period_month, dag_run_id) values (%s, 'test')", (period,))


def _snapshot(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    return {
        table: sorted(conn.execute(sql.SQL("select * from {}").format(sql.Identifier("marts", table))), key=repr)
        for table in MARTS
    }


@pytest.fixture(scope="module")
def dbt_database(settings, warehouse_conn):
    """A fresh database on the session's server with the raw schema and the first load; yields its URL parts."""
    from itreport.config.warehouse import dbt_env

    warehouse_conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DATABASE)))
    warehouse_conn.execute(sql.SQL("create database {}").format(sql.Identifier(DATABASE)))
    env = dbt_env(settings) | {"ITREPORT_PGDATABASE": DATABASE}
    conninfo = f"host={env['ITREPORT_PGHOST']} port={env['ITREPORT_PGPORT']} dbname={DATABASE}"
    with psycopg.connect(f"{conninfo} user={env['ITREPORT_PGUSER']}", autocommit=True) as conn:
        conn.execute((REPO / "ingestion" / "raw_schema.sql").read_text(encoding="utf-8"))
        _load(conn, FIRST_LOAD, FIRST_CLOSURES, FIRST_WARNINGS)
        yield {"env": env, "conninfo": conninfo, "conn": conn}
    warehouse_conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DATABASE)))


def _dbt(database, tmp_path: Path, *args: str) -> str:
    variables = {"lookback_months": 1}
    command = [str(BIN / "dbt"), *args, "--profiles-dir", str(DBT_DIR), "--target-path", str(tmp_path / "target")]
    result = subprocess.run(
        [*command, "--vars", json.dumps(variables)],
        cwd=DBT_DIR,
        env=os.environ | database["env"] | {"DBT_LOG_PATH": str(tmp_path / "logs")},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def builds(dbt_database, tmp_path_factory):
    """Full refresh, late rows, incremental run (as a month of an unchanged release runs it: no seeds, no views,
    so a view built on a table the run replaces would be gone), then a full refresh of the same raw data."""
    tmp_path = tmp_path_factory.mktemp("dbt")
    conn = dbt_database["conn"]
    _dbt(dbt_database, tmp_path, "build", "--full-refresh")
    first = _snapshot(conn)
    _load(conn, LATE_LOAD, LATE_CLOSURES, LATE_WARNINGS)
    _dbt(dbt_database, tmp_path, "run", "--exclude", "resource_type:seed", "config.materialized:view")
    incremental = _snapshot(conn)
    _dbt(dbt_database, tmp_path, "run", "--full-refresh")
    full = _snapshot(conn)
    docs = _dbt(dbt_database, tmp_path, "docs", "generate")
    return {"first": first, "incremental": incremental, "full": full, "docs": docs, "tmp": tmp_path}


def test_incremental_run_equals_full_refresh(builds):
    assert builds["first"] != builds["full"], "the late rows changed something"
    for table in MARTS:
        assert builds["incremental"][table] == builds["full"][table], table


def _values(conn, unit: str, indicator: str = "1.3") -> dict[str, tuple]:
    rows = conn.execute(
        "select to_char(period_month, 'YYYY-MM'), value_number, value_source, effective_message_hash,"
        " value_message_hash from marts.fct_indicator_values where unit_code = %s and indicator_code = %s",
        (unit, indicator),
    ).fetchall()
    return {row[0]: (float(row[1]), *row[2:]) for row in rows}


def test_late_correction_lands_and_notice_chains_follow_it(builds, dbt_database):
    conn = dbt_database["conn"]
    assert _values(conn, "BTC") == {
        "2009-06": (45.0, "correction", "btc-06b", "btc-06b"),
        "2009-07": (45.0, "same_as_notice", "btc-07", "btc-06b"),
        "2009-08": (45.0, "same_as_notice", "btc-08", "btc-06b"),
        "2009-09": (55.0, "report", "btc-09", "btc-09"),
    }
    # P01's September notice carried nothing until the late August report mended the chain
    assert "2009-09" not in _values_first(builds, "P01")
    assert _values(conn, "P01")["2009-09"] == (30.0, "same_as_notice", "p01-09", "p01-08")


def _values_first(builds, unit: str) -> list[str]:
    return [
        row[1].strftime("%Y-%m")
        for row in builds["first"]["fct_indicator_values"]
        if row[0] == unit and row[2] == "1.3"
    ]


def test_timeliness_follows_the_first_submission_values_the_latest(builds, dbt_database):
    conn = dbt_database["conn"]
    status = dict(
        conn.execute(
            "select to_char(period_month, 'YYYY-MM'), status from marts.fct_reporting_compliance"
            " where unit_code = 'BTC'"
        ).fetchall()
    )
    # June: on time on its first report although corrected late; August notice 1 s before the deadline;
    # September report exactly at the deadline is late
    assert status == {
        "2009-06": "on_time",
        "2009-07": "on_time",
        "2009-08": "on_time",
        "2009-09": "late",
        "2009-10": "missing",
    }
    versions = conn.execute(
        "select message_hash, version_number, is_first, is_effective from marts.fct_submissions"
        " where unit_code = 'BTC' and period_month = '2009-06-01' order by version_number"
    ).fetchall()
    assert versions == [("btc-06", 1, True, False), ("btc-06b", 2, False, True)]
    history = conn.execute(
        "select message_hash, value_number, previous_value_number, is_changed, is_effective"
        " from marts.fct_indicator_value_history"
        " where unit_code = 'BTC' and period_month = '2009-06-01' and indicator_code = '1.3' order by version_number"
    ).fetchall()
    assert [(h, float(v), p and float(p), c, e) for h, v, p, c, e in history] == [
        ("btc-06", 40.0, None, False, False),
        ("btc-06b", 45.0, 40.0, True, True),
    ]


def test_value_warnings_reach_the_marts_and_never_change_the_status(builds, dbt_database):
    conn = dbt_database["conn"]
    warnings = conn.execute(
        "select message_hash, indicator_code, warning_code, unit_code, to_char(period_month, 'YYYY-MM'),"
        " value, message_vi, is_effective from marts.fct_value_warnings order by 1, 2, 3"
    ).fetchall()
    assert [(h, i, c, u, p, v and float(v), e) for h, i, c, u, p, v, _, e in warnings] == [
        ("btc-06", "2.4", "outlier_minmax", "BTC", "2009-06", 10.0, False),
        ("btc-06b", "2.4", "outlier_minmax", "BTC", "2009-06", 12.0, True),
        ("btc-09", "2.4", "outlier_zscore", "BTC", "2009-09", 20.0, True),
        ("p01-08", "1.3", "jump", "P01", "2009-08", 30.0, True),
        ("p04-06", "*", "same_as_last_month", "P04", "2009-06", None, True),
    ]
    assert warnings[0][6] == "Cảnh báo outlier_minmax 2.4"
    # before the correction arrived, June's warning was on the effective report
    first = [row for row in builds["first"]["fct_value_warnings"] if row[0] == "btc-06"]
    assert len(first) == 1 and first[0][12] is True

    counts = {
        (unit, period, indicator): count
        for unit, period, indicator, count in conn.execute(
            "select unit_code, to_char(period_month, 'YYYY-MM'), indicator_code, warning_count"
            " from marts.fct_indicator_values where warning_count > 0"
        )
    }
    # the effective report's own warnings plus its whole-report ones; notices (BTC July, August) carry none
    p04_june = {key: 1 for key in counts if key[:2] == ("P04", "2009-06")}
    assert len(p04_june) == conn.execute("select count(*) from marts.dim_indicator").fetchone()[0]
    assert counts == {
        ("BTC", "2009-06", "2.4"): 1,
        ("BTC", "2009-09", "2.4"): 1,
        ("P01", "2009-08", "1.3"): 1,
        **p04_june,
    }
    # warned reports keep their deadline status (p04-06 late, btc-06 on time, btc-09 late)
    status = dict(
        conn.execute(
            "select unit_code || ' ' || to_char(period_month, 'YYYY-MM'), status from marts.fct_reporting_compliance"
            " where (unit_code, period_month) in (('P04', '2009-06-01'), ('BTC', '2009-06-01'), ('BTC', '2009-09-01'))"
        ).fetchall()
    )
    assert status == {"P04 2009-06": "late", "BTC 2009-06": "on_time", "BTC 2009-09": "late"}


def test_alert_lists_the_period_warnings_from_the_mart(builds, dbt_database):
    from itreport.config.settings import Settings
    from itreport.notify.alerts import compose_alert
    from itreport.reports.compliance import period_compliance

    june = period_compliance(dbt_database["conn"], date(2009, 6, 1))
    assert [(w.unit_code, w.indicator_code, w.warning_code) for w in june.warnings] == [
        ("BTC", "2.4", "outlier_minmax"),
        ("P04", "*", "same_as_last_month"),
    ]
    assert june.warnings[0].unit_name and float(june.warnings[0].value) == 12.0
    alert = compose_alert(june, Settings.from_env().deadline)
    assert "Cảnh báo số liệu (2)" in alert.html and "Cảnh báo outlier_minmax 2.4" in alert.html
    assert len(alert.warnings_csv_text.splitlines()) == 3
    assert period_compliance(dbt_database["conn"], date(2009, 7, 1)).warnings == []


def test_reporting_rate_and_current_successors(builds, dbt_database):
    conn = dbt_database["conn"]
    rate = conn.execute(
        "select expected_reports, actual_reports, reports_on_time, reporting_rate from marts.rpt_reporting_rate"
        " where period_month = '2009-10-01' and unit_type = 'all'"
    ).fetchone()
    assert rate[0] == 93 and rate[1] == 1 and rate[2] == 1
    successor = conn.execute(
        "select current_successor_code from marts.dim_reporting_unit where unit_code = 'P02'"
    ).fetchone()
    assert successor == ("P08-2025",)


def test_bi_reader_reads_marts_only(builds, dbt_database):
    with psycopg.connect(f"{dbt_database['conninfo']} user=bi_reader", autocommit=True) as reader:
        for table in MARTS:
            reader.execute(sql.SQL("select count(*) from {}").format(sql.Identifier("marts", table))).fetchone()
        for forbidden in ("raw.submissions", "staging.stg_submissions", "reference.reporting_units"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute(f"select * from {forbidden} limit 1")


def _declared_keys(model: str) -> tuple[list[str], set[str]]:
    """The primary key and not-null columns ``model``'s contract declares (in its ``.yml``)."""
    spec = yaml.safe_load((DBT_DIR / "models" / "marts" / f"{model}.yml").read_text(encoding="utf-8"))["models"][0]
    key = next((c["columns"] for c in spec.get("constraints", []) if c["type"] == "primary_key"), [])
    key = key or [col["name"] for col in spec["columns"] if {"type": "primary_key"} in col.get("constraints", [])]
    not_null = {col["name"] for col in spec["columns"] if {"type": "not_null"} in col.get("constraints", [])}
    return key, not_null | set(key)


@pytest.mark.parametrize("model", MARTS)
def test_the_warehouse_refuses_what_a_marts_contract_forbids(builds, dbt_database, model):
    """The marts carry no unique or not_null data tests on their keys: the contract's constraints, enforced by
    PostgreSQL on every build, refuse a repeated key or a null where the contract says not null."""
    key, not_null = _declared_keys(model)
    table = sql.Identifier("marts", model)
    assert key, f"{model} declares no primary key"
    with psycopg.connect(dbt_database["conninfo"] + f" user={dbt_database['env']['ITREPORT_PGUSER']}") as conn:
        nullable = {
            name
            for (name,) in conn.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'marts' and table_name = %s and is_nullable = 'YES'",
                (model,),
            )
        }
        assert not (not_null & nullable), f"{model}: {sorted(not_null & nullable)} accept nulls"
        if conn.execute(sql.SQL("select count(*) from {}").format(table)).fetchone()[0] == 0:
            return  # the first load gives this mart no rows; the declarations above still hold
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(sql.SQL("insert into {t} select * from {t} limit 1").format(t=table))
        conn.rollback()


def _declared_domains(model: str) -> list[tuple[str, str]]:
    """(column, value outside its domain) for each ``column in (...)`` check ``model``'s contract declares."""
    spec = yaml.safe_load((DBT_DIR / "models" / "marts" / f"{model}.yml").read_text(encoding="utf-8"))["models"][0]
    domains = []
    for column in spec["columns"]:
        for constraint in column.get("constraints", []):
            expression = constraint.get("expression", "")
            if constraint["type"] == "check" and expression.startswith(f"{column['name']} in ("):
                domains.append((column["name"], "'not_in_the_domain'" if "'" in expression else "0"))
    return domains


def test_the_marts_domains_are_checks_of_their_contracts():
    """The value domains (unit types, statuses, kinds...) are check constraints, not accepted_values data tests:
    a monthly build runs no test node for them, and PostgreSQL refuses a row outside them on every write."""
    domains = {model: _declared_domains(model) for model in MARTS}
    assert sum(len(found) for found in domains.values()) >= 12
    for model in MARTS:
        text = (DBT_DIR / "models" / "marts" / f"{model}.yml").read_text(encoding="utf-8")
        assert "accepted_values" not in text, model


@pytest.mark.parametrize("model", [model for model in MARTS if _declared_domains(model)])
def test_the_warehouse_refuses_a_value_outside_a_marts_domain(builds, dbt_database, model):
    table = sql.Identifier("marts", model)
    with psycopg.connect(dbt_database["conninfo"] + f" user={dbt_database['env']['ITREPORT_PGUSER']}") as conn:
        if conn.execute(sql.SQL("select count(*) from {}").format(table)).fetchone()[0] == 0:
            pytest.fail(f"{model} has no rows to try")
        for column, outside in _declared_domains(model):
            with pytest.raises(psycopg.errors.CheckViolation):
                conn.execute(
                    sql.SQL("update {t} set {c} = " + outside + " where ctid = (select ctid from {t} limit 1)").format(
                        t=table, c=sql.Identifier(column)
                    )
                )
            conn.rollback()


def test_docs_generate(builds):
    assert (builds["tmp"] / "target" / "catalog.json").is_file()


def test_the_same_alert_is_sent_once_unless_resent(builds, dbt_database, settings, tmp_path):
    import dataclasses

    from support.scratch import RecordingSender

    from itreport.config import warehouse
    from itreport.notify.alerts import send_alert_once as send_compliance_alert

    server = warehouse._embedded_server(settings)
    scratch = dataclasses.replace(settings, home=tmp_path, warehouse_url=server.get_uri(DATABASE))
    sender = RecordingSender()
    june, july = date(2009, 6, 1), date(2009, 7, 1)
    first = send_compliance_alert(scratch, june, sender)
    again = send_compliance_alert(scratch, june, sender)
    other_period = send_compliance_alert(scratch, july, sender)
    forced = send_compliance_alert(scratch, june, sender, resend=True)
    assert (first["sent"], again["sent"], other_period["sent"], forced["sent"]) == (True, False, True, True)
    assert again["already_sent_at"] and again["content_sha256"] == first["content_sha256"]
    assert [m["subject"] for m in sender.sent] == [first["subject"], other_period["subject"], first["subject"]]
    backfill = dataclasses.replace(scratch, notify_max_age_days=30)
    withheld = send_compliance_alert(backfill, date(2009, 8, 1), sender)
    assert withheld["sent"] is False and "backfill" in withheld["withheld"]
    assert send_compliance_alert(backfill, date(2009, 8, 1), sender, resend=True)["sent"] is True
    more_staff = dataclasses.replace(scratch, alert_to=(*scratch.alert_to, "lanhdao@mic.gov.example"))
    assert send_compliance_alert(more_staff, june, sender)["sent"] is True
    rows = dbt_database["conn"].execute("select period_month, count(*) from raw.alerts group by 1 order by 1")
    assert rows.fetchall() == [(june, 2), (july, 1), (date(2009, 8, 1), 1)]
