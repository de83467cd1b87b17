"""`bot`: the real bot on a SQLite file, talking to the fake Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from sandbox.slack import FakeSlack
from tests.harness import Bot, running_bot


@pytest_asyncio.fixture
async def bot(fake: FakeSlack, tmp_path) -> AsyncIterator[Bot]:
    """A running bot in HTTP mode."""
    async with running_bot(fake, tmp_path) as running:
        yield running
