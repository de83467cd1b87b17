"""The pinned card's buttons, through the fake Slack: each does what its command does, for
whoever the command lets do it, and refuses anyone else with the command's words."""

from __future__ import annotations

import json

from bot.blocks.ids import ActionId, BlockId, CallbackId
from storage import repo
from tests.harness import running_bot

FIELD = ActionId.CARD_FORM_FIELD


def card_control(bot, channel, action_id):
    [found] = [
        e
        for b in bot.card(channel).blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    ]
    return found


async def click(bot, channel, user, action_id, *, option=None):
    action = {"action_id": action_id, "block_id": "card_actions"}
    if option is not None:
        action.update(type="static_select", selected_option={"value": option})
    return await bot.click(user=user, channel=channel.id, ts=channel.pins[0], actions=[action])


async def refusal_to(bot, user, start):
    await bot.fake.wait_for(
        lambda: any(e.user == user and e.text.startswith(start) for e in bot.fake.ephemerals)
    )
    return [e.text for e in bot.fake.ephemerals if e.user == user and e.text.startswith(start)]


async def incident_of(bot, channel):
    async with bot.db.reader() as session:
        return await repo.get_by_channel(session=session, channel_id=channel.id)


def text_value(text):
    return {FIELD: {"type": "plain_text_input", "value": text}}


def option_value(value):
    return {FIELD: {"type": "static_select", "selected_option": {"value": value}}}


async def opened_form(bot, count):
    await bot.fake.wait_for(lambda: len(bot.fake.views) == count)
    view_id, stored = list(bot.fake.views.items())[-1]
    return view_id, stored.view


async def test_post_update_opens_a_form_posting_internal_or_customer_updates(fake, tmp_path):
    # Posting updates is anyone's to do, as with `/incident update`; the customer wording
    # check holds an update back with the same Post anyway / Cancel question.
    async with running_bot(fake, tmp_path, playbook_pack="quickmela") as bot:
        channel = await bot.declare("sev2 Payouts delayed")
        channel.members.add("U_BOB")  # the held update's question is shown in the channel
        await click(bot, channel, "U_BOB", ActionId.CARD_POST_UPDATE)
        view_id, view = await opened_form(bot, 1)
        assert view["callback_id"] == CallbackId.CARD_UPDATE
        [audience] = [b for b in view["blocks"] if b.get("block_id") == BlockId.UPDATE_AUDIENCE]
        assert [o["value"] for o in audience["element"]["options"]] == [
            "internal",
            "customer",
            "audience:buyer",
            "audience:seller",
            "audience:users",
        ]
        metadata = view["private_metadata"]

        async def submit(audience, text, view_id=None):
            values = {
                BlockId.UPDATE_AUDIENCE: option_value(audience),
                BlockId.UPDATE_TEXT: text_value(text),
            }
            return await bot.submit(
                user="U_BOB",
                callback_id=CallbackId.CARD_UPDATE,
                values=values,
                private_metadata=metadata,
                view_id=view_id,
            )

        status, body = await submit("internal", "")
        assert (status, json.loads(body)) == (
            200,
            {"response_action": "errors", "errors": {BlockId.UPDATE_TEXT: "Write the update."}},
        )
        assert await submit("internal", "Payouts resume at 14:00", view_id) == (200, "")
        # The same form submitted again (a double click) is posted once.
        assert await submit("internal", "Payouts resume at 14:00", view_id) == (200, "")
        assert await submit("audience:buyer", "A bug delays refunds") == (200, "")
        [warning] = await refusal_to(bot, "U_BOB", "This customer update uses wording")
        assert await submit("audience:seller", "Payouts are delayed") == (200, "")
        await fake.wait_for(
            lambda: (
                {
                    "Status update: Payouts resume at 14:00",
                    "Customer update (Sellers): Payouts are delayed",
                }
                <= {m.text for m in fake.messages(channel.id)}
            )
        )
        assert not any("refunds" in m.text for m in fake.messages(channel.id))
        async with bot.db.reader() as session:
            incident = await repo.get_by_channel(session=session, channel_id=channel.id)
            events = await repo.timeline(session=session, incident=incident.id)
        assert [(e.kind, e.actor, e.text) for e in events if "update" in e.kind] == [
            ("update_posted", "U_BOB", "Payouts resume at 14:00"),
            ("customer_update_posted", "U_BOB", "Payouts are delayed"),
        ]


