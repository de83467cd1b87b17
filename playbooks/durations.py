"""Durations used in packs: `90s`, `5m`, `1h`, `2d`, `4 business hours`, `3 business days`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from playbooks.business_calendar import BusinessCalendar
from playbooks.problems import PackValueError, describe_value, value_error

#: What the JSON schema accepts; `parse_duration` accepts exactly the same strings.
DURATION_PATTERN = r"^(?:[1-9][0-9]*[smhd]|[1-9][0-9]* business (?:days?|hours?))$"
DURATION_EXPECTED = (
    "a duration such as 90s, 5m, 1h, 2d, 4 business hours or 3 business days (a number above 0)"
)

_SPAN = re.compile(r"([0-9]+)([smhd])")
_BUSINESS = re.compile(r"([0-9]+) business (day|hour)s?")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


@dataclass(frozen=True)
class Duration:
    """A span of time, a number of business days or a number of business hours: one only.

    Business days and hours follow a `BusinessCalendar` (time zone, opening hours, public
    holidays), so only `add_to(dt, calendar)` turns them into a moment."""

    seconds: int = 0
    business_days: int = 0
    business_hours: int = 0

    def __post_init__(self) -> None:
        if self.seconds < 0 or self.business_days < 0 or self.business_hours < 0:
            raise ValueError("a duration cannot be negative")
        if sum(1 for part in (self.seconds, self.business_days, self.business_hours) if part) > 1:
            raise ValueError(
                "a duration is a time span, business days or business hours, not several"
            )

    @property
    def is_business(self) -> bool:
        """True when this counts business days or hours rather than elapsed time."""
        return self.business_days > 0 or self.business_hours > 0

    def as_timedelta(self) -> timedelta:
        """The elapsed time; raises ValueError for business days or hours, which need a
        calendar."""
        if self.is_business:
            raise ValueError(
                f"{self} depends on the calendar; use Duration.add_to(dt, calendar) instead"
            )
        return timedelta(seconds=self.seconds)

    def add_to(self, dt: datetime, calendar: BusinessCalendar | None = None) -> datetime:
        """The moment this duration after `dt`, in `dt`'s time zone.

        Business days and hours are counted on `calendar` (required for them): business days
        keep the local time of day and skip weekends and holidays; business hours count only
        time within opening hours on business days."""
        if self.is_business:
            if calendar is None:
                raise ValueError(f"{self} depends on the calendar; pass one to add_to")
            if self.business_days:
                return calendar.add_business_days(dt, self.business_days)
            return calendar.add_business_hours(dt, self.business_hours)
        if dt.tzinfo is None:
            return dt + timedelta(seconds=self.seconds)
        # Elapsed time, so do the arithmetic in UTC: a DST change must not stretch it.
        return (dt.astimezone(UTC) + timedelta(seconds=self.seconds)).astimezone(dt.tzinfo)

    def __str__(self) -> str:
        for count, unit in ((self.business_days, "day"), (self.business_hours, "hour")):
            if count:
                return f"{count} business {unit}{'' if count == 1 else 's'}"
        for unit, size in _UNIT_SECONDS.items():
            if self.seconds and self.seconds % size == 0:
                return f"{self.seconds // size}{unit}"
        return f"{self.seconds}s"


def parse_duration(text: str) -> Duration:
    """Parse a pack duration; raises ValueError (a PackValueError) saying what was expected."""
    if not isinstance(text, str):
        raise PackValueError(f"got {describe_value(text)}", DURATION_EXPECTED)
    if span := _SPAN.fullmatch(text):
        number, unit = int(span[1]), span[2]
        if number == 0 or span[1].startswith("0"):
            raise PackValueError(f"{text!r} is not a duration", DURATION_EXPECTED)
        return Duration(seconds=number * _UNIT_SECONDS[unit])
    if business := _BUSINESS.fullmatch(text):
        if int(business[1]) == 0 or business[1].startswith("0"):
            raise PackValueError(f"{text!r} is not a duration", DURATION_EXPECTED)
        if business[2] == "hour":
            return Duration(business_hours=int(business[1]))
        return Duration(business_days=int(business[1]))
    raise PackValueError(f"{text!r} is not a duration", DURATION_EXPECTED)


def _validate_duration(value: object) -> Duration:
    if isinstance(value, Duration):
        return value
    try:
        return parse_duration(value)  # type: ignore[arg-type]
    except PackValueError as exc:
        raise value_error(exc) from None


#: Field type: a duration string in YAML/JSON, a `Duration` in Python.
DurationField = Annotated[
    Duration,
    PlainValidator(_validate_duration),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DURATION_PATTERN,
            "examples": ["5m", "1h", "4 business hours", "3 business days"],
        }
    ),
]
