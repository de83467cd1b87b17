"""Durations used in packs: `90s`, `5m`, `1h`, `2d`, `1 business day`, `3 business days`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from playbooks.problems import PackValueError, describe_value, value_error

#: What the JSON schema accepts; `parse_duration` accepts exactly the same strings.
DURATION_PATTERN = r"^(?:[1-9][0-9]*[smhd]|[1-9][0-9]* business days?)$"
DURATION_EXPECTED = "a duration such as 90s, 5m, 1h, 2d or 3 business days (a number above 0)"

_SPAN = re.compile(r"([0-9]+)([smhd])")
_BUSINESS = re.compile(r"([0-9]+) business days?")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


@dataclass(frozen=True)
class Duration:
    """A span of time, or a number of business days (Monday to Friday), never both."""

    seconds: int = 0
    business_days: int = 0

    def __post_init__(self) -> None:
        if self.seconds < 0 or self.business_days < 0:
            raise ValueError("a duration cannot be negative")
        if self.seconds and self.business_days:
            raise ValueError("a duration is either a time span or business days, not both")

    @property
    def is_business(self) -> bool:
        """True when this counts business days rather than elapsed time."""
        return self.business_days > 0

    def as_timedelta(self) -> timedelta:
        """The elapsed time; raises ValueError for business days, which need a calendar."""
        if self.business_days:
            raise ValueError(f"{self} depends on the calendar; use Duration.add_to(dt) instead")
        return timedelta(seconds=self.seconds)

    def add_to(self, dt: datetime) -> datetime:
        """The moment this duration after `dt`; business days skip Saturdays and Sundays."""
        if not self.business_days:
            if dt.tzinfo is None:
                return dt + timedelta(seconds=self.seconds)
            # Elapsed time, so do the arithmetic in UTC: a DST change must not stretch it.
            return (dt.astimezone(UTC) + timedelta(seconds=self.seconds)).astimezone(dt.tzinfo)
        result, remaining = dt, self.business_days
        while remaining:
            result += timedelta(days=1)  # wall-clock days: 10:00 on Friday -> 10:00 on Monday
            if result.weekday() < 5:
                remaining -= 1
        return result

    def __str__(self) -> str:
        if self.business_days:
            plural = "" if self.business_days == 1 else "s"
            return f"{self.business_days} business day{plural}"
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
        {"type": "string", "pattern": DURATION_PATTERN, "examples": ["5m", "1h", "3 business days"]}
    ),
]
