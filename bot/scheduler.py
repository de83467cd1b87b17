"""The alarm clock: APScheduler polls the database for due timers and fires each one once.

The database holds every next-due time; nothing is kept in APScheduler's job store, so a
restart (or `kill -9`) loses nothing and there is no state to rebuild but the one job. One
interval job per process asks "what is due now?" a few times a second. Every replica asks,
and the conditional UPDATE in `storage.timers.lease` lets exactly one of them act on each
firing. A timer that fell due while every process was down is simply overdue: it fires once
and its next run is planned from now (coalesced), never replayed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.deps import Deps
from bot.services import checklists
from bot.services.reminders import fire
from storage import timers
from storage.timers import DueTimer

log = logging.getLogger(__name__)
TICK_SECONDS = 0.25
BATCH_SIZE = 100
MAX_BATCHES = 4


class TimerLoop:
    """Owns the AsyncIOScheduler and the firings in flight."""

    def __init__(self, deps: Deps, *, tick: float = TICK_SECONDS) -> None:
        self.deps = deps
        self.tick_seconds = tick
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.in_flight: set[str] = set()
        self.firings: set[asyncio.Task[None]] = set()
        self.stopping = False
        self.ticking: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        """Plan the pack's checklists and start polling (inside the running loop)."""
        deps = self.deps
        await checklists.plan_checklists(
            db=deps.db, pack=deps.pack, clock=deps.clock, settings=deps.settings
        )
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
        """Start one batch firing for everything due now and not already being fired here.

        The tick itself only reads and spawns, so one slow Slack call never delays the
        timers that fall due behind it.
        """
        if self.stopping or len(self.firings) >= MAX_BATCHES:
            return
        self.ticking = asyncio.current_task()  # `stop` lets this read finish
        try:
            due = await timers.due_timers(db=self.deps.db, now=self.deps.clock())
        except Exception as error:  # noqa: BLE001 - the database may be briefly unavailable
            self.deps.metrics.database_error("timer_poll", error)
            log.warning("could not read due timers: %r", error)
            return
        except asyncio.CancelledError:
            if self.stopping:
                return  # cancelled at exit, after `stop` waited: only a read was lost
            raise
        finally:
            self.ticking = None
        batch = [t for t in due if t.id not in self.in_flight][:BATCH_SIZE]
        if not batch or self.stopping:
            return
        self.in_flight.update(t.id for t in batch)
        task = asyncio.create_task(self._fire(batch), name="fire-timers")
        self.firings.add(task)
        task.add_done_callback(self.firings.discard)

    async def run_due(self, *, rounds: int = 20) -> None:
        """Fire everything due now and wait until it has been fired.

        For a clock that is moved by hand (tests, a sandbox): no waiting for the next tick.
        """
        for _ in range(rounds):
            await self.tick()
            if not self.firings:
                return
            await asyncio.wait(set(self.firings))

    async def _fire(self, batch: list[DueTimer]) -> None:
        deps = self.deps
        try:
            now = deps.clock()
            fired = await fire(
                batch,
                db=deps.db,
                slack=deps.slack,
                pack=deps.pack,
                clock=deps.clock,
                settings=deps.settings,
                replica=deps.replica,
                pagers=deps.pagers,
            )
            for timer in fired:
                deps.metrics.timer_fired(timer.kind, (now - timer.due_at).total_seconds())
        except Exception as error:  # noqa: BLE001 - a bad batch must not stop the clock
            deps.metrics.database_error("timer_fire", error)
            log.error("firing %d timers failed: %r", len(batch), error)
        finally:
            self.in_flight.difference_update(t.id for t in batch)

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop starting firings, then let the ones in flight finish (they are not cancelled)."""
        self.stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.ticking is not None:
            # A poll reading the due timers at shutdown finishes (and starts nothing, as
            # `stopping` is set) rather than being cancelled at exit mid-read, which
            # APScheduler would log as an error with a traceback.
            await asyncio.wait({self.ticking}, timeout=timeout)
        if self.firings:
            await asyncio.wait(set(self.firings), timeout=timeout)
        late = [task for task in self.firings if not task.done()]
        for task in late:
            task.cancel()  # a leased timer falls due again when its lease runs out
        if late:
            await asyncio.wait(late, timeout=1.0)
