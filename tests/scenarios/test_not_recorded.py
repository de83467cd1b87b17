"""When the database cannot keep a request within the ack budget, the ack says so in plain
words, and nothing about the request ever takes effect (not even if the write lands late)."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest_asyncio

from bot.blocks.ids import ActionId, BlockId, CallbackId
from bot.intake import LEASE
from sandbox.slack import slash_command_form
from storage import inbox, repo
from storage.db import Database
from tests.harness import running_bot

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none"


@pytest_asyncio.fixture
async def watchful_bot(fake, tmp_path, monkeypatch):
    """A bot that looks for stalled work (deliveries, posts) every 50 ms instead of every
    2 s: what a lease running out (on the bot's clock) sets off follows at once."""
    monkeypatch.setattr("bot.server.LEASE_SECONDS", 0.05)
    async with running_bot(fake, tmp_path) as running:
        yield running


async def count(bot) -> int:
    async with bot.db.reader() as session:
        return await repo.count_incidents(session=session)


def unreachable_intake(bot) -> Database:
    """Point the intake (and nothing else) at a database that refuses connections."""
    broken = Database(UNREACHABLE)
    bot.intake.db = broken
    return broken


async def test_a_command_the_database_cannot_keep_is_answered_not_recorded(bot):
    broken = unreachable_intake(bot)
    try:
        status, body, _ = await bot.command("declare sev1 Database is down too")
    finally:
        await broken.dispose()
    assert status == 200
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral"
    assert "Nothing was recorded" in answer["text"] and "try again" in answer["text"]
    assert await count(bot) == 0
    assert not [c for c in bot.fake.channels.values() if c.name.startswith("inc-")]


async def test_a_click_the_database_cannot_keep_is_answered_through_its_response_url(bot):
    channel = await bot.declare("sev2 Clicks while down")
    broken = unreachable_intake(bot)
    payload_action = {"action_id": ActionId.STEP_DONE, "block_id": "step|generic|0|0", "value": "x"}
    try:
        status, _ = await bot.click(
            user="U_ALICE", channel=channel.id, ts=bot.card(channel).ts, actions=[payload_action]
        )
    finally:
        await broken.dispose()
    assert status == 200
    await bot.fake.wait_for(
        lambda: any("Nothing was recorded" in e.text for e in bot.fake.ephemerals)
    )


async def test_an_event_the_database_cannot_keep_is_refused_so_slack_retries(bot):
    broken = unreachable_intake(bot)
    try:
        status, _ = await bot.event(
            {"type": "member_joined_channel", "user": "U_BOB", "channel": "C0001"}
        )
    finally:
        await broken.dispose()
    assert status == 503


async def test_a_modal_declaration_the_database_cannot_keep_shows_a_field_error(bot):
    values = {
        BlockId.TITLE: {ActionId.TITLE: {"value": "Modal while down"}},
        BlockId.SEVERITY: {ActionId.SEVERITY: {"selected_option": {"value": "sev2"}}},
        BlockId.PLAYBOOK: {ActionId.PLAYBOOK: {"selected_option": {"value": "__none__"}}},
    }
    real = bot.db
    bot.db = Database(UNREACHABLE)
    try:
        status, body = await bot.submit(
            user="U_ALICE", callback_id=CallbackId.DECLARE, values=values
        )
    finally:
        await bot.db.dispose()
        bot.db = real
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert "Nothing was recorded" in answer["errors"][BlockId.TITLE]
    assert await count(bot) == 0


async def test_socket_mode_ack_carries_the_not_recorded_answer(fake, tmp_path):
    async with running_bot(
        fake, tmp_path, slack_app_token=fake.app_token, slack_signing_secret=None
    ) as bot:
        await fake.wait_socket_connected()
        broken = unreachable_intake(bot)
        try:
            general = fake.channel_by_name("general").id
            ack = await fake.socket_send(
                "slash_commands",
                slash_command_form(fake, text="declare sev1 Socket while down", channel_id=general),
            )
        finally:
            await broken.dispose()
        assert "Nothing was recorded" in ack["payload"]["text"]
        assert await count(bot) == 0


async def test_a_write_that_lands_after_the_not_recorded_answer_never_takes_effect(fake, tmp_path):
    path = tmp_path / "locked.db"
    async with running_bot(fake, tmp_path, database_url=f"sqlite:///{path}") as bot:
        # The database stays locked past any budget, so a short one is waited out for real.
        bot.intake.budget = 0.1
        blocker = sqlite3.connect(path, timeout=0, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # another process holds the only write lock
        try:
            status, body, _ = await bot.command("declare sev1 Written too late")
            assert status == 200 and "Nothing was recorded" in json.loads(body)["text"]
        finally:
            blocker.execute("COMMIT")  # the bot's queued write now lands, after the answer
            blocker.close()

        # The intake's write now goes through; seeing the waiter gone, it drops the row
        # before committing.
        await bot.fake.wait_for(lambda: all(t.done() for t in bot.intake.tasks()))
        async with bot.db.reader() as session:
            assert await inbox.count_by_state(session=session) == {}
        # Long after any lease, nothing is replayed: the sender was told "not recorded".
        replayed = await bot.intake.replay_stalled(never, never)
        bot.clock.advance(timedelta(minutes=5))
        replayed += await bot.intake.replay_stalled(never, never)
        assert replayed == 0
        assert await count(bot) == 0


async def never(*_: object) -> None:
    raise AssertionError("a delivery whose sender was told 'not recorded' was replayed")


async def test_work_the_database_failed_is_kept_told_and_done_once_when_it_is_back(watchful_bot):
    bot = watchful_bot
    channel = await bot.declare("sev2 Database blips")
    real_db = bot.db
    bot.db = Database(UNREACHABLE)  # the work fails; the intake (own handle) still keeps it
    try:
        _, _, url = await bot.command("note written during the blip", channel=channel.id)
        reply = (await bot.replies(url))[0]["text"]
    finally:
        await bot.db.dispose()
        bot.db = real_db
    assert "is kept and will be carried out" in reply
    assert not any("during the blip" in m.text for m in bot.fake.messages(channel.id))
    bot.clock.advance(LEASE + timedelta(seconds=1))  # the lease runs out
    await bot.fake.wait_for(
        lambda: any("during the blip" in m.text for m in bot.fake.messages(channel.id)),
        timeout=10,
    )
    await bot.fake.wait_for(lambda: not bot.intake.working)  # the replay is handled
    async with bot.db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        kinds = [e.kind for e in await repo.timeline(session=session, incident=incident.id)]
    assert kinds.count("note_added") == 1
    assert sum("during the blip" in m.text for m in bot.fake.messages(channel.id)) == 1


async def test_a_delivery_nobody_listens_for_is_acknowledged_and_never_replayed(bot):
    unsubscribed = {"type": "channel_created", "channel": {"id": "C9", "name": "x"}}
    status, _ = await bot.event(unsubscribed, subscribed=False)
    assert status == 200
    action = {"action_id": "open_link", "block_id": "b", "value": "x"}
    status, _ = await bot.click(user="U_ALICE", channel="C0001", ts="1.000001", actions=[action])
    assert status == 200
    async with bot.db.reader() as session:
        assert await inbox.count_by_state(session=session) == {inbox.DONE: 2}
