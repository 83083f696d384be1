"""The window an incremental fact rebuilds (dbt_project/macros/incremental.sql) on a real PostgreSQL: each build
records how far it read and which periods it rewrote; a submission that makes no row of a fact (a "same as"
notice, for the facts of reports) is new to one build only; the checks of a monthly build read the periods
rewritten, as do the marts derived from them period by period; the models derived year by year (the annual
ranking, the target progress, the year-end values) rebuild the current year, and every year from that of a late
submission on; and month after month of incremental builds ends where a full refresh does, also for the
intermediate tables kept period by period (a quarantined message for an old period, a notice chain reaching back
before a month's window, a broken chain at the window's edge).

Its own database (``itreport_dbt_window``) on the session's embedded server, with test_dbt_warehouse's raw rows.
"""

from __future__ import annotations

from datetime import date, datetime

import psycopg
import pytest
from dbt_scratch import run_dbt, scratch_database, succeeded
from psycopg import sql
from test_dbt_warehouse import (
    FIRST_CLOSURES,
    FIRST_LOAD,
    FIRST_WARNINGS,
    LATE_CLOSURES,
    LATE_LOAD,
    LATE_WARNINGS,
    _load,
    _snapshot,
)

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("dbt_window")]  # one worker builds `months`

DATABASE = "itreport_dbt_window"
FACTS = ["fct_submissions", "fct_indicator_values", "fct_indicator_value_history", "fct_value_warnings"]
COMPLIANCE = "fct_reporting_compliance"  # rebuilt from the first period the month changed (changed_periods_cutoff)
# intermediate tables kept period by period
INTERMEDIATE = ["int_submission_versions", "int_first_submissions", "int_period_values_source"]
# a mart derived period by period from fct_indicator_values, recording the periods it rewrites (its delete reads them)
TREND = "rpt_indicator_trend_current_units"
# a mart derived period by period from fct_reporting_compliance, the same way
RATE = "rpt_reporting_rate"
# P04's late "same as" notice for July: a row of fct_submissions and (carrying June) of fct_indicator_values,
# no row of the facts of reports
LATE_NOTICE = [("p04-07", "P04", "2009-07-01", "same_as_notice", "2009-10-02 01:00:00", {})]
# Models derived year by year (macro derived_first_year), and where each lives
YEARLY = {
    "rpt_annual_ranking": ("marts", "ranking_year"),
    "rpt_target_progress": ("marts", "target_year"),
    "int_year_end_values": ("intermediate", "value_year"),
    "int_year_end_unit_values": ("intermediate", "value_year"),
    "int_year_end_units": ("intermediate", "ranking_year"),
}
# The end of 2009, then a new year: January 2010 (BTC's notice carries its December 2009 into 2010)
DECEMBER = [
    ("btc-12", "BTC", "2009-12-01", "report", "2009-12-10 03:00:00", {"1.3": 60, "3.3": 85, "2.1": 210, "2.4": 30}),
    ("p01-12", "P01", "2009-12-01", "report", "2009-12-05 01:00:00", {"1.3": 35, "3.3": 72, "2.1": 500, "2.4": 9}),
]
DECEMBER_CLOSURES = ["2009-11-01", "2009-12-01"]
# with December's mail: a message from P04 about July, quarantined (a rejection in a period long closed), and
# P02's notice without a month before it (a broken chain, continued in January)
DECEMBER_QUARANTINED = [("p04-07-bad", "P04", "2009-07-01")]
DECEMBER_BROKEN = [("p02-12", "P02", "2009-12-01", "same_as_notice", "2009-12-08 03:00:00", {})]
# decided while February's build ran, committed after it read the ledger: March's build reads it
LATE_COMMITTED = [("p01-08-bad", "P01", "2009-08-01")]
JANUARY = [
    ("btc-2001", "BTC", "2010-01-01", "same_as_notice", "2010-01-10 03:00:00", {}),
    ("p02-2001", "P02", "2010-01-01", "same_as_notice", "2010-01-08 03:00:00", {}),
    ("p01-2001", "P01", "2010-01-01", "report", "2010-01-05 01:00:00", {"1.3": 40, "3.3": 75, "2.1": 500, "2.4": 10}),
    ("p04-2001", "P04", "2010-01-01", "report", "2010-01-06 01:00:00", {"1.3": 20, "3.3": 40, "2.1": 100, "2.4": 2}),
]
JANUARY_CLOSURES = ["2010-01-01"]
# February, with a late correction of BTC's December 2009: it changes 2009's year-end values and ranks, and
# (carried by BTC's January notice) 2010's
FEBRUARY = [
    ("btc-12b", "BTC", "2009-12-01", "report", "2010-02-03 03:00:00", {"1.3": 20, "3.3": 40, "2.1": 210, "2.4": 5}),
    ("p01-2002", "P01", "2010-02-01", "report", "2010-02-05 01:00:00", {"1.3": 45, "3.3": 78, "2.1": 500, "2.4": 12}),
    ("btc-2002", "BTC", "2010-02-01", "same_as_notice", "2010-02-10 03:00:00", {}),
    ("p02-2002", "P02", "2010-02-01", "same_as_notice", "2010-02-08 03:00:00", {}),
]
FEBRUARY_CLOSURES = ["2010-02-01"]
# March's window (lookback 1) starts in January: BTC's notices carry its December correction from before the window
# (the row its chain had reached in December), P02's chain stays broken (it had no row in December), and P04's
# notice follows a month without a report
MARCH = [
    ("btc-2003", "BTC", "2010-03-01", "same_as_notice", "2010-03-10 03:00:00", {}),
    ("p02-2003", "P02", "2010-03-01", "same_as_notice", "2010-03-08 03:00:00", {}),
    ("p04-2003", "P04", "2010-03-01", "same_as_notice", "2010-03-06 01:00:00", {}),
]
MARCH_CLOSURES = ["2010-03-01"]


