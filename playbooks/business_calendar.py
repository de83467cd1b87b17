"""The business calendar that `N business days` and `N business hours` are counted on.

A `BusinessCalendar` is plain data: a time zone, the opening hours, and the public holidays
(any container of dates; `public_holidays` gets a country's from the `holidays` library).
Every count is done in the calendar's local time, whatever time zone the moment carries, and
the result comes back in the time zone it came in (UTC in, UTC out). Pure: no clock.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from holidays import HolidayBase, country_holidays, list_supported_countries

BUSINESS_HOURS_EXPECTED = (
    "opening and closing times on the 24-hour clock, such as 09:00-17:00 "
    "(two digits each, opening before closing)"
)
HOLIDAY_COUNTRY_EXAMPLES = "US, GB, IN or DE"

_HOURS = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])")
# No country has this many non-business days in a row; more means the calendar is broken.
_MAX_DAYS_OFF = 366


@dataclass(frozen=True)
class BusinessHours:
    """The daily opening hours, e.g. 09:00-17:00 (within one day)."""

    opens: time
    closes: time

    def __post_init__(self) -> None:
        if self.opens >= self.closes:
            raise ValueError(f"{self} opens no earlier than it closes")

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}-{self.closes:%H:%M}"


def parse_business_hours(text: str) -> BusinessHours:
    """`09:00-17:00` as BusinessHours; raises ValueError saying what was expected."""
    found = _HOURS.fullmatch(text.strip().replace(" ", ""))
    if found is None:
        raise ValueError(f"{text!r} is not business hours; expected {BUSINESS_HOURS_EXPECTED}")
    opens = time(int(found[1]), int(found[2]))
    closes = time(int(found[3]), int(found[4]))
    if opens >= closes:
        raise ValueError(
            f"{text!r} does not open before it closes; expected {BUSINESS_HOURS_EXPECTED}"
        )
    return BusinessHours(opens, closes)


def public_holidays(country: str, subdivision: str | None = None) -> HolidayBase:
    """A country's public holidays (ISO code, e.g. `US`, `GB`), optionally of a subdivision
    (e.g. `GB` `SCT`); raises ValueError naming valid codes for an unknown one."""
    supported = list_supported_countries()
    code = country.strip().upper()
    if code not in supported:
        raise ValueError(
            f"{country!r} is not a country the holidays library knows; expected an ISO 3166 "
            f"country code such as {HOLIDAY_COUNTRY_EXAMPLES}"
        )
    subdiv = subdivision.strip().upper() if subdivision and subdivision.strip() else None
    if subdiv is not None and subdiv not in supported[code]:
        valid = ", ".join(supported[code][:12]) or "none"
        more = ", …" if len(supported[code]) > 12 else ""
        raise ValueError(
            f"{subdivision!r} is not a subdivision of {code}; expected one of {valid}{more}"
        )
    return country_holidays(code, subdiv=subdiv)


@dataclass(frozen=True)
class BusinessCalendar:
    """When business happens: weekdays that are not public holidays, during opening hours,
    in one time zone. The default is UTC, 09:00-17:00, Monday to Friday, no holidays."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    hours: BusinessHours = BusinessHours(time(9), time(17))
    holidays: Container[date] = frozenset()

    def is_business_day(self, day: date) -> bool:
        """Monday to Friday, and not a public holiday."""
        return day.weekday() < 5 and day not in self.holidays

    def add_business_days(self, moment: datetime, days: int) -> datetime:
        """The same local time of day, `days` business days later: 10:00 on Friday + 1 is
        10:00 on Monday (Tuesday if Monday is a holiday), whatever the clocks did between."""
        local = self._local(moment)
        day, remaining, off = local.date(), days, 0
        while remaining:
            day += timedelta(days=1)
            if self.is_business_day(day):
                remaining, off = remaining - 1, 0
            else:
                off = self._one_more_day_off(off)
        return self._back(datetime.combine(day, local.time(), tzinfo=self.tz), moment)

    def add_business_hours(self, moment: datetime, hours: int) -> datetime:
        """The moment when `hours` hours inside opening hours on business days have passed:
        16:00 on Friday + 4 is 12:00 on Monday (09:00-17:00). A start outside the hours
        counts from the next opening. Hours are real elapsed time, even on a DST change."""
        local = self._local(moment)
        start, day, off = local.astimezone(UTC), local.date(), 0
        remaining = timedelta(hours=hours)
        while True:
            if self.is_business_day(day):
                off = 0
                opens = datetime.combine(day, self.hours.opens, tzinfo=self.tz).astimezone(UTC)
                closes = datetime.combine(day, self.hours.closes, tzinfo=self.tz).astimezone(UTC)
                begin = max(opens, start)
                if begin < closes:
                    if remaining <= closes - begin:
                        return self._back((begin + remaining).astimezone(self.tz), moment)
                    remaining -= closes - begin
            else:
                off = self._one_more_day_off(off)
            day += timedelta(days=1)

    def _local(self, moment: datetime) -> datetime:
        """`moment` in the calendar's time zone; a naive one is taken as local time."""
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.tz)
        return moment.astimezone(self.tz)

    @staticmethod
    def _back(local: datetime, moment: datetime) -> datetime:
        """`local` in the time zone `moment` came in (naive stays naive, local time)."""
        if moment.tzinfo is None:
            return local.replace(tzinfo=None)
        return local.astimezone(moment.tzinfo)

    @staticmethod
    def _one_more_day_off(off: int) -> int:
        if off + 1 > _MAX_DAYS_OFF:
            raise ValueError(f"the calendar has no business day in {_MAX_DAYS_OFF} days")
        return off + 1
