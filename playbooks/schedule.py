"""Checklist schedules: `daily HH:MM`, `weekdays HH:MM` (24-hour, bot's time zone),
`on_monitoring` (when an incident moves to monitoring) and `on_resolve`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Annotated, Literal

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from playbooks.problems import PackValueError, describe_value, value_error

ScheduleKind = Literal["daily", "weekdays", "on_monitoring", "on_resolve"]
EVENTS = ("on_monitoring", "on_resolve")

SCHEDULE_PATTERN = (
    r"^(?:(?:daily|weekdays) (?:[01][0-9]|2[0-3]):[0-5][0-9]|on_monitoring|on_resolve)$"
)
SCHEDULE_EXPECTED = (
    "'daily HH:MM', 'weekdays HH:MM' (24-hour clock, two digits each, e.g. weekdays 09:30), "
    "'on_monitoring' or 'on_resolve'"
)

_TIMED = re.compile(r"(daily|weekdays) ([0-9]{2}):([0-9]{2})")


@dataclass(frozen=True)
class Schedule:
    """When a checklist is posted: at a local time every day or every weekday, or in an
    incident's channel when it moves to monitoring (or is resolved without it), or on resolve."""

    kind: ScheduleKind
    at: time | None = None

    def __post_init__(self) -> None:
        if (self.kind in EVENTS) != (self.at is None):
            raise ValueError("daily/weekdays schedules need a time; on_* schedules take none")

    @property
    def is_recurring(self) -> bool:
        """True for clock-based schedules (daily, weekdays)."""
        return self.kind not in EVENTS

    def next_run(self, after: datetime) -> datetime | None:
        """The first run strictly after `after` (in its time zone); None for on_resolve."""
        if self.at is None:
            return None
        run = after.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        if run <= after:
            run += timedelta(days=1)
        while self.kind == "weekdays" and run.weekday() >= 5:
            run += timedelta(days=1)
        return run

    def __str__(self) -> str:
        if self.at is None:
            return self.kind
        return f"{self.kind} {self.at:%H:%M}"


def parse_schedule(text: str) -> Schedule:
    """Parse a checklist schedule; raises ValueError (a PackValueError) on anything else."""
    if not isinstance(text, str):
        raise PackValueError(f"got {describe_value(text)}", SCHEDULE_EXPECTED)
    if text == "on_resolve":
        return Schedule("on_resolve")
    if text == "on_monitoring":
        return Schedule("on_monitoring")
    timed = _TIMED.fullmatch(text)
    if timed is None:
        raise PackValueError(f"{text!r} is not a schedule", SCHEDULE_EXPECTED)
    hour, minute = int(timed[2]), int(timed[3])
    if hour > 23 or minute > 59:
        raise PackValueError(f"{text!r} has no such time of day", SCHEDULE_EXPECTED)
    kind: ScheduleKind = "daily" if timed[1] == "daily" else "weekdays"
    return Schedule(kind, time(hour, minute))


def _validate_schedule(value: object) -> Schedule:
    if isinstance(value, Schedule):
        return value
    try:
        return parse_schedule(value)  # type: ignore[arg-type]
    except PackValueError as exc:
        raise value_error(exc) from None


#: Field type: a schedule string in YAML/JSON, a `Schedule` in Python.
ScheduleField = Annotated[
    Schedule,
    PlainValidator(_validate_schedule),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": SCHEDULE_PATTERN, "examples": ["daily 09:00", "on_resolve"]}
    ),
]
