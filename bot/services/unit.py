"""The unit of work: one service call, one transaction, committed as a whole.

When a listener is handling a Slack delivery (`bot.intake.HANDLING`), the first unit of
work that commits also marks that delivery handled, in the same transaction. A replayed
delivery whose effect another process already committed therefore changes nothing: the
conditional UPDATE finds it handled and the whole unit rolls back (`AlreadyHandled`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.intake import HANDLING, AlreadyHandled
from storage import inbox
from storage.db import Database


@asynccontextmanager
async def unit_of_work(db: Database) -> AsyncIterator[AsyncSession]:
    """A session whose work commits at the end of the block, or not at all."""
    delivery = HANDLING.get()
    async with db.session() as session:
        yield session
        if delivery is not None and not delivery.finished:
            if delivery.record is not None:
                admitted = await inbox.admit(
                    session=session, rows=[delivery.record], state=inbox.DONE
                )
                kept = bool(admitted)
            else:
                kept = await inbox.finish(session=session, key=delivery.key)
            if not kept:
                raise AlreadyHandled(delivery.key)
        await session.commit()
    if delivery is not None:
        delivery.finished = True