@pytest.fixture(scope="module")
def window_database(settings, warehouse_conn, tmp_path_factory):
    with scratch_database(settings, warehouse_conn, DATABASE, tmp_path_factory.mktemp("dbt-window")) as database:
        yield database


def _rebuilt_from(conn: psycopg.Connection) -> dict[str, date]:
    rows = conn.execute("select model, rebuilt_from from intermediate.dbt_incremental_state").fetchall()
    return {model.split(".", 1)[1]: since for model, since in rows}


@pytest.fixture(scope="module")
def months(window_database):
    """A full build, then month by month: late rows and a late notice, then a month with nothing new."""
    conn = window_database["conn"]
    _load(conn, FIRST_LOAD, FIRST_CLOSURES, FIRST_WARNINGS)
    succeeded(run_dbt(window_database, "build", "--full-refresh"))
    built = {"full": _rebuilt_from(conn)}
    _load(conn, LATE_LOAD + LATE_NOTICE, LATE_CLOSURES, LATE_WARNINGS)
    # the months of an unchanged release, as MonthlyDbtBuildOperator runs them
    succeeded(run_dbt(window_database, "run", "--exclude", "resource_type:seed", scope="rebuilt"))
    built["late"] = _rebuilt_from(conn)
    succeeded(run_dbt(window_database, "run", "--exclude", "resource_type:seed", scope="rebuilt"))
    built["quiet"] = _rebuilt_from(conn)
    _load(conn, DECEMBER + DECEMBER_BROKEN, DECEMBER_CLOSURES)
    _quarantine(conn, DECEMBER_QUARANTINED)
    succeeded(run_dbt(window_database, "run", "--exclude", "resource_type:seed", scope="rebuilt"))
    built["december"] = _rebuilt_from(conn)
    _load(conn, JANUARY, JANUARY_CLOSURES)
    before = _row_versions(conn, 2009)
    succeeded(run_dbt(window_database, "run", "--exclude", "resource_type:seed", scope="rebuilt"))
    built["january"] = _rebuilt_from(conn)
    built["2009 rows rewritten in january"] = {
        model: versions for model, versions in _row_versions(conn, 2009).items() if versions != before[model]
    }
    built["2009 rows"] = {model: len(versions) for model, versions in before.items()}
    _load(conn, FEBRUARY, FEBRUARY_CLOSURES)
    succeeded(run_dbt(window_database, "run", "--exclude", "resource_type:seed", scope="rebuilt"))
    built["february"] = _rebuilt_from(conn)
    # a message stamped before February's build began, committed after that build had read the ledger
    _quarantine(conn, LATE_COMMITTED, processed_at=_decided_through(conn, "int_first_submissions"))
    _load(conn, MARCH, MARCH_CLOSURES)
    succeeded(run_dbt(window_database, "run", "--exclude", "resource_type:seed", scope="rebuilt"))
    built["march"] = _rebuilt_from(conn)
    built["incremental"] = _snapshot(conn) | _yearly_snapshot(conn) | _intermediate_snapshot(conn)
    return built


