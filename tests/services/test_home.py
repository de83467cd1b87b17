"""bot.services.home.refresh_soon: one waiting republish per user who opened the Home."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.replica import Replica
from bot.services.home import refresh_soon


async def test_changes_within_the_window_ride_along_and_stale_watchers_are_dropped():
    clock = ManualClock(datetime(2026, 11, 22, 14, 0, tzinfo=UTC))
    replica = Replica(home_debounce=60.0)
    replica.home_seen = {"U_ALICE": clock(), "U_BOB": clock() - timedelta(minutes=61)}
    replica.home_published["U_ALICE"] = asyncio.get_running_loop().time()
    kw = {"db": None, "slack": None, "pack": None, "clock": clock, "replica": replica}
    try:
        assert refresh_soon(**kw) == 1  # Alice's waits out the window; Bob looked too long ago
        assert refresh_soon(**kw) == 0  # rides along with the waiting one
        assert set(replica.home_pending) == {"U_ALICE"}
        assert set(replica.home_seen) == {"U_ALICE"}
    finally:
        for task in replica.home_pending.values():
            task.cancel()
        await asyncio.gather(*replica.home_pending.values(), return_exceptions=True)
    assert replica.home_pending == {}
