"""Time, injected: every service reads the time from a `Clock`, never from the system.

Production uses `utcnow`. Tests (and anyone who wants to see reminders fire without
waiting) use `ManualClock`, whose time moves only when told to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until `advance` or `set` moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by `delta` (seconds when a number); returns the new time."""
        self.now += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        return self.now

    def set(self, at: datetime) -> None:
        """Jump to `at` (forward or back)."""
        self.now = at


class OffsetClock:
    """The real time plus an offset that `advance` grows: time flows, and can jump ahead."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, delta: timedelta | float) -> datetime:
        """Jump forward by `delta` (seconds when a number); returns the new time."""
        self.offset += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        return self()