def _quarantine(
    conn: psycopg.Connection, messages: list[tuple[str, str, str]], processed_at: datetime | None = None
) -> None:
    for message_hash, unit, period in messages:
        conn.execute(
            "insert into raw.messages (message_hash, source, sender, received_at, archive_path, state, reason_code,"
            " reason_vi, reason_en, unit_code, period_month, processed_at)"
            " values (%s, 'test', %s, now(), %s, 'quarantined', 'unreadable', 'Không đọc được', 'Unreadable', %s, %s,"
            " coalesce(%s, now()))",
            (message_hash, f"{unit.lower()}@example", f"/archive/{message_hash}.eml", unit, period, processed_at),
        )


def _decided_through(conn: psycopg.Connection, model: str) -> datetime:
    """Just after the latest decision ``model``'s last build saw (before that build's own time)."""
    row = conn.execute(
        "select decided_through + interval '1 millisecond', recorded_at from intermediate.dbt_incremental_state"
        " where model = %s",
        (f"intermediate.{model}",),
    ).fetchone()
    assert row[0] < row[1]
    return row[0]


def _intermediate_snapshot(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    return {
        model: sorted(conn.execute(sql.SQL("select * from {}").format(sql.Identifier("intermediate", model))), key=repr)
        for model in INTERMEDIATE
    }


def _row_versions(conn: psycopg.Connection, year: int) -> dict[str, list[str]]:
    """The row versions (xmin) of ``year`` in each model derived year by year: the same after a build that did not
    rewrite the year."""
    return {
        model: sorted(
            row[0]
            for row in conn.execute(
                sql.SQL("select cast(xmin as text) from {} where {} = %s").format(
                    sql.Identifier(schema, model), sql.Identifier(year_column)
                ),
                (year,),
            )
        )
        for model, (schema, year_column) in YEARLY.items()
    }


def _yearly_snapshot(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    """The intermediate tables derived year by year (the marts are in _snapshot)."""
    return {
        model: sorted(conn.execute(sql.SQL("select * from {}").format(sql.Identifier(schema, model))), key=repr)
        for model, (schema, _) in YEARLY.items()
        if schema == "intermediate"
    }


def test_a_full_build_rewrites_every_period(months):
    assert months["full"] == dict.fromkeys([*FACTS, COMPLIANCE, TREND, RATE, *YEARLY, *INTERMEDIATE], date(2009, 6, 1))


def test_a_mart_derived_period_by_period_records_the_periods_of_its_fact(months):
    # its delete+insert replaces those periods only (incremental_predicates)
    builds = ["full", "late", "quiet", "december", "january", "february", "march"]
    assert [months[build][TREND] for build in builds] == [months[build]["fct_indicator_values"] for build in builds]
    assert [months[build][RATE] for build in builds] == [months[build][COMPLIANCE] for build in builds]


def test_a_late_row_reopens_its_period_once(months):
    # BTC's June correction reopens June for every fact
    assert months["late"]["fct_indicator_values"] == date(2009, 6, 1)
    assert months["late"]["fct_indicator_value_history"] == date(2009, 6, 1)
    assert months["late"]["fct_value_warnings"] == date(2009, 6, 1)
    # a month with nothing new rewrites the lookback only, also for the facts of reports, to which P04's notice
    # brought no row
    assert {model: months["quiet"][model] for model in [*FACTS, COMPLIANCE]} == {
        "fct_submissions": date(2009, 9, 1),
        "fct_indicator_values": date(2009, 9, 1),
        "fct_indicator_value_history": date(2009, 9, 1),
        "fct_value_warnings": date(2009, 8, 1),
        COMPLIANCE: date(2009, 10, 1),
    }


def test_the_compliance_mart_records_the_periods_the_month_changed(months):
    # rebuilt whole, its rows changed from BTC's June correction on; in a quiet month only the latest closed
    # period is read again
    assert months["late"][COMPLIANCE] == date(2009, 6, 1)
    assert months["quiet"][COMPLIANCE] == date(2009, 10, 1)


def test_a_model_derived_year_by_year_rebuilds_the_years_a_month_changed(months):
    # the current year, in a month with nothing new
    assert {model: months["quiet"][model] for model in YEARLY} == dict.fromkeys(YEARLY, date(2009, 6, 1))
    # a new year: that year only, 2009's rows untouched
    assert {model: months["january"][model] for model in YEARLY} == dict.fromkeys(YEARLY, date(2010, 1, 1))
    assert all(months["2009 rows"].values()), months["2009 rows"]
    assert months["2009 rows rewritten in january"] == {}
    # a late correction of December 2009 in February 2010: 2009 and every year after it
    assert {model: months["february"][model] for model in YEARLY} == dict.fromkeys(YEARLY, date(2009, 6, 1))


def test_the_intermediate_tables_rebuild_the_periods_the_month_changed(months):
    # the lookback and the late loads, like the facts
    assert {model: months["quiet"][model] for model in INTERMEDIATE} == {
        "int_submission_versions": date(2009, 9, 1),
        "int_first_submissions": date(2009, 10, 1),  # the latest period: nothing was decided since
        "int_period_values_source": date(2009, 9, 1),
    }
    # a message quarantined in December about July reopens July for the rejections it counts
    assert months["december"]["int_first_submissions"] == date(2009, 7, 1)
    assert months["december"][COMPLIANCE] == date(2009, 7, 1)
    assert months["march"]["int_period_values_source"] == date(2010, 1, 1)
    # P01's message about August, committed after February's build had read the ledger, though stamped before that
    # build began: March's build reopens August (it reads from the latest decision February's build saw)
    assert months["march"]["int_first_submissions"] == date(2009, 8, 1)
    assert months["march"][COMPLIANCE] == date(2009, 8, 1)


def test_a_chain_continues_from_the_month_before_the_window(months):
    values_source = {
        (unit, period.isoformat()[:7]): (value_hash, value_period.isoformat()[:7])
        for unit, period, _, _, _, value_hash, value_period, *_ in months["incremental"]["int_period_values_source"]
    }
    # BTC's notices from January to March carry its December correction, which March's window does not read
    assert [values_source[("BTC", month)] for month in ["2010-01", "2010-02", "2010-03"]] == [
        ("btc-12b", "2009-12")
    ] * 3
    # P02 never had a report, P04 had none in February
    assert not [key for key in values_source if key[0] == "P02"]
    assert ("P04", "2010-03") not in values_source


def test_month_by_month_equals_a_full_refresh(months, window_database):
    succeeded(run_dbt(window_database, "run", "--full-refresh"))
    conn = window_database["conn"]
    full = _snapshot(conn) | _yearly_snapshot(conn) | _intermediate_snapshot(conn)
    assert all(full.values()), [table for table, rows in full.items() if not rows]
    for table in full:
        assert months["incremental"][table] == full[table], table


# (mart, the fact whose build it follows, a bad row in 2009-06, the test that finds it): a fact itself
# (where: "rebuilt periods", also with a condition of the test's own), and a mart derived period by period from it
# (where: "rebuilt periods of fct_indicator_values")
BAD_OLD_ROWS = [
    (
        "fct_indicator_values",
        "fct_indicator_values",
        "update marts.fct_indicator_values set indicator_code = 'X.9'"
        " where period_month = '2009-06-01' and indicator_code = '1.3' and unit_code = 'BTC'",
        "relationships_fct_indicator_values_indicator_code",
    ),
    (
        "fct_value_warnings",
        "fct_value_warnings",
        "update marts.fct_value_warnings set indicator_code = 'X.9' where message_hash = 'btc-06'",
        "relationships_fct_value_warnings_indicator_code",
    ),
    (
        "rpt_indicator_trend_current_units",
        "fct_indicator_values",
        "update marts.rpt_indicator_trend_current_units set current_unit_code = 'X99'"
        " where period_month = '2009-06-01' and unit_code = 'BTC'",
        "relationships_rpt_indicator_trend_current_units_current",
    ),
]


@pytest.mark.parametrize(("mart", "fact", "bad_row", "test_name"), BAD_OLD_ROWS, ids=[row[0] for row in BAD_OLD_ROWS])
def test_checks_of_a_monthly_build_read_the_periods_it_rewrote(months, window_database, mart, fact, bad_row, test_name):
    """A bad row in a period the fact's last build did not rewrite fails the full test, not the monthly one."""
    conn = window_database["conn"]
    succeeded(run_dbt(window_database, "run", "-s", fact))  # rewrites from the lookback on
    assert _rebuilt_from(conn)[fact] > date(2009, 6, 1)
    conn.execute(bad_row)
    try:
        succeeded(run_dbt(window_database, "test", "-s", mart, scope="rebuilt"))
        failed = run_dbt(window_database, "test", "-s", mart, scope="all")
        assert failed.returncode != 0 and test_name in failed.stdout
    finally:
        succeeded(run_dbt(window_database, "run", "--full-refresh", "-s", mart))
