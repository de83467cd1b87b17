"""Duplicate deliveries, Slack faults, resumable setup, Slack outages, authorization."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

import bot.server
from bot.blocks.ids import ActionId, BlockId, CallbackId, step_block_id
from bot.services.channel_setup import set_up_incident
from bot.services.declare import Declaration, declare_incident
from bot.services.posts import post_metadata
from sandbox.slack import event_callback, slash_command_form
from storage import inbox, repo
from storage.db import Database
from storage.models import InboxItem
from tests.harness import running_bot
from tests.scenarios.test_truthful_changes import hold_rate_limits


def setting_up(bot):
    """What a channel setup needs, taken from the running bot."""
    d = bot.deps
    return dict(
        db=d.db, slack=d.slack, pack=d.pack, clock=d.clock, settings=d.settings, replica=d.replica
    )


FAST = str(Path(__file__).resolve().parents[1] / "packs" / "fast.yml")


async def incident_of(bot, channel):
    async with bot.db.session() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        return incident, [
            e.kind for e in await repo.timeline(session=session, incident=incident.id)
        ]


async def count_incidents(bot):
    async with bot.db.session() as session:
        return await repo.count_incidents(session=session)


async def settled(bot):
    """Wait until every delivery acknowledged so far has been handled."""
    await bot.fake.wait_for(lambda: not bot.intake.working)


async def eventually(check, timeout=5.0):
    """Poll an async condition until it holds; AssertionError on timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, f"condition not met within {timeout}s: {check!r}"
        await asyncio.sleep(0.01)


async def test_the_same_slash_command_delivered_twice_applies_once(bot):
    channel = await bot.declare()
    form = slash_command_form(bot.fake, text="note only once", channel_id=channel.id)
    body = urlencode(form).encode()
    for _ in range(2):
        status, _ = await bot.post(body, content_type="application/x-www-form-urlencoded")
        assert status == 200
    await settled(bot)  # both acknowledged: the first is handled, the second was dropped
    _, kinds = await incident_of(bot, channel)
    assert kinds.count("note_added") == 1
    assert sum("only once" in m.text for m in bot.fake.messages(channel.id)) == 1


