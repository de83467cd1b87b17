"""Refuse before saving, tell the truth after saving, and never act on another incident."""

from __future__ import annotations

import asyncio
import json

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler

from bot.blocks.ids import ActionId, step_block_id
from bot.services import display
from storage import repo
from storage.models import Draft
from tests.scenarios.test_steps_and_comms import phases


def showing(bot):
    """What redrawing displays needs, taken from the running bot."""
    d = bot.deps
    return dict(db=d.db, slack=d.slack, pack=d.pack, clock=d.clock, replica=d.replica)


async def state(bot, channel):
    async with bot.db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        kinds = [e.kind for e in await repo.timeline(session=session, incident=incident.id)]
        holders = await repo.role_holders(session=session, incident=incident.id)
    return incident, kinds, holders


async def reply_to(bot, text, channel, user="U_ALICE"):
    _, _, url = await bot.command(text, channel=channel.id, user=user)
    return (await bot.replies(url))[0]["text"]


def with_other_people(fake):
    fake.add_user("U_ROBOT", "deploybot", real_name="Deploy Bot", is_bot=True)
    fake.add_user("U_GONE", "gone", real_name="Gone Person")
    fake.users["U_GONE"].deleted = True


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("UBOT", "can't be the incident commander myself"),
        ("U_ROBOT", "is a bot"),
        ("U_GONE", "deactivated"),
        ("U_NOBODY", "can't find"),
    ],
)
async def test_command_is_never_handed_to_a_bot_or_a_missing_person(bot, target, words):
    with_other_people(bot.fake)
    channel = await bot.declare()
    topic = channel.topic
    answer = await reply_to(bot, f"commander <@{target}>", channel)
    assert words in answer
    incident, kinds, _ = await state(bot, channel)
    assert incident.commander_id == "U_ALICE"
    assert kinds == ["declared"]
    assert channel.topic == topic
    assert not bot.fake.calls_to("conversations.invite")[1:]  # only the setup's invitation


@pytest.mark.parametrize("target", ["UBOT", "U_ROBOT", "U_GONE", "U_NOBODY"])
async def test_roles_are_never_given_to_a_bot_or_a_missing_person(bot, target):
    with_other_people(bot.fake)
    channel = await bot.declare()
    answer = await reply_to(bot, f"role scribe <@{target}>", channel)
    assert "Scribe" in answer
    _, kinds, holders = await state(bot, channel)
    assert kinds == ["declared"] and "scribe" not in holders


async def test_a_handover_slack_half_refuses_is_saved_told_and_shown_later(bot):
    channel = await bot.declare()
    bot.fake.fail_next("conversations.setTopic", "internal_error", times=3)
    answer = await reply_to(bot, "commander <@U_BOB>", channel)
    assert "Saved: <@U_BOB> is the incident commander" in answer
    assert "channel topic" in answer
    incident, kinds, _ = await state(bot, channel)
    assert incident.commander_id == "U_BOB" and kinds.count("commander_changed") == 1
    assert "U_BOB" in channel.members
    assert "<@U_ALICE>" in channel.topic  # Slack refused the edit…
    assert incident.shown_revision < incident.revision
    while not channel.topic.endswith("<@U_BOB>"):  # …and housekeeping redraws until it agrees
        await display.catch_up_displays(**showing(bot))
    incident, _, _ = await state(bot, channel)
    assert incident.shown_revision == incident.revision
    await bot.card_shows(channel, "<@U_BOB>")


async def test_post_anyway_with_another_incidents_draft_posts_nothing(bot):
    first = await bot.declare("sev2 First incident")
    second = await bot.declare("sev2 Second incident")
    first_incident, _, _ = await state(bot, first)
    draft = Draft(
        id="d" * 16,
        incident_id=first_incident.id,
        author="U_ALICE",
        text="We apologise for the inconvenience",
        found="inconvenience",
        created_at=first_incident.declared_at,
    )
    async with bot.db.transaction() as session:
        session.add(draft)
    before = len(bot.fake.messages(second.id))
    await bot.click(
        user="U_ALICE",
        channel=second.id,
        ts=bot.card(second).ts,
        actions=[{"action_id": ActionId.POST_ANYWAY, "block_id": "b", "value": draft.id}],
    )
    await bot.fake.wait_for(
        lambda: any("not one of" in e.text for e in bot.fake.ephemerals if e.channel == second.id)
    )
    assert len(bot.fake.messages(second.id)) == before
    assert not any("apologise" in m.text for m in bot.fake.messages(first.id))
    _, kinds, _ = await state(bot, second)
    assert "customer_update_posted" not in kinds


