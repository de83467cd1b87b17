"""The alarm clock: APScheduler polls the database for due timers and fires each one once.

The database holds every next-due time; nothing is kept in APScheduler's job store, so a
restart (or `kill -9`) loses nothing and there is no state to rebuild but the one job. One
interval job per process asks "what is due now?" a few times a second. Every replica asks,
and the conditional UPDATE in `storage.timers.claim` lets exactly one of them act on each
firing. A timer that fell due while every process was down is simply overdue: it fires once
and its next run is planned from now (coalesced), never replayed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime import Runtime
from bot.services import checklists
from bot.services.reminders import fire
from storage import timers
from storage.models import Timer

log = logging.getLogger(__name__)
TICK_SECONDS = 0.25
CONCURRENT_FIRINGS = 16


class TimerLoop:
    """Owns the AsyncIOScheduler and the firings in flight."""

    def __init__(self, rt: Runtime, *, tick: float = TICK_SECONDS) -> None:
        self.rt = rt
        self.tick_seconds = tick
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.in_flight: set[str] = set()
        self._limit = asyncio.Semaphore(CONCURRENT_FIRINGS)
        self._tick_task: asyncio.Future[None] | None = None

    async def start(self) -> None:
        """Plan the pack's checklists and start polling (inside the running loop)."""
        await checklists.plan_checklists(self.rt)
        self.scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.tick_seconds,
            id="due-timers",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            replace_existing=True,
        )
        self.scheduler.start()

    async def tick(self) -> None:
        """Fire everything due now; each timer at most once at a time in this process."""
        try:
            due = await timers.due_timers(db=self.rt.db, now=self.rt.clock())
        except Exception as error:  # noqa: BLE001 - the database may be briefly unavailable
            log.warning("could not read due timers: %r", error)
            return
        fresh = [t for t in due if t.id not in self.in_flight]
        await asyncio.gather(*(self._fire(t) for t in fresh))

    async def _fire(self, timer: Timer) -> None:
        self.in_flight.add(timer.id)
        try:
            async with self._limit:
                await fire(self.rt, timer)
        except Exception as error:  # noqa: BLE001 - one bad timer must not stop the others
            log.error("timer %s failed: %r", timer.id, error)
        finally:
            self.in_flight.discard(timer.id)

    async def stop(self) -> None:
        """Stop polling and let the firings in flight finish."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for _ in range(100):
            if not self.in_flight:
                break
            await asyncio.sleep(0.05)
