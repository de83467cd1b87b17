"""A burst of declarations against a fake Slack that enforces Slack's rate tiers.

The bot's pacer and the fake's tier windows share one `ManualTimebase`; time moves on only
when the bot is waiting for its turn and nothing else is happening, so a "minute" of Slack
time passes in a moment and the test never sleeps.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from slack_sdk.web.async_client import AsyncWebClient

from bot.rate_limits import ManualTimebase
from sandbox.slack import FakeSlack
from storage.models import Incident
from tests.harness import Bot, running_bot

BURST = 30
IDLE_SECONDS = 0.02  # no Web API call for this long (real time): the bot is waiting


@asynccontextmanager
async def time_moves_when_idle(bot: Bot, time: ManualTimebase) -> AsyncIterator[None]:
    """Jump the shared time to the next waiting call whenever the bot has nothing in flight."""
    pacer = bot.client.pacer

    async def drive() -> None:
        while True:
            calls = len(bot.fake.calls)
            await bot.fake.next_change(IDLE_SECONDS)
            if len(bot.fake.calls) == calls and pacer.in_flight == 0:
                time.advance_to_next()

    driver = asyncio.create_task(drive())
    try:
        yield
    finally:
        driver.cancel()


async def incidents(bot: Bot) -> list[Incident]:
    async with bot.db.reader() as session:
        rows = await session.exec(Incident.__table__.select())  # type: ignore[attr-defined]
        return list(rows.all())


def set_up(fake: FakeSlack, before: set[str]) -> list[str]:
    """The new channels whose card is pinned and whose announcement is posted."""
    announced = json.dumps([m.blocks for m in fake.messages("incidents")]) + "".join(
        m.text for m in fake.messages("incidents")
    )
    return [
        cid
        for cid, channel in fake.channels.items()
        if cid not in before and channel.pins and cid in announced
    ]


async def declare_burst(bot: Bot, fake: FakeSlack) -> set[str]:
    """Send BURST declarations one after another (each acknowledged); the channels before."""
    before = set(fake.channels)
    for n in range(1, BURST + 1):
        status, _, _ = await bot.command(f"declare sev2 Burst {n:02d}")
        assert status == 200
    return before


async def test_a_burst_of_30_declarations_is_set_up_within_slacks_limits(tmp_path) -> None:
    time = ManualTimebase()
    async with (
        FakeSlack(rate_limits=True, clock=time.now) as fake,
        running_bot(fake, tmp_path, timebase=time, slack_pacing=True) as bot,
        time_moves_when_idle(bot, time),
    ):
        before = await declare_burst(bot, fake)
        await fake.wait_for(lambda: len(set_up(fake, before)) == BURST, timeout=30)
        for channel in set_up(fake, before):
            await bot.setup_finished(channel)
        rows = await incidents(bot)
        assert sorted(r.title for r in rows) == [f"Burst {n:02d}" for n in range(1, BURST + 1)]
        created = fake.calls_to("conversations.create")
        assert [c.status for c in created] == [200] * BURST  # none lost, none made twice
        assert len(fake.channels) == len(before) + BURST
        assert all(len(fake.channels[c].pins) == 1 for c in set_up(fake, before))
        assert len(fake.messages("incidents")) == BURST  # one announcement each
        assert fake.ratelimited == 0  # the pacer kept every call within Slack's budgets
        assert time.now() >= 60  # 30 channels are more than a minute's 20: it waited
        assert bot.client.pacer.waits > 0
        # Queued setups finish in the order they were declared.
        names = [c.args["name"] for c in created]
        assert names == sorted(names) and names[-1].endswith("burst-30")
        in_order = [fake.channel_by_name(name).id for name in names]
        assert [c.args["channel"] for c in fake.calls_to("pins.add")] == in_order


async def test_429s_from_a_budget_spent_elsewhere_are_waited_out_and_nothing_is_lost(
    tmp_path,
) -> None:
    time = ManualTimebase()
    async with (
        FakeSlack(rate_limits=True, clock=time.now) as fake,
        running_bot(fake, tmp_path, timebase=time, slack_pacing=True) as bot,
        time_moves_when_idle(bot, time),
    ):
        other = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        for n in range(15):  # something else spent 15 of this minute's 20 channel creations
            await other.conversations_create(name=f"elsewhere-{n}")
        before = await declare_burst(bot, fake)
        await fake.wait_for(lambda: len(set_up(fake, before)) == BURST, timeout=30)
        for channel in set_up(fake, before):
            await bot.setup_finished(channel)
        assert len(fake.channels) == len(before) + BURST
        created = [c for c in fake.calls_to("conversations.create") if c.status == 200]
        assert len(created) == 15 + BURST  # none lost, none made twice
        assert fake.ratelimited > 0
        assert bot.client.pacer.rate_limited == fake.ratelimited  # every 429 was honoured
        assert len(fake.messages("incidents")) == BURST
