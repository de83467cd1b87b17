"""Exactly once on Slack's side: when Slack acts but its reply is lost (a dropped connection
or a hang past the client's timeout), the bot finds its post instead of posting again."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlmodel import select

from bot.clock import ManualClock
from storage import repo
from storage.db import Database
from storage.models import OutboxPost
from tests.harness import running_bot
from tests.processes import BotProcess, leases_run_out, wait_until_done

FAST = str(Path(__file__).resolve().parents[1] / "packs" / "fast.yml")


@pytest_asyncio.fixture
async def watchful_bot(fake, tmp_path, monkeypatch):
    """A bot that looks for stalled work (deliveries, posts) every 50 ms instead of every
    2 s: what a lease running out (on the bot's clock) sets off follows at once."""
    monkeypatch.setattr("bot.server.LEASE_SECONDS", 0.05)
    async with running_bot(fake, tmp_path) as running:
        yield running


async def setup_state(bot, channel) -> str:
    async with bot.db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
    return incident.setup_state


def kinds(fake, channel_id: str) -> Counter[str]:
    return Counter(
        ((m.metadata or {}).get("event_payload") or {}).get("kind", "")
        for m in fake.messages(channel_id)
    )


async def declared(bot, title: str):
    await bot.declare(f"sev2 {title}")
    return next(c for c in bot.fake.channels.values() if c.name.endswith(title.lower()))


@pytest.mark.parametrize("times", [1, 2])
async def test_dropped_replies_to_the_card_and_announcement_post_each_once(bot, times):
    bot.fake.fault_next("chat.postMessage", "drop", times=times)
    channel = await declared(bot, "dropped")
    assert kinds(bot.fake, channel.id)["card"] == 1
    assert kinds(bot.fake, "incidents")["announcement"] == 1
    assert [c.fault for c in bot.fake.calls_to("chat.postMessage")].count("drop") == times


async def test_a_reply_slower_than_the_client_timeout_posts_once(bot):
    # Real time is the point here: the client gives up on an answer that is late.
    bot.client.timeout = 0.5
    bot.fake.hang_seconds = 1
    bot.fake.fault_next("chat.postMessage", "hang", times=2)
    channel = await declared(bot, "hung")
    assert kinds(bot.fake, channel.id)["card"] == 1
    assert kinds(bot.fake, "incidents")["announcement"] == 1


async def test_a_post_slack_never_received_is_posted_after_the_lookup(bot):
    bot.fake.fault_next("chat.postMessage", "drop_before", times=2)
    channel = await declared(bot, "never-arrived")
    assert kinds(bot.fake, channel.id)["card"] == 1
    assert kinds(bot.fake, "incidents")["announcement"] == 1


async def test_the_bot_joins_the_announcement_channel_so_it_can_check_its_posts(fake, tmp_path):
    incidents = fake.channel_by_name("incidents")
    incidents.members.discard(fake.bot_user_id)  # chat:write.public alone: post, not read
    async with running_bot(fake, tmp_path) as bot:
        assert fake.bot_user_id in incidents.members
        assert [c.ok for c in fake.calls_to("conversations.join")] == [True]
        fake.fault_next("chat.postMessage", "drop", times=2)
        await declared(bot, "joined")
        assert kinds(fake, incidents.id)["announcement"] == 1


async def test_a_lost_reply_to_a_reminder_posts_it_once(fake, tmp_path):
    async with running_bot(fake, tmp_path, clock=ManualClock(), playbook_pack=FAST) as bot:
        channel = await declared(bot, "reminded")
        await fake.wait_for(lambda: not bot.intake.working)  # the declaration is handled
        assert await setup_state(bot, channel) == "ready"  # nothing else left to post
        fake.fault_next("chat.postMessage", "drop")
        bot.clock.advance(3)  # sev2 of the fast pack: an internal update every 3 s
        await bot.run_due_timers()
        reminders = [m for m in fake.messages(channel.id) if "No internal update" in m.text]
        assert len(reminders) == 1
        [dropped] = [c for c in fake.calls_to("chat.postMessage") if c.fault == "drop"]
        assert "No internal update" in dropped.args["text"]
        assert [c.args["channel"] for c in fake.calls_to("conversations.history")] == [channel.id]


async def test_an_update_slack_did_not_take_is_posted_later_exactly_once(watchful_bot):
    bot = watchful_bot
    channel = await declared(bot, "owed")
    bot.fake.fault_next("chat.postMessage", "drop_before", times=3)  # every try of the post
    await bot.command("update still investigating", channel=channel.id)
    await bot.fake.wait_for(
        lambda: [c.fault for c in bot.fake.calls_to("chat.postMessage")].count("drop_before") == 3
    )
    await bot.fake.wait_for(lambda: not bot.posting)  # the first delivery gave up for now
    assert not [m for m in bot.fake.messages(channel.id) if "still investigating" in m.text]
    bot.clock.advance(timedelta(minutes=1))  # its lease runs out
    await bot.fake.wait_for(
        lambda: [m for m in bot.fake.messages(channel.id) if "still investigating" in m.text],
        timeout=10,
    )
    updates = [m for m in bot.fake.messages(channel.id) if "still investigating" in m.text]
    assert len(updates) == 1


async def test_a_post_cut_off_by_kill_9_is_found_after_restart_not_posted_again(fake, tmp_path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    bot = BotProcess(fake, url, "default", tmp_path / "bot.log")
    await bot.start()
    try:
        before = set(fake.channels)
        assert await bot.command("declare sev2 Cut off") == 200
        await fake.wait_for(
            lambda: any(c.pins for cid, c in fake.channels.items() if cid not in before)
        )
        channel = next(c for cid, c in fake.channels.items() if cid not in before)
        await fake.wait_for(lambda: kinds(fake, "incidents")["announcement"] == 1)
        fake.hang_seconds = 60
        fake.fault_next("chat.postMessage", "hang")  # Slack posts it; its answer never comes
        assert await bot.command("update rolling back", channel=channel.id) == 200
        await fake.wait_for(
            lambda: any("rolling back" in m.text for m in fake.messages(channel.id))
        )
        bot.kill()  # the bot dies before it hears that the post went through
        # Its lease (15 s) runs out now rather than after 15 s of waiting; the post is owed,
        # and so is its reply under the announcement (delivered after it, so not yet made).
        assert (await leases_run_out(url, bot))["posts"] == 2
        await bot.start()
        await wait_until_done(url)  # the restarted bot settled the owed post
        posted = [m for m in fake.messages(channel.id) if "rolling back" in m.text]
        assert len(posted) == 1
        tries = [
            c
            for c in fake.calls_to("chat.postMessage")
            if "rolling back" in str(c.args) and c.args.get("channel") == channel.id
        ]
        assert len(tries) == 1  # not posted again: the restarted bot looked in the channel…
        assert channel.id in [c.args.get("channel") for c in fake.calls_to("conversations.history")]
        database = Database(url)
        try:
            async with database.reader() as session:  # …and took the post it found as its own
                owed, _reply = (await session.exec(select(OutboxPost))).all()
        finally:
            await database.dispose()
        assert owed.ts == posted[0].ts
    finally:
        bot.kill()


async def test_a_post_for_an_incident_without_its_channel_yet_waits_and_is_posted_once(
    fake, tmp_path
):
    # An escalation at once can fall due before the channel exists (its setup waiting out
    # Slack's rate limit): the notice stays owed, uses up no attempts, and is posted once
    # the channel is there. (It used to be dropped.)
    from bot.clock import ManualClock
    from bot.services import outbox
    from bot.services.declare import Declaration, declare_incident
    from storage.models import OutboxPost
    from tests.harness import running_bot

    clock = ManualClock()
    async with running_bot(fake, tmp_path, clock=clock) as bot:
        deps = bot.deps
        incident = await declare_incident(
            Declaration(title="Setup delayed", severity="sev2", declarer="U_ALICE"),
            db=deps.db,
            pack=deps.pack,
            clock=deps.clock,
            replica=deps.replica,
            calendar=deps.settings.calendar,
        )
        async with deps.db.transaction() as session:
            # Another replica is setting the channel up (and holds its lease for a while).
            await repo.save_setup(
                session=session,
                incident=incident,
                setup_owner="another-replica",
                setup_lease_until=clock() + timedelta(hours=2),
            )
            post = outbox.owe(session, incident, "Escalation: level 1", clock=deps.clock)
        await outbox.deliver([post], db=deps.db, slack=deps.slack, replica=deps.replica)
        clock.advance(60)
        for _ in range(3):
            await outbox.deliver_stalled(
                db=deps.db, slack=deps.slack, clock=deps.clock, replica=deps.replica
            )
        async with deps.db.reader() as session:
            waiting = await session.get(OutboxPost, post.id)
        assert (waiting.posted, waiting.attempts) == (False, 0)

        channel = fake.add_channel("inc-setup-delayed")
        async with deps.db.transaction() as session:
            fresh = await repo.get_incident(session=session, incident=incident.id)
            await repo.save_setup(session=session, incident=fresh, channel_id=channel.id)
        await outbox.deliver_stalled(
            db=deps.db, slack=deps.slack, clock=deps.clock, replica=deps.replica
        )
        await outbox.deliver_stalled(
            db=deps.db, slack=deps.slack, clock=deps.clock, replica=deps.replica
        )
        assert [m.text for m in fake.messages(channel.id)] == ["Escalation: level 1"]


async def test_a_thread_reply_whose_answer_was_lost_is_found_in_its_thread_not_posted_twice(
    fake, tmp_path
):
    from bot.services.posts import find_post, post_once
    from bot.slack_gateway import make_client
    from tests.harness import make_settings

    client = make_client(make_settings(fake, "sqlite:///unused.db"), retries=False)
    channel = fake.channel_by_name("incidents")
    parent = fake.post_as(channel.id, "U_ALICE", "Announcement")
    fake.fault_next("chat.postMessage", "drop")  # Slack posts it; its answer is lost
    _, ts = await post_once(
        client,
        channel=channel.id,
        incident_id="INC-1",
        kind="reply:1",
        text="Update: refund job paused",
        thread_ts=parent.ts,
    )
    replies = [m for m in fake.messages(channel.id) if m.text == "Update: refund job paused"]
    assert [m.ts for m in replies] == [ts]  # found in the thread, not posted again
    found = await find_post(
        client, channel=channel.id, incident_id="INC-1", kind="reply:1", oldest=None
    )
    assert found is None  # channel history alone does not hold replies
    if client.session is not None:
        await client.session.close()