async def test_change_severity_is_the_commander_s_and_refused_to_others(bot):
    channel = await bot.declare()  # U_ALICE declared: she is the commander
    select = card_control(bot, channel, ActionId.CARD_SEVERITY)
    assert [o["value"] for o in select["options"]] == ["sev2", "sev3", "sev4"]
    await click(bot, channel, "U_BOB", ActionId.CARD_SEVERITY, option="sev2")
    assert await refusal_to(bot, "U_BOB", "Only") == [
        "Only the incident commander (<@U_ALICE>) or an incident admin can change the "
        "severity. Ask <@U_ALICE> to do it, or to hand over with `/incident commander <@U_BOB>`."
    ]
    assert (await incident_of(bot, channel)).severity == "sev1"
    await click(bot, channel, "U_ALICE", ActionId.CARD_SEVERITY, option="sev2")
    await bot.card_shows(channel, "SEV-2: Refunds executed twice")
    assert (await incident_of(bot, channel)).severity == "sev2"


async def test_take_a_role_gives_a_free_role_to_the_clicker_and_not_a_held_one(bot):
    channel = await bot.declare()
    select = card_control(bot, channel, ActionId.CARD_TAKE_ROLE)
    assert [o["value"] for o in select["options"]] == ["scribe", "comms_lead", "tech_lead"]
    await click(bot, channel, "U_BOB", ActionId.CARD_TAKE_ROLE, option="scribe")
    await bot.card_shows(channel, "*Scribe*\\n<@U_BOB>")
    assert [o["value"] for o in card_control(bot, channel, ActionId.CARD_TAKE_ROLE)["options"]] == [
        "comms_lead",
        "tech_lead",
    ]
    # Carol clicks the card as it was before Bob took it: Scribe is his now.
    await click(bot, channel, "U_CAROL", ActionId.CARD_TAKE_ROLE, option="scribe")
    assert await refusal_to(bot, "U_CAROL", "Only") == [
        "Only <@U_BOB> (who holds it), the incident commander (<@U_ALICE>) or an incident "
        "admin can assign Scribe. You can take a role nobody holds with "
        "`/incident role &lt;role&gt; <@U_CAROL>`."
    ]
    await bot.card_shows(channel, "*Scribe*\\n<@U_BOB>")


async def test_resolve_opens_a_three_field_form_for_the_commander_only(bot):
    channel = await bot.declare()
    await click(bot, channel, "U_BOB", ActionId.CARD_RESOLVE)
    assert await refusal_to(bot, "U_BOB", "Only") == [
        "Only the incident commander (<@U_ALICE>) or an incident admin can resolve the "
        "incident. Ask <@U_ALICE> to do it, or to hand over with `/incident commander <@U_BOB>`."
    ]
    assert bot.fake.views == {}
    await click(bot, channel, "U_ALICE", ActionId.CARD_RESOLVE)
    view_id, view = await opened_form(bot, 1)
    assert view["callback_id"] == CallbackId.CARD_RESOLVE
    values = {
        BlockId.RESOLUTION: text_value("Rolled back 4.2"),
        BlockId.ROOT_CAUSE: text_value("A retry storm\nafter the deploy"),
        BlockId.PREVENTION: text_value("- idempotency keys\n- alert on duplicates"),
    }
    status, body = await bot.submit(
        user="U_ALICE",
        callback_id=CallbackId.CARD_RESOLVE,
        values=values,
        private_metadata=view["private_metadata"],
        view_id=view_id,
    )
    assert (status, body) == (200, "")
    await bot.card_shows(
        channel,
        "*Resolution*\\nRolled back 4.2\\n*Root cause*\\nA retry storm / after the deploy\\n"
        "*Preventive actions*\\n• idempotency keys\\n• alert on duplicates",
    )
    assert not [b for b in bot.card(channel).blocks if b["type"] == "actions"]
    assert (await incident_of(bot, channel)).status == "resolved"