async def test_event_retries_apply_once(bot):
    channel = await bot.declare()
    bot.fake.channels[channel.id].members.add("U_CAROL")
    event = {"type": "member_joined_channel", "user": "U_CAROL", "channel": channel.id}
    body = json.dumps(event_callback(bot.fake, event, event_id="Ev0001")).encode()
    await bot.post(body, content_type="application/json")
    status, _ = await bot.post(
        body,
        content_type="application/json",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert status == 200
    await settled(bot)  # both acknowledged: the first is handled, the retry was dropped
    assert sum(e.user == "U_CAROL" for e in bot.fake.ephemerals) == 1


async def test_a_resubmitted_modal_declares_once(bot):
    values = {
        BlockId.TITLE: {ActionId.TITLE: {"value": "Twice submitted"}},
        BlockId.SEVERITY: {ActionId.SEVERITY: {"selected_option": {"value": "sev2"}}},
        BlockId.PLAYBOOK: {ActionId.PLAYBOOK: {"selected_option": {"value": "__none__"}}},
    }
    for _ in range(2):
        status, body = await bot.submit(
            user="U_ALICE", callback_id=CallbackId.DECLARE, values=values, view_id="V_SAME"
        )
        assert (status, body) == (200, "")  # closed: no field errors
    # A submission's declaration commits before its ack: both answers are in, so is the count.
    assert await count_incidents(bot) == 1
    await bot.fake.wait_for(
        lambda: any(
            c.name.endswith("twice-submitted") and c.pins for c in bot.fake.channels.values()
        )
    )
    assert [c.name.endswith("twice-submitted") for c in bot.fake.channels.values()].count(True) == 1
    assert await count_incidents(bot) == 1


async def test_a_double_clicked_button_applies_once(bot):
    channel = await bot.declare("sev1 Bad deploy --playbook deploy-rollback")
    await bot.fake.wait_for(
        lambda: (
            sum(":clipboard:" in json.dumps(m.blocks) for m in bot.fake.messages(channel.id)) == 3
        )
    )
    action = {
        "action_id": ActionId.STEP_ASSIGN_ME,
        "action_ts": "1700000000.000001",
        "block_id": step_block_id("deploy-rollback", 0, 0),
        "value": "x",
    }
    message = next(
        m for m in bot.fake.messages(channel.id) if ":clipboard:" in json.dumps(m.blocks)
    )
    await asyncio.gather(
        *(
            bot.click(user="U_BOB", channel=channel.id, ts=message.ts, actions=[dict(action)])
            for _ in range(3)
        )
    )
    await settled(bot)  # all three acknowledged: one is handled, the repeats were dropped
    assert "assigned to <@U_BOB>" in json.dumps(
        bot.fake.find_message(channel.id, message.ts).blocks
    )
    _, kinds = await incident_of(bot, channel)
    assert kinds.count("step_assigned") == 1


async def test_rate_limits_are_honoured_and_already_in_channel_is_success(bot):
    held = hold_rate_limits(bot)
    held.lifted.set()  # Slack's limit passes at once: no real second to wait out
    bot.fake.rate_limit_next("conversations.create", retry_after=1)
    bot.fake.fail_next("conversations.invite", "already_in_channel")
    channel = await bot.declare("sev2 Throttled")
    assert [c.status for c in bot.fake.calls_to("conversations.create")] == [429, 200]
    assert held.retry_after == ["1"]  # waited out Slack's Retry-After (lifted at once here)
    incident, _ = await incident_of(bot, channel)
    assert incident.setup_state == "ready"


async def test_a_missing_channel_gets_a_clear_message_and_the_note_is_kept(bot):
    channel = await bot.declare()
    bot.fake.fail_next("chat.postMessage", "channel_not_found")
    _, _, url = await bot.command("note kept anyway", channel=channel.id)
    reply = (await bot.replies(url))[0]["text"]
    assert "can't find that channel" in reply
    _, kinds = await incident_of(bot, channel)
    assert "note_added" in kinds


async def test_setup_interrupted_after_the_channel_exists_resumes_without_a_second_channel(bot):
    bot.fake.fail_next("pins.add", "internal_error")
    status, _, _ = await bot.command("declare sev1 Half set up")
    await settled(bot)  # the declaration is handled: its setup stopped at the pin
    assert [c.fault or c.error for c in bot.fake.calls_to("pins.add")] == ["internal_error"]
    async with bot.db.session() as session:
        pending = await repo.list_unfinished_setup(session=session)
    assert [i.setup_state for i in pending] == ["channel"]
    await set_up_incident(pending[0].id, **setting_up(bot))
    channels = [c for c in bot.fake.channels.values() if c.name.endswith("half-set-up")]
    assert len(channels) == 1 and channels[0].pins
    assert len(bot.fake.calls_to("conversations.create")) == 1


async def test_channel_created_before_a_crash_is_adopted_not_duplicated(
    fake, tmp_path, monkeypatch
):
    # The bot died after Slack created the channel but before the ID was saved. (The
    # housekeeping loop is slowed down so that only this test's resume runs.)
    monkeypatch.setattr(bot.server, "HOUSEKEEPING_SECONDS", 3600)
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    await keep_an_old_delivery(url)
    async with running_bot(fake, tmp_path, database_url=url) as running:
        # The startup housekeeping pass has run when it forgets the old delivery (its last
        # step): from now on nothing resumes setups behind this test's back.
        await eventually(lambda: inbox_is_empty(running))
        d = running.deps
        record = await declare_incident(
            Declaration(title="Crashed mid create", severity="sev1", declarer="U_ALICE"),
            db=d.db,
            pack=d.pack,
            clock=d.clock,
            replica=d.replica,
            calendar=d.settings.calendar,
        )
        name = f"inc-{record.id[4:14].replace('-', '')}-001-crashed-mid-create"
        channel = fake.add_channel(name)
        channel.creator = fake.bot_user_id
        # …and it had even posted the card and the announcement (found by their metadata).
        card = fake.post_message(
            channel, fake.bot_user_id, "card", [], metadata=post_metadata(record.id, "card")
        )
        incidents = fake.channel_by_name("incidents")
        fake.post_message(
            incidents,
            fake.bot_user_id,
            "announced",
            [],
            metadata=post_metadata(record.id, "announcement"),
        )
        ready = await set_up_incident(record.id, **setting_up(running))
        assert ready.channel_id == channel.id
        assert not [c for c in fake.channels.values() if c.name.startswith(name + "-")]
        assert channel.pins == [card.ts]
        cards = [m for m in fake.messages(channel.id) if m.metadata == card.metadata]
        assert len(cards) == 1
        announced = [m for m in fake.messages(incidents.id) if m.metadata]
        assert len(announced) == 1


async def keep_an_old_delivery(url):
    """A migrated database holding one handled delivery from two days ago."""
    database = Database(url)
    try:
        await database.migrate()
        long_ago = datetime.now(UTC) - timedelta(days=2)
        async with database.transaction() as session:
            session.add(InboxItem(key="old", kind="event", received_at=long_ago, state="done"))
    finally:
        await database.dispose()


async def inbox_is_empty(bot):
    async with bot.db.reader() as session:
        return await inbox.count_by_state(session=session) == {}


def no_retry_waits(bot):
    """The bot's client still retries what it retries, without waiting real seconds first."""
    for handler in bot.client.retry_handlers:
        handler.interval_calculator = FixedValueRetryIntervalCalculator(0.0)


async def test_declaration_during_a_slack_outage_is_recorded_and_completed_later(
    fake, tmp_path, monkeypatch
):
    monkeypatch.setattr(bot.server, "HOUSEKEEPING_SECONDS", 0.05)
    async with running_bot(fake, tmp_path) as running:
        no_retry_waits(running)
        fake.down = True
        status, _, url = await running.command("declare sev1 Slack is down too")
        assert status == 200
        # Recorded, and the declarer is told its channel comes later: the setup gave up.
        await fake.wait_for(
            lambda: any("not ready yet" in p["text"] for p in fake.response_posts(url))
        )
        assert await count_incidents(running) == 1
        assert not [c for c in fake.channels.values() if c.name.endswith("slack-is-down-too")]

        async def slack_health(expected):
            async with running.http.get(f"{running.url}/healthz") as response:
                return (await response.json())["slack"] == expected

        await eventually(lambda: slack_health("unreachable"))
        fake.down = False
        # Housekeeping finishes the setup once Slack answers again.
        await fake.wait_for(
            lambda: any(
                c.name.endswith("slack-is-down-too") and c.pins for c in fake.channels.values()
            )
        )
        await eventually(lambda: slack_health("ok"))  # the next probe notices Slack is back


async def test_a_step_of_a_single_role_held_by_someone_else_is_refused(fake, tmp_path):
    async with running_bot(fake, tmp_path, playbook_pack=FAST) as running:
        channel = await running.declare("sev3 Drill --playbook quick")
        await running.command("role comms_lead <@U_CAROL>", channel=channel.id)
        await fake.wait_for(lambda: "U_CAROL" in channel.members)
        await fake.wait_for(
            lambda: any(":clipboard:" in json.dumps(m.blocks) for m in fake.messages(channel.id))
        )
        message = next(
            m for m in fake.messages(channel.id) if ":clipboard:" in json.dumps(m.blocks)
        )
        done = {
            "action_id": ActionId.STEP_DONE,
            "block_id": step_block_id("quick", 0, 1),
            "value": "quick|0|1",
        }
        await running.click(user="U_BOB", channel=channel.id, ts=message.ts, actions=[done])
        await fake.wait_for(
            lambda: any(
                "belongs to the Communications Lead" in e.text and "<@U_CAROL>" in e.text
                for e in fake.ephemerals
            )
        )
        await running.click(user="U_CAROL", channel=channel.id, ts=message.ts, actions=[dict(done)])
        await fake.wait_for(
            lambda: (
                "done by <@U_CAROL>" in json.dumps(fake.find_message(channel.id, message.ts).blocks)
            )
        )
        _, kinds = await incident_of(running, channel)
        assert kinds.count("step_completed") == 1
