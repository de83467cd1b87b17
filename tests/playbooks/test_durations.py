from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from playbooks.business_calendar import BusinessCalendar
from playbooks.durations import Duration, DurationField, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", Duration(seconds=90)),
        ("5m", Duration(seconds=300)),
        ("1h", Duration(seconds=3600)),
        ("2d", Duration(seconds=172800)),
        ("1 business day", Duration(business_days=1)),
        ("3 business days", Duration(business_days=3)),
        ("1 business hour", Duration(business_hours=1)),
        ("4 business hours", Duration(business_hours=4)),
    ],
)
def test_parse_valid(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected
    assert str(parse_duration(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "5",
        "5 m",
        "5min",
        "0m",
        "05m",
        "-5m",
        "1.5h",
        "3 days",
        "3 working days",
        " 5m",
        "0 business hours",
        "04 business hours",
        "4 business hrs",
        "4 Business Hours",
        "4  business hours",
        "1.5 business hours",
        "4 business minutes",
    ],
)
def test_parse_invalid_says_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a duration; expected a duration such as 90s, 5m"):
        parse_duration(text)


def test_parse_non_string() -> None:
    with pytest.raises(ValueError, match=r"got 5 \(a number\); expected a duration"):
        parse_duration(5)  # type: ignore[arg-type]


def test_str_uses_the_largest_whole_unit() -> None:
    assert str(Duration(seconds=60 * 60)) == "1h"
    assert str(Duration(seconds=90 * 60)) == "90m"
    assert str(Duration(seconds=72 * 3600)) == "3d"


@given(
    st.integers(min_value=1, max_value=10**7),
    st.sampled_from(["seconds", "business_days", "business_hours"]),
)
def test_str_round_trips(number: int, unit: str) -> None:
    duration = Duration(**{unit: number})
    assert parse_duration(str(duration)) == duration


def test_singular_and_plural_are_both_read_and_written_right() -> None:
    assert str(Duration(business_hours=1)) == "1 business hour"
    assert str(Duration(business_hours=2)) == "2 business hours"
    assert parse_duration("1 business hours") == Duration(business_hours=1)
    assert parse_duration("3 business hour") == Duration(business_hours=3)


def test_business_days_skip_the_weekend() -> None:
    weekdays = BusinessCalendar()
    friday = datetime(2024, 5, 10, 10, 0)
    one_day = parse_duration("1 business day")
    assert one_day.add_to(friday, weekdays) == datetime(2024, 5, 13, 10, 0)
    assert parse_duration("3 business days").add_to(friday, weekdays) == datetime(2024, 5, 15, 10)
    saturday = datetime(2024, 5, 11, 18, 0)
    assert one_day.add_to(saturday, weekdays) == datetime(2024, 5, 13, 18, 0)


def test_business_hours_are_counted_on_the_calendar() -> None:
    friday_4pm = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    later = parse_duration("4 business hours").add_to(friday_4pm, BusinessCalendar())
    assert later == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def test_business_durations_need_a_calendar() -> None:
    for text in ("1 business day", "4 business hours"):
        with pytest.raises(ValueError, match="depends on the calendar; pass one"):
            parse_duration(text).add_to(datetime(2026, 3, 6, 16, 0, tzinfo=UTC))
    # Elapsed time needs none, and ignores one.
    start = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    assert parse_duration("1h").add_to(start, BusinessCalendar()) == start + timedelta(hours=1)


def test_elapsed_time_is_not_stretched_by_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    before_change = datetime(2024, 3, 31, 1, 30, tzinfo=berlin)  # clocks jump 02:00 -> 03:00
    after = parse_duration("1h").add_to(before_change)
    assert after.astimezone(UTC) - before_change.astimezone(UTC) == timedelta(hours=1)
    assert after.hour == 3


def test_as_timedelta() -> None:
    assert parse_duration("90s").as_timedelta() == timedelta(seconds=90)
    for text in ("3 business days", "4 business hours"):
        with pytest.raises(ValueError, match="depends on the calendar"):
            parse_duration(text).as_timedelta()


def test_cannot_mix_or_go_negative() -> None:
    for mixed in (
        {"seconds": 60, "business_days": 1},
        {"seconds": 60, "business_hours": 1},
        {"business_days": 1, "business_hours": 1},
    ):
        with pytest.raises(ValueError, match="not several"):
            Duration(**mixed)
    for negative in ({"seconds": -1}, {"business_hours": -1}):
        with pytest.raises(ValueError, match="negative"):
            Duration(**negative)


def test_business_hours_are_business_and_days_too() -> None:
    assert Duration(business_hours=4).is_business
    assert Duration(business_days=1).is_business
    assert not Duration(seconds=60).is_business


class _Holder(BaseModel):
    within: DurationField


def test_pydantic_field_parses_and_serialises() -> None:
    holder = _Holder.model_validate({"within": "3 business days"})
    assert holder.within == Duration(business_days=3)
    assert holder.model_dump(mode="json") == {"within": "3 business days"}
    hours = _Holder.model_validate({"within": "4 business hours"})
    assert hours.within == Duration(business_hours=4)
    assert hours.model_dump(mode="json") == {"within": "4 business hours"}
    assert _Holder(within=Duration(seconds=300)).within == Duration(seconds=300)


def test_pydantic_field_error_keeps_the_expectation() -> None:
    with pytest.raises(ValidationError) as caught:
        _Holder.model_validate({"within": "soon"})
    error = caught.value.errors()[0]
    assert error["type"] == "pack_value"
    assert "expected a duration such as" in error["msg"]


def test_json_schema_is_a_patterned_string() -> None:
    schema = _Holder.model_json_schema()["properties"]["within"]
    assert schema["type"] == "string"
    assert "business (?:days?|hours?)" in schema["pattern"]
    assert "4 business hours" in schema["examples"]
