from datetime import UTC, date, datetime, timedelta

import pytest

from ingestion.domain.periods import (
    FIRST_PERIOD,
    DeadlineRule,
    add_months,
    format_period,
    parse_period,
    periods_between,
    previous_period,
)

RULE = DeadlineRule()


def test_deadline_is_22nd_midnight_in_hanoi_which_is_21st_17h_utc():
    assert RULE.deadline(date(2009, 6, 1)) == datetime(2009, 6, 21, 17, 0, 0, tzinfo=UTC)


def test_boundary_seconds():
    june = date(2009, 6, 1)
    assert RULE.is_on_time(datetime(2009, 6, 21, 16, 59, 59, tzinfo=UTC), june)
    assert not RULE.is_on_time(datetime(2009, 6, 21, 17, 0, 0, tzinfo=UTC), june)


def test_days_late_counts_started_days():
    june = date(2009, 6, 1)
    deadline = RULE.deadline(june)
    assert RULE.days_late(deadline - timedelta(seconds=1), june) == 0
    assert RULE.days_late(deadline, june) == 1
    assert RULE.days_late(deadline + timedelta(hours=23, minutes=59), june) == 1
    assert RULE.days_late(deadline + timedelta(days=1, seconds=1), june) == 2


def test_naive_receipt_time_is_refused():
    with pytest.raises(ValueError):
        RULE.is_on_time(datetime(2009, 6, 21, 16, 0), date(2009, 6, 1))


def test_deadline_day_and_timezone_are_settings():
    rule = DeadlineRule(day=25, timezone="UTC")
    assert rule.deadline(date(2010, 1, 1)) == datetime(2010, 1, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2009-06", date(2009, 6, 1)), ("2010-1", date(2010, 1, 1)), (" 2025-12 ", date(2025, 12, 1))],
)
def test_parse_period(text, expected):
    assert parse_period(text) == expected
    assert parse_period(format_period(expected)) == expected


@pytest.mark.parametrize("text", ["2009/06", "2009-13", "June 2009", "", "2009-00"])
def test_parse_period_rejects_bad_text(text):
    with pytest.raises(ValueError, match=r"YYYY-MM|month"):
        parse_period(text)


def test_month_arithmetic_crosses_years():
    assert add_months(date(2009, 12, 1), 1) == date(2010, 1, 1)
    assert previous_period(date(2010, 1, 1)) == date(2009, 12, 1)
    assert add_months(date(2009, 6, 1), -18) == date(2007, 12, 1)
    assert len(periods_between(FIRST_PERIOD, date(2010, 5, 1))) == 12


def test_period_closing_at_the_deadline_is_that_month():
    assert RULE.period_closing_at(RULE.deadline(date(2009, 6, 1))) == date(2009, 6, 1)
    assert RULE.period_closing_at(RULE.deadline(date(2009, 6, 1)) + timedelta(seconds=1)) == date(2009, 7, 1)


def test_a_message_may_report_on_its_month_or_the_month_before():
    received = datetime(2009, 7, 3, 2, 0, tzinfo=UTC)
    assert RULE.receipt_period(received) == date(2009, 7, 1)
    assert RULE.accepts_period(date(2009, 7, 1), received)
    assert RULE.accepts_period(date(2009, 6, 1), received)
    assert not RULE.accepts_period(date(2009, 5, 1), received)
    assert not RULE.accepts_period(date(2009, 8, 1), received)
    # 30 June 17:30 UTC is already 1 July 00:30 in Hanoi.
    assert RULE.receipt_period(datetime(2009, 6, 30, 17, 30, tzinfo=UTC)) == date(2009, 7, 1)
