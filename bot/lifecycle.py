"""The process's lifecycle, owned by the server: background loops and listeners in flight."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any


class Lifecycle:
    """Tracks background tasks and acknowledged listeners, so shutdown can finish or
    cancel them in order."""

    def __init__(self) -> None:
        self.background: set[asyncio.Task[Any]] = set()
        self.in_flight: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> None:
        """Run a coroutine in the background and keep a reference until it ends."""
        task = asyncio.create_task(coro, name=name)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def track_current(self) -> None:
        """Count the running listener as in flight, so shutdown waits for it."""
        task = asyncio.current_task()
        if task is not None:
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)

    async def drain(self, timeout: float) -> None:
        """Wait (up to `timeout`) for listeners that were acknowledged but not finished."""
        current = asyncio.current_task()
        pending = [t for t in self.in_flight if t is not current and not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def stop_loops(self, names: tuple[str, ...], timeout: float = 1.0) -> None:
        """Cancel the named background loops and wait (up to `timeout`) for them to end.

        Bounded: a loop that does not end is cancelled again by `cancel_all` at the end of
        shutdown, and shutdown goes on meanwhile."""
        loops = [task for task in self.background if task.get_name() in names]
        for task in loops:
            task.cancel()
        if loops:
            await asyncio.wait(loops, timeout=timeout)

    async def cancel_all(self, timeout: float, *, also: Iterable[asyncio.Task[Any]] = ()) -> None:
        """Cancel every listener and background task still running (and `also`), and wait.

        Nothing may touch the database after it is closed: a task left running would hang
        on a connection that no longer exists.
        """
        current = asyncio.current_task()
        tasks = [
            task
            for task in (*self.in_flight, *self.background, *also)
            if task is not current and not task.done()
        ]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
