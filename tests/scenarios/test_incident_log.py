"""Filling in the incident log from Slack (`/incident log set`, `/incident log edit`) and the
log as posted: Slack mrkdwn, names instead of mentions."""

from __future__ import annotations

import json

from bot.blocks.ids import ActionId, CallbackId
from storage import repo
from tests.harness import running_bot

FIELDS = (
    "`Detection Method`, `Affected Services`, `User Impact`, `Initial Response`, `Lessons Learned`"
)


async def log_events(bot, channel):
    async with bot.db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        events = await repo.timeline(session=session, incident=incident.id)
    return [e for e in events if e.kind == "log_field_set"]


async def wait_for_message(bot, channel, start):
    await bot.fake.wait_for(
        lambda: any(m.text.startswith(start) for m in bot.fake.messages(channel.id))
    )
    return [m.text for m in bot.fake.messages(channel.id) if m.text.startswith(start)]


async def test_log_set_fills_fields_the_latest_wins_and_the_posted_log_is_mrkdwn(fake, tmp_path):
    async with running_bot(fake, tmp_path, playbook_pack="prod-100k") as bot:
        channel = await bot.declare("p1 Checkout errors")
        await bot.command(
            "log set user impact: 40 buyers saw errors", user="U_BOB", channel=channel.id
        )
        [line] = await wait_for_message(bot, channel, ":memo:")
        assert line == (
            ":memo: <@U_BOB> filled in the incident log:\n• *User Impact*: 40 buyers saw errors"
        )
        await bot.command("log set Detection Method: User Report", channel=channel.id)
        await bot.command("log set USERS IMPACTED: 45 buyers", channel=channel.id)
        await bot.fake.wait_for(
            lambda: len([m for m in fake.messages(channel.id) if m.text.startswith(":memo:")]) == 3
        )
        events = await log_events(bot, channel)
        assert [(e.actor, e.data) for e in events] == [
            ("U_BOB", {"field": "impact", "text": "40 buyers saw errors", "by": "U_BOB"}),
            ("U_ALICE", {"field": "detection_method", "text": "User Report", "by": "U_ALICE"}),
            ("U_ALICE", {"field": "impact", "text": "45 buyers", "by": "U_ALICE"}),
        ]

        await bot.command("log", channel=channel.id)
        [posted] = await wait_for_message(bot, channel, "*Incident log:")
        lines = posted.splitlines()
        assert "*Detection Method:* User Report" in lines
        assert "*User Impact:* 45 buyers" in lines  # the latest value
        assert "*Lessons Learned:* _(fill in)_" in lines
        assert "*Timeline (UTC)*" in lines
        assert any(
            line.endswith(" · Bob · Log field set: User Impact: 40 buyers saw errors")
            for line in lines
        )
        # Slack mrkdwn, and nobody is pinged: names, not mentions.
        assert "**" not in posted and not any(line.startswith("#") for line in lines)
        assert "<@" not in posted and "<!" not in posted


async def test_log_set_with_an_unknown_field_or_no_text_records_nothing(fake, tmp_path):
    async with running_bot(fake, tmp_path, playbook_pack="prod-100k") as bot:
        channel = await bot.declare("p2 Checkout errors")  # P2: nothing escalates at once
        before = len(fake.messages(channel.id))
        _, _, url = await bot.command("log set weather: sunny", channel=channel.id)
        _, _, empty = await bot.command("log set lessons learned:  ", channel=channel.id)
        [unknown] = await bot.replies(url)
        [no_text] = await bot.replies(empty)
        assert unknown["response_type"] == "ephemeral"
        assert unknown["text"] == (
            f"`weather` is not a field of this incident log. Fields you can fill in: {FIELDS}. "
            "Usage: `/incident log set &lt;field&gt;: &lt;text&gt;`."
        )
        assert no_text["text"] == (
            "Give the text for Lessons Learned: `/incident log set Lessons Learned: &lt;text&gt;`."
        )
        assert await log_events(bot, channel) == []
        assert len(fake.messages(channel.id)) == before


def form_values(view, **changes):
    """The state Slack sends back: every input as shown, with `changes` (by field key)."""
    values = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        key = block["block_id"].split("|", 1)[1]
        text = changes.get(key, block["element"].get("initial_value"))
        values[block["block_id"]] = {
            ActionId.LOG_FIELD: {"type": "plain_text_input", "value": text}
        }
    return values


async def test_log_edit_opens_a_prefilled_form_and_saves_only_what_changed(fake, tmp_path):
    async with running_bot(fake, tmp_path, playbook_pack="prod-100k") as bot:
        channel = await bot.declare("p1 Checkout errors")
        await bot.command("log set initial response: rolled back", channel=channel.id)
        await wait_for_message(bot, channel, ":memo:")
        await bot.command("log edit", user="U_CAROL", channel=channel.id)
        await fake.wait_for(lambda: len(fake.views) == 1)
        view_id, stored = next(iter(fake.views.items()))
        view = stored.view
        assert view["callback_id"] == CallbackId.LOG_EDIT
        inputs = [b for b in view["blocks"] if b["type"] == "input"]
        assert [b["label"]["text"] for b in inputs] == [
            "Detection Method",
            "Affected Services",
            "User Impact",
            "Initial Response",
            "Lessons Learned",
        ]
        assert [b["element"].get("initial_value") for b in inputs] == [
            None,
            None,
            None,
            "rolled back",
            None,
        ]
        # Meanwhile someone sets a field the form shows empty: the form must not undo it.
        await bot.command("log set user impact: 40 buyers", channel=channel.id)
        await fake.wait_for(
            lambda: len([m for m in fake.messages(channel.id) if m.text.startswith(":memo:")]) == 2
        )

        values = form_values(view, lessons_learned="Alert on refund rate", initial_response="")
        status, body = await bot.submit(
            user="U_CAROL",
            callback_id=CallbackId.LOG_EDIT,
            values=values,
            private_metadata=view["private_metadata"],
            view_id=view_id,
        )
        assert (status, body) == (200, "")  # the form closes: saved
        events = await log_events(bot, channel)
        assert [(e.actor, e.data["field"], e.data["text"]) for e in events] == [
            ("U_ALICE", "initial_response", "rolled back"),
            ("U_ALICE", "impact", "40 buyers"),
            ("U_CAROL", "initial_response", ""),
            ("U_CAROL", "lessons_learned", "Alert on refund rate"),
        ]
        lines = await wait_for_message(bot, channel, ":memo: <@U_CAROL>")
        assert lines == [
            ":memo: <@U_CAROL> filled in the incident log:\n"
            "• *Initial Response*: _cleared_\n"
            "• *Lessons Learned*: Alert on refund rate"
        ]
        # The same form submitted again is recorded once.
        status, body = await bot.submit(
            user="U_CAROL",
            callback_id=CallbackId.LOG_EDIT,
            values=values,
            private_metadata=view["private_metadata"],
            view_id=view_id,
        )
        assert (status, body) == (200, "")
        assert len(await log_events(bot, channel)) == 4
        assert json.loads(view["private_metadata"])["incident"].startswith("INC-")
