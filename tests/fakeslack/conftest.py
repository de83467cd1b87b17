"""The `fake` fixture: a started FakeSlack per test (import it from tests/conftest.py to share)."""

from collections.abc import AsyncIterator

import pytest_asyncio

from sandbox.slack.server import FakeSlack


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """A running FakeSlack (bot token "xoxb-test", app token "xapp-test"), stopped afterwards."""
    server = FakeSlack(bot_token="xoxb-test", app_token="xapp-test")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
