"""Repository functions for delivery keys (deduplication across restarts and replicas)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Delivery


async def first_delivery(*, session: AsyncSession, key: str, now: datetime) -> bool:
    """Record the key; False if it was seen before (by this or any other process)."""
    session.add(Delivery(key=key, seen_at=now))
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return False
    return True


async def forget_before(*, session: AsyncSession, cutoff: datetime) -> None:
    """Drop keys older than the cutoff; Slack stops retrying long before."""
    await session.exec(delete(Delivery).where(col(Delivery.seen_at) < cutoff))
    await session.commit()