async def test_a_step_click_naming_another_incidents_playbook_changes_nothing(bot):
    with_playbook = await bot.declare("sev1 Bad deploy --playbook deploy-rollback")
    await bot.fake.wait_for(lambda: len(phases(bot, with_playbook)) == 3)
    without = await bot.declare("sev2 Unrelated thing")
    action = {
        "action_id": ActionId.STEP_DONE,
        "block_id": step_block_id("deploy-rollback", 0, 0),
        "value": "deploy-rollback|0|0",
    }
    await bot.click(user="U_ALICE", channel=without.id, ts=bot.card(without).ts, actions=[action])
    await bot.fake.wait_for(
        lambda: any("not part of a playbook running" in e.text for e in bot.fake.ephemerals)
    )
    for channel in (with_playbook, without):
        _, kinds, _ = await state(bot, channel)
        assert "step_completed" not in kinds
    assert "done by" not in json.dumps([m.blocks for m in phases(bot, with_playbook)])


class HeldRateLimit(AsyncRateLimitErrorRetryHandler):
    """The client's retry of a 429, with Slack's rate limit lifted when the test says so
    instead of after Retry-After real seconds."""

    def __init__(self, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.lifted = asyncio.Event()
        self.retry_after: list[str] = []  # the Retry-After of each 429 waited out

    async def prepare_for_next_attempt_async(self, *, state, request, response=None, error=None):
        state.next_attempt_requested = True
        self.retry_after.append(response.headers["Retry-After"][0])
        await self.lifted.wait()
        state.increment_current_attempt()


def hold_rate_limits(bot) -> HeldRateLimit:
    """Swap the bot client's own rate-limit retry handler for a held one (same retries)."""
    handlers = bot.client.retry_handlers
    [index] = [i for i, h in enumerate(handlers) if isinstance(h, AsyncRateLimitErrorRetryHandler)]
    held = HeldRateLimit(handlers[index].max_retry_count)
    handlers[index] = held
    return held


async def test_commands_work_in_a_new_channel_while_its_pin_is_rate_limited(bot):
    held = hold_rate_limits(bot)
    bot.fake.rate_limit_next("pins.add", retry_after=30)
    await bot.command("declare sev2 Pin is slow")
    await bot.fake.wait_for(lambda: bot.fake.calls_to("pins.add"))
    channel = next(c for c in bot.fake.channels.values() if c.name.endswith("pin-is-slow"))
    assert not channel.pins  # setup is still waiting out Slack's rate limit…
    _, _, url = await bot.command("note works already", channel=channel.id)
    await bot.fake.wait_for(
        lambda: any("works already" in m.text for m in bot.fake.messages(channel.id))
    )
    assert not [p for p in bot.fake.response_posts(url) if "only works inside" in str(p)]
    _, kinds, _ = await state(bot, channel)
    assert "note_added" in kinds
    assert not channel.pins  # …all the while
    held.lifted.set()  # the rate limit passes: the setup pins its card after all
    await bot.fake.wait_for(lambda: channel.pins)
    assert [c.status for c in bot.fake.calls_to("pins.add")] == [429, 200]
    assert held.retry_after == ["30"]


async def test_a_card_that_is_gone_is_reported_once_and_not_retried_forever(bot):
    channel = await bot.declare()
    card = bot.card(channel)
    card.deleted = True  # someone deleted the pinned card
    answer = await reply_to(bot, "severity sev2", channel)
    assert "Saved: severity is SEV-2" in answer
    assert "can no longer show the pinned card (message_not_found)" in answer
    assert "keep retrying" not in answer
    incident, _, _ = await state(bot, channel)
    assert incident.shown_revision == incident.revision  # nothing left to catch up
    assert await display.catch_up_displays(**showing(bot)) == 0


async def test_a_step_is_never_assigned_to_a_bot(bot):
    channel = await bot.declare("sev1 Bad deploy --playbook deploy-rollback")
    await bot.fake.wait_for(lambda: len(phases(bot, channel)) == 3)
    message = phases(bot, channel)[0]
    action = {
        "action_id": ActionId.STEP_ASSIGN,
        "block_id": step_block_id("deploy-rollback", 0, 0),
        "selected_user": "UBOT",
    }
    await bot.click(user="U_ALICE", channel=channel.id, ts=message.ts, actions=[action])
    await bot.fake.wait_for(
        lambda: any("can't be a step's assignee myself" in e.text for e in bot.fake.ephemerals)
    )
    _, kinds, _ = await state(bot, channel)
    assert "step_assigned" not in kinds
