"""Issue 12's Done-when: a whole incident run from Slack without typing a subcommand:
declare from a message, take a role, post an update, pin evidence, add a follow-up, resolve."""

from __future__ import annotations

from bot.blocks.ids import ActionId, BlockId, CallbackId
from storage import repo
from tests.scenarios.test_card_buttons import click, opened_form, text_value

FIELD = ActionId.CARD_FORM_FIELD


async def test_a_whole_incident_without_a_subcommand(bot):
    fake = bot.fake
    general = fake.channel_by_name("general")
    report = fake.post_as(general.id, "U_CAROL", "Refunds executed twice for order 4411")
    # 1. Declare from the message (shortcut → the pre-filled form).
    await bot.shortcut(
        CallbackId.DECLARE_FROM_MESSAGE, user="U_ALICE", channel=general.id, ts=report.ts
    )
    _, form = await opened_form(bot, 1)
    title = form["blocks"][0]["element"]["initial_value"]
    values = {
        BlockId.TITLE: {ActionId.TITLE: {"type": "plain_text_input", "value": title}},
        BlockId.SEVERITY: {
            ActionId.SEVERITY: {"type": "static_select", "selected_option": {"value": "sev2"}}
        },
        BlockId.COMMANDER: {ActionId.COMMANDER: {"type": "users_select", "selected_user": None}},
    }
    await bot.submit(
        user="U_ALICE",
        callback_id=CallbackId.DECLARE,
        values=values,
        private_metadata=form["private_metadata"],
    )
    await fake.wait_for(lambda: [c for c in fake.channels.values() if c.pins])
    channel = next(c for c in fake.channels.values() if c.pins)
    await bot.setup_finished(channel.id)
    channel.members |= {"U_BOB"}
    # 2. Bob takes a role from the card.
    await click(bot, channel, "U_BOB", ActionId.CARD_TAKE_ROLE, option="comms_lead")
    await bot.card_shows(channel, "<@U_BOB>")
    # 3. An internal update from the card's form.
    await click(bot, channel, "U_ALICE", ActionId.CARD_POST_UPDATE)
    _, form = await opened_form(bot, 2)
    await bot.submit(
        user="U_ALICE",
        callback_id=CallbackId.CARD_UPDATE,
        values={
            BlockId.UPDATE_AUDIENCE: {
                FIELD: {"type": "static_select", "selected_option": {"value": "internal"}}
            },
            BlockId.UPDATE_TEXT: text_value("Refund job paused"),
        },
        private_metadata=form["private_metadata"],
    )
    # 4. Evidence: 📌 on a message in the channel.
    graph = fake.post_as(channel.id, "U_BOB", "Refund queue graph", files=["queue.png"])
    await bot.event(fake.react(channel.id, graph.ts, "U_BOB"))
    # 5. A follow-up from the card's form.
    await click(bot, channel, "U_ALICE", ActionId.CARD_FOLLOW_UP)
    _, form = await opened_form(bot, 3)
    assert form["callback_id"] == CallbackId.CARD_FOLLOW_UP
    await bot.submit(
        user="U_ALICE",
        callback_id=CallbackId.CARD_FOLLOW_UP,
        values={
            BlockId.FOLLOW_UP_TEXT: text_value("Add an idempotency key to refunds"),
            BlockId.FOLLOW_UP_OWNER: {FIELD: {"type": "users_select", "selected_user": "U_BOB"}},
            BlockId.FOLLOW_UP_DUE: {FIELD: {"type": "datepicker", "selected_date": None}},
        },
        private_metadata=form["private_metadata"],
    )
    # 6. Resolve from the card's form.
    await click(bot, channel, "U_ALICE", ActionId.CARD_RESOLVE)
    _, form = await opened_form(bot, 4)
    await bot.submit(
        user="U_ALICE",
        callback_id=CallbackId.CARD_RESOLVE,
        values={
            BlockId.RESOLUTION: text_value("Reversed the duplicate refunds"),
            BlockId.ROOT_CAUSE: text_value("Retry without idempotency"),
            BlockId.PREVENTION: text_value(""),
        },
        private_metadata=form["private_metadata"],
    )

    async def kinds():
        async with bot.db.reader() as session:
            incident = await repo.get_by_channel(session=session, channel_id=channel.id)
            return [e.kind for e in await repo.timeline(session=session, incident=incident.id)]

    wanted = [
        "declared_from_message",
        "role_assigned",
        "update_posted",
        "message_pinned",
        "follow_up_added",
        "resolved",
    ]
    await fake.wait_for(
        lambda: "resolved" in fake.card_text(channel) if hasattr(fake, "card_text") else True
    )
    for _ in range(100):
        got = await kinds()
        if all(k in got for k in wanted):
            break
        await fake.next_change(0.05)
    got = await kinds()
    # Each step once (the pinned message keeps its own time, so it sorts by that).
    assert sorted(k for k in got if k in wanted) == sorted(wanted)
