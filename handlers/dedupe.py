"""Global middleware: a delivery seen before is acknowledged and not handled again."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.delivery_keys import delivery_key
from bot.runtime import Runtime
from storage import deliveries

log = logging.getLogger(__name__)


async def seen_before(rt: Runtime, key: str) -> bool:
    """True when another delivery with this key was already taken (in any process)."""
    async with rt.db.session() as session:
        return not await deliveries.first_delivery(session=session, key=key, now=rt.clock())


def register(app: AsyncApp, rt: Runtime) -> None:
    """Install the deduplicating middleware."""

    @app.middleware
    async def dedupe(body: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> Any:  # noqa: A002
        key = delivery_key(body)
        if key is not None and await seen_before(rt, key):
            log.info("ignored a repeated delivery %s", key)
            return BoltResponse(status=200, body="")
        return await next()
