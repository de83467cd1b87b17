"""Leases: one process at a time does a piece of work, across replicas, until a deadline.

A lease is a row; taking it is one conditional statement, so two processes can never both
hold it. A holder that dies simply lets it run out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import dialect_insert
from storage.models import Lease


async def take(
    *, session: AsyncSession, resource: str, owner: str, now: datetime, until: datetime
) -> bool:
    """Take (or renew) the lease; False while another owner holds it. The caller commits."""
    statement = dialect_insert(session, Lease).values(resource=resource, owner=owner, until=until)
    statement = statement.on_conflict_do_update(
        index_elements=["resource"],
        set_={"owner": owner, "until": until},
        where=(col(Lease.owner) == owner) | (col(Lease.until) < now),
    )
    result = await session.exec(statement)
    return bool(result.rowcount == 1)


async def release(*, session: AsyncSession, resource: str, owner: str) -> None:
    """Give the lease back, if we still hold it. The caller commits."""
    await session.exec(
        delete(Lease).where(col(Lease.resource) == resource, col(Lease.owner) == owner)
    )
