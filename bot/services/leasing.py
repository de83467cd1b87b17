"""Doing one piece of work at a time across replicas: a lease held while the work runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.runtime import Runtime
from storage import leases


@asynccontextmanager
async def held(rt: Runtime, resource: str, duration: timedelta) -> AsyncIterator[bool]:
    """Yield True while this process holds the lease on `resource` (False: another does).

    The lease is given back when the block ends; if this process dies, it runs out.
    """
    now = rt.clock()
    async with rt.db.transaction() as session:
        taken = await leases.take(
            session=session, resource=resource, owner=rt.replica, now=now, until=now + duration
        )
    try:
        yield taken
    finally:
        if taken:
            async with rt.db.transaction() as session:
                await leases.release(session=session, resource=resource, owner=rt.replica)
