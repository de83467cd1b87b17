"""Doing one piece of work at a time across replicas: a lease held while the work runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.clock import Clock
from bot.replica import Replica
from storage import leases
from storage.db import Database


@asynccontextmanager
async def held(
    resource: str, duration: timedelta, *, db: Database, clock: Clock, replica: Replica
) -> AsyncIterator[bool]:
    """Yield True while this process holds the lease on `resource` (False: another does).

    The lease is given back when the block ends; if this process dies, it runs out.
    """
    now = clock()
    async with db.transaction() as session:
        taken = await leases.take(
            session=session, resource=resource, owner=replica.id, now=now, until=now + duration
        )
    try:
        yield taken
    finally:
        if taken:
            async with db.transaction() as session:
                await leases.release(session=session, resource=resource, owner=replica.id)
