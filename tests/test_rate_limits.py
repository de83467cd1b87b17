"""The pacer: Slack's tier budgets per method, posts per channel, and 429 holds, on a
manual timebase (nothing here sleeps for real)."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.errors import SlackApiError

from bot.rate_limits import TIER_BUDGETS, TIERS, ManualTimebase, Pacer, budget_for
from bot.slack_gateway import RATE_LIMIT_RETRIES, PacedWebClient, make_client
from sandbox.slack import FakeSlack
from tests.harness import make_settings


async def settle() -> None:
    """Let every task that can run, run (no I/O is involved here)."""
    for _ in range(5):
        await asyncio.sleep(0)


def test_the_table_names_slacks_tiers() -> None:
    assert {TIERS[m] for m in ("conversations.create", "conversations.setTopic", "pins.add")} == {2}
    assert {TIERS[m] for m in ("chat.update", "conversations.invite")} == {3}
    assert TIER_BUDGETS[2].calls == 20 and TIER_BUDGETS[3].calls == 50
    assert budget_for("auth.test") is None  # the health probe is never paced
    assert budget_for("chat.postMessage", "C1") != budget_for("chat.postMessage", "C2")


async def test_the_21st_tier_2_call_waits_for_the_minute_and_others_go_on() -> None:
    time = ManualTimebase()
    pacer = Pacer(time)
    for _ in range(20):
        await pacer.turn("conversations.create")
    time.advance(10)
    late = asyncio.create_task(pacer.turn("conversations.create"))
    await settle()
    assert not late.done()
    await pacer.turn("chat.update")  # another method has its own budget
    assert time.next_deadline == 60  # the first call leaves the window at t=60
    time.advance(49.9)
    await settle()
    assert not late.done()
    time.advance(0.1)
    await late
    assert pacer.waits == 1


async def test_waiting_calls_go_in_the_order_they_asked() -> None:
    time = ManualTimebase()
    pacer = Pacer(time)
    order: list[int] = []

    async def call(n: int) -> None:
        await pacer.turn("chat.postMessage", "C1")
        order.append(n)

    tasks = [asyncio.create_task(call(n)) for n in range(12)]
    await settle()
    assert order == [0, 1, 2, 3, 4]  # a burst of 5 in the channel
    while not all(task.done() for task in tasks):
        time.advance_to_next()
        await settle()
    assert order == list(range(12))
    assert time.now() == 10  # then 5 more every 5 s: 1 a second on average


async def test_a_hold_delays_only_its_own_method() -> None:
    time = ManualTimebase()
    pacer = Pacer(time, by_tier=False)
    pacer.hold("pins.add", None, 30)
    held = asyncio.create_task(pacer.turn("pins.add"))
    await pacer.turn("conversations.setTopic")
    await settle()
    assert not held.done()
    time.advance(30)
    await held
    assert pacer.rate_limited == 1


@pytest.fixture
async def paced(fake: FakeSlack, tmp_path) -> tuple[PacedWebClient, ManualTimebase]:
    time = ManualTimebase()
    settings = make_settings(fake, f"sqlite:///{tmp_path}/x.db", slack_pacing=True)
    client = make_client(settings, timebase=time)
    assert isinstance(client, PacedWebClient)
    return client, time


async def test_a_429_is_waited_out_and_retried(
    fake: FakeSlack, paced: tuple[PacedWebClient, ManualTimebase]
) -> None:
    client, time = paced
    fake.rate_limit_next("pins.add", retry_after=30)
    pin = asyncio.create_task(client.pins_add(channel="incidents", timestamp="1.2"))
    await fake.wait_for(lambda: time.next_deadline is not None)
    await client.users_info(user="U_ALICE")  # not held up
    assert not pin.done()
    time.advance(30)
    with pytest.raises(SlackApiError):  # the retry reaches Slack (no such message)
        await pin
    assert [c.status for c in fake.calls_to("pins.add")] == [429, 200]
    assert client.pacer.rate_limited == 1


async def test_after_the_last_retry_the_method_still_waits_out_retry_after(
    fake: FakeSlack, paced: tuple[PacedWebClient, ManualTimebase]
) -> None:
    client, time = paced
    incidents = fake.channel_by_name("incidents").id
    fake.rate_limit_next("conversations.setTopic", retry_after=5, times=RATE_LIMIT_RETRIES + 1)
    topic = asyncio.create_task(client.conversations_setTopic(channel=incidents, topic="a"))
    for _ in range(RATE_LIMIT_RETRIES):
        await fake.wait_for(lambda: time.next_deadline is not None)  # waiting out Retry-After
        time.advance(5)
    with pytest.raises(SlackApiError) as info:
        await topic
    assert info.value.response.status_code == 429
    assert len(fake.calls_to("conversations.setTopic")) == RATE_LIMIT_RETRIES + 1
    later = asyncio.create_task(client.conversations_setTopic(channel=incidents, topic="b"))
    await fake.wait_for(lambda: time.next_deadline == time.now() + 5)  # held
    time.advance(5)
    await later
    assert fake.channel_by_name("incidents").topic == "b"
