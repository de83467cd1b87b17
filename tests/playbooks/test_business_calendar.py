"""playbooks.business_calendar: business days and hours in the local time zone, with holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from playbooks.business_calendar import (
    BusinessCalendar,
    BusinessHours,
    parse_business_hours,
    public_holidays,
)

UTC_WEEK = BusinessCalendar()  # UTC, 09:00-17:00, Monday to Friday, no holidays
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
US = BusinessCalendar(tz=NEW_YORK, holidays=public_holidays("US"))
GB = BusinessCalendar(tz=LONDON, holidays=public_holidays("GB"))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def local(tz: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=tz)  # type: ignore[misc]


# --- business hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "end"),
    [
        (utc(2026, 3, 2, 10, 0), 4, utc(2026, 3, 2, 14, 0)),  # Monday, inside the hours
        (utc(2026, 3, 2, 13, 0), 4, utc(2026, 3, 2, 17, 0)),  # ends at closing, not next morning
        (utc(2026, 3, 2, 7, 30), 1, utc(2026, 3, 2, 10, 0)),  # before opening: from 09:00
        (utc(2026, 3, 2, 18, 0), 1, utc(2026, 3, 3, 10, 0)),  # after closing: next opening
        (utc(2026, 3, 2, 17, 0), 1, utc(2026, 3, 3, 10, 0)),  # at closing: next opening
        (utc(2026, 3, 6, 16, 0), 4, utc(2026, 3, 9, 12, 0)),  # Friday 16:00 -> Monday 12:00
        (utc(2026, 3, 7, 12, 0), 4, utc(2026, 3, 9, 13, 0)),  # Saturday: from Monday 09:00
        (utc(2026, 3, 2, 10, 0), 20, utc(2026, 3, 4, 14, 0)),  # 7 + 8 + 5 over three days
        (utc(2026, 3, 2, 10, 0, 30), 1, utc(2026, 3, 2, 11, 0, 30)),  # seconds are kept
    ],
)
def test_business_hours_count_only_open_time_on_weekdays(start, hours, end):
    assert UTC_WEEK.add_business_hours(start, hours) == end


def test_other_opening_hours():
    early = BusinessCalendar(hours=BusinessHours(time(8, 30), time(18, 0)))
    assert early.add_business_hours(utc(2026, 3, 6, 16, 0), 4) == utc(2026, 3, 9, 10, 30)


def test_business_hours_skip_a_holiday():
    # Thanksgiving, Thursday 26 November 2026: Wednesday 16:00 + 4 is Friday 12:00 (New York).
    wednesday = local(NEW_YORK, 2026, 11, 25, 16, 0)
    assert US.add_business_hours(wednesday, 4) == local(NEW_YORK, 2026, 11, 27, 12, 0)


def test_business_hours_are_local_and_come_back_in_the_callers_time_zone():
    # Friday 16:00 in London (GMT) is 16:00 UTC; clocks go forward on Sunday 29 March, so
    # Monday 12:00 BST is 11:00 UTC, not 12:00 UTC.
    end = BusinessCalendar(tz=LONDON).add_business_hours(utc(2026, 3, 27, 16, 0), 4)
    assert end == utc(2026, 3, 30, 11, 0)
    assert end.tzinfo is UTC


def test_business_hours_across_the_autumn_change_in_new_york():
    # Friday 30 October 16:00 EDT (20:00 UTC); Monday 2 November 12:00 EST is 17:00 UTC.
    end = US.add_business_hours(utc(2026, 10, 30, 20, 0), 4)
    assert end == utc(2026, 11, 2, 17, 0)


def test_business_hours_are_real_time_on_a_day_the_clocks_change_during_them():
    # Jerusalem moves its clocks 02:00 -> 03:00 on Friday 27 March 2026: 01:00-05:00 that
    # day holds three real hours, so the fourth is the first of Monday's.
    night = BusinessCalendar(tz=ZoneInfo("Asia/Jerusalem"), hours=BusinessHours(time(1), time(5)))
    start = local(ZoneInfo("Asia/Jerusalem"), 2026, 3, 27, 1, 0)
    assert night.add_business_hours(start, 3).astimezone(UTC) == utc(2026, 3, 27, 2, 0)
    assert night.add_business_hours(start, 4) == local(ZoneInfo("Asia/Jerusalem"), 2026, 3, 30, 2)


def test_a_naive_moment_is_read_as_local_time():
    assert UTC_WEEK.add_business_hours(datetime(2026, 3, 6, 16, 0), 4) == datetime(2026, 3, 9, 12)


# --- business days ---------------------------------------------------------------------------


def test_business_days_keep_the_local_time_of_day():
    assert UTC_WEEK.add_business_days(utc(2026, 3, 6, 10, 0), 1) == utc(2026, 3, 9, 10, 0)
    assert UTC_WEEK.add_business_days(utc(2026, 3, 6, 10, 0), 5) == utc(2026, 3, 13, 10, 0)


def test_business_days_skip_a_monday_holiday():
    # Memorial Day, Monday 25 May 2026: Friday 10:00 + 1 business day is Tuesday 10:00.
    friday = local(NEW_YORK, 2026, 5, 22, 10, 0)
    assert US.add_business_days(friday, 1) == local(NEW_YORK, 2026, 5, 26, 10, 0)


def test_business_days_skip_thanksgiving():
    wednesday = local(NEW_YORK, 2026, 11, 25, 10, 0)
    assert US.add_business_days(wednesday, 1) == local(NEW_YORK, 2026, 11, 27, 10, 0)


def test_business_days_skip_christmas_and_boxing_day_observed_in_great_britain():
    # 25 December 2026 is a Friday; Boxing Day falls on Saturday and is observed on Monday 28.
    assert date(2026, 12, 28) in GB.holidays
    christmas_eve = local(LONDON, 2026, 12, 24, 10, 0)
    assert GB.add_business_days(christmas_eve, 1) == local(LONDON, 2026, 12, 29, 10, 0)


def test_business_days_are_counted_on_the_local_day_not_the_utc_day():
    # Friday 23:30 UTC is already Saturday 08:30 in Tokyo: one business day later is Monday
    # 08:30 there, which is Sunday 23:30 UTC (counting in UTC would give Monday 23:30 UTC).
    tokyo = BusinessCalendar(tz=ZoneInfo("Asia/Tokyo"))
    assert tokyo.add_business_days(utc(2026, 3, 6, 23, 30), 1) == utc(2026, 3, 8, 23, 30)


def test_business_days_keep_the_local_time_across_a_dst_change():
    # Friday 27 March 10:00 GMT (10:00 UTC) + 1 business day is Monday 10:00 BST (09:00 UTC).
    london = BusinessCalendar(tz=LONDON)
    assert london.add_business_days(utc(2026, 3, 27, 10, 0), 1) == utc(2026, 3, 30, 9, 0)


def test_a_calendar_without_business_days_is_an_error_not_a_hang():
    never = BusinessCalendar(holidays=_Everything())
    with pytest.raises(ValueError, match="no business day"):
        never.add_business_days(utc(2026, 3, 6, 10, 0), 1)
    with pytest.raises(ValueError, match="no business day"):
        never.add_business_hours(utc(2026, 3, 6, 10, 0), 1)


class _Everything:
    def __contains__(self, day: object) -> bool:
        return True


# --- settings values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-17:00", BusinessHours(time(9), time(17))),
        ("08:30 - 18:00", BusinessHours(time(8, 30), time(18))),
        ("00:00-23:59", BusinessHours(time(0), time(23, 59))),
    ],
)
def test_parse_business_hours(text, expected):
    assert parse_business_hours(text) == expected
    assert str(parse_business_hours(text)) == str(expected)


@pytest.mark.parametrize("text", ["9-17", "9:00-17:00", "09:00", "09:00-24:00", "nine to five", ""])
def test_bad_business_hours_say_what_was_expected(text):
    with pytest.raises(ValueError, match=r"is not business hours; expected .* such as 09:00-17:00"):
        parse_business_hours(text)


@pytest.mark.parametrize("text", ["17:00-09:00", "09:00-09:00"])
def test_business_hours_must_open_before_they_close(text):
    with pytest.raises(ValueError, match="does not open before it closes"):
        parse_business_hours(text)


def test_public_holidays_of_a_country_and_a_subdivision():
    assert date(2026, 11, 26) in public_holidays("us")
    assert date(2026, 1, 2) in public_holidays("GB", "SCT")  # Scotland's 2 January
    assert date(2026, 1, 2) not in public_holidays("GB", "ENG")
    assert date(2026, 4, 6) in public_holidays("DE")  # Easter Monday
    assert date(2026, 1, 26) in public_holidays("IN")  # Republic Day


def test_an_unknown_country_names_valid_examples():
    with pytest.raises(ValueError, match="'XX' is not a country .* such as US, GB, IN or DE"):
        public_holidays("XX")


def test_an_unknown_subdivision_names_the_countrys():
    with pytest.raises(ValueError, match="'ZZZ' is not a subdivision of GB; expected one of ENG"):
        public_holidays("GB", "ZZZ")
