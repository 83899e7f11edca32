from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.benchmark import (
    date_range,
    parse_period,
    period_of,
    previous_period,
    rolling_date_range,
    rolling_quarters,
)


def test_the_three_key_forms_parse_and_print_back():
    for key in ("2026-Q3", "2026-11", "2026", "2026-01"):
        assert parse_period(key).key == key


@pytest.mark.parametrize("key", ["2026-Q5", "2026-13", "2026-00", "26", "2026-Q", "0000", "", "x"])
def test_malformed_keys_are_rejected(key):
    with pytest.raises(ValueError):
        parse_period(key)


def test_date_ranges_are_inclusive_calendar_periods():
    assert date_range("2026-Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    assert date_range("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert date_range("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert date_range("2026") == (date(2026, 1, 1), date(2026, 12, 31))


def test_previous_period_crosses_year_boundaries():
    assert previous_period("2026-Q1") == "2025-Q4"
    assert previous_period("2026-01") == "2025-12"
    assert previous_period("2026") == "2025"
    assert previous_period("2026-Q3") == "2026-Q2"


def test_rolling_window_is_the_four_quarters_ending_at_a_quarter():
    assert rolling_quarters("2026-Q3") == ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3")
    assert rolling_date_range("2026-Q3") == (date(2025, 10, 1), date(2026, 9, 30))
    assert rolling_quarters("2026-Q1", 2) == ("2025-Q4", "2026-Q1")
    with pytest.raises(ValueError):
        rolling_quarters("2026-11")


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_every_day_lies_in_its_period_and_not_in_the_previous(day):
    for kind in ("quarter", "month", "year"):
        period = period_of(day, kind)
        assert period.contains(day)
        assert period.start <= day <= period.end
        before = parse_period(previous_period(period.key))
        assert not before.contains(day)
        assert (before.end - period.start).days == -1


def test_stepping_past_the_calendar_is_a_value_error_not_an_overflow():
    """No period follows December 9999 or precedes year 1: a ValueError, like any bad period."""
    for key in ("9999-Q4", "9999-12", "9999"):
        last = parse_period(key)
        assert last.end == date(9999, 12, 31)  # the last period itself is computable
        with pytest.raises(ValueError, match="years run from 1 to 9999"):
            last.shift(1)
    for key in ("0001-Q1", "0001-01", "0001"):
        with pytest.raises(ValueError, match="years run from 1 to 9999"):
            parse_period(key).shift(-1)
    assert rolling_quarters("9999-Q4") == ("9999-Q1", "9999-Q2", "9999-Q3", "9999-Q4")
    with pytest.raises(ValueError):
        rolling_quarters("0001-Q2")  # its window starts before year 1
