"""Messages into incidents through the fake Slack: 📌, the two message shortcuts."""

import asyncio
from datetime import UTC, datetime, timedelta

from bot.blocks.ids import ActionId, BlockId, CallbackId
from storage import repo
from tests.harness import running_bot


def posted_at(ts):
    seconds, fraction = ts.split(".")
    return datetime.fromtimestamp(int(seconds), UTC) + timedelta(microseconds=int(fraction))


async def events_of(bot, channel_id, kind):
    async with bot.db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel_id)
        events = await repo.timeline(session=session, incident=incident.id)
    return [e for e in events if e.kind == kind]


async def settled(bot):
    await bot.fake.wait_for(lambda: not bot.intake.working)


async def test_pinned_by_two_people_twice_is_one_entry_with_the_message_itself(bot):
    fake = bot.fake
    channel = await bot.declare()
    message = fake.post_as(channel.id, "U_ALICE", "Stripe answers 500 since 14:02 <!channel>")
    link = fake.permalink(channel.id, message.ts)
    channel.members |= {"U_BOB", "U_CAROL"}
    bob, carol = (fake.react(channel.id, message.ts, who) for who in ("U_BOB", "U_CAROL"))
    answers = await asyncio.gather(bot.event(bob), bot.event(carol))
    assert [status for status, _ in answers] == [200, 200]
    await settled(bot)
    reads = len(fake.calls_to("conversations.history"))
    status, _ = await bot.event(fake.react(channel.id, message.ts, "U_BOB"))  # again
    assert status == 200
    await settled(bot)
    assert len(fake.calls_to("conversations.history")) == reads  # known: Slack not asked
    [entry] = await events_of(bot, channel.id, "message_pinned")
    assert entry.at == posted_at(message.ts)
    assert entry.actor == "U_ALICE"
    assert entry.text == f"Stripe answers 500 since 14:02 <!channel> · <{link}>"
    assert entry.data["permalink"] == link and entry.data["via"] == "reaction"
    assert entry.data["added_by"] in ("U_BOB", "U_CAROL")
    # Every delivery is done; only the one that added the entry tells its reactor.
    await fake.wait_for(lambda: any("to the timeline" in e.text for e in fake.ephemerals))
    told = [e for e in fake.ephemerals if "to the timeline" in e.text]
    assert len(told) == 1 and told[0].user == entry.data["added_by"]
    assert "&lt;!channel&gt;" in told[0].text and "<!channel>" not in told[0].text


async def test_a_pinned_file_keeps_its_link_and_other_reactions_do_nothing(bot):
    fake = bot.fake
    channel = await bot.declare()
    message = fake.post_as(channel.id, "U_BOB", "Error graph", files=["errors.png"])
    file_link = message.files[0]["permalink"]
    elsewhere = fake.post_as(fake.channel_by_name("general").id, "U_BOB", "lunch?")
    for event in (
        fake.react(channel.id, message.ts, "U_CAROL", "eyes"),
        fake.react(elsewhere.channel, elsewhere.ts, "U_CAROL"),
        fake.react(channel.id, message.ts, "U_CAROL"),
    ):
        assert (await bot.event(event))[0] == 200
    await settled(bot)
    [entry] = await events_of(bot, channel.id, "message_pinned")
    assert entry.data["files"] == [{"name": "errors.png", "url": file_link}]
    assert entry.text.endswith(f" · 📎 errors.png <{file_link}>")


async def test_the_shortcut_in_an_incident_channel_adds_at_once(bot):
    fake = bot.fake
    channel = await bot.declare()
    message = fake.post_as(channel.id, "U_CAROL", "Rolled back build 4512")
    for _ in range(2):
        status, _, payload = await bot.shortcut(
            CallbackId.ADD_TO_TIMELINE, user="U_BOB", channel=channel.id, ts=message.ts
        )
        assert status == 200
        [reply] = await bot.replies(payload["response_url"])
    assert reply["response_type"] == "ephemeral"
    assert "is already in the timeline of *INC-" in reply["text"]
    [entry] = await events_of(bot, channel.id, "message_pinned")
    assert (entry.actor, entry.data["added_by"]) == ("U_CAROL", "U_BOB")
    assert entry.data["via"] == "shortcut"
    assert entry.at == posted_at(message.ts)
    assert fake.views == {}


async def test_the_shortcut_elsewhere_asks_which_incident_then_adds(bot):
    fake = bot.fake
    channel = await bot.declare()
    general = fake.channel_by_name("general")
    message = fake.post_as(general.id, "U_DAVE", "Customers report double charges")
    status, _, payload = await bot.shortcut(
        CallbackId.ADD_TO_TIMELINE, user="U_BOB", channel=general.id, ts=message.ts
    )
    assert status == 200
    await fake.wait_for(lambda: len(fake.views) == 1)
    view = next(iter(fake.views.values()))
    assert view.view["callback_id"] == CallbackId.PICK_INCIDENT
    [option] = view.view["blocks"][1]["element"]["options"]
    incident_id = option["value"]
    assert option["text"]["text"] == f"{incident_id} · Refunds executed twice"
    assert await events_of(bot, channel.id, "message_pinned") == []
    picked = {"type": "static_select", "selected_option": {"value": incident_id}}
    status, body = await bot.submit(
        user="U_BOB",
        callback_id=CallbackId.PICK_INCIDENT,
        values={BlockId.INCIDENT: {ActionId.PICK_INCIDENT: picked}},
        private_metadata=view.view["private_metadata"],
        view_id=view.id,
    )
    assert (status, body) == (200, "")
    [entry] = await events_of(bot, channel.id, "message_pinned")
    assert (entry.actor, entry.data["channel"]) == ("U_DAVE", general.id)
    assert entry.data["ts"] == message.ts
    assert entry.data["permalink"] == fake.permalink(general.id, message.ts)
    [reply] = await bot.replies(payload["response_url"])
    assert reply["text"].startswith("📌 Added <@U_DAVE>'s message of ")
    assert f"to the timeline of *{incident_id}*" in reply["text"]


async def test_declaring_from_a_message_prefills_the_form_and_records_the_source(bot):
    fake = bot.fake
    general = fake.channel_by_name("general")
    text = "*Checkout* returns 502 for <https://shop.example|everyone>\nSince 14:00, see the graph"
    message = fake.post_as(general.id, "U_CAROL", text)
    link = fake.permalink(general.id, message.ts)
    status, _, _ = await bot.shortcut(
        CallbackId.DECLARE_FROM_MESSAGE, user="U_ALICE", channel=general.id, ts=message.ts
    )
    assert status == 200
    await fake.wait_for(lambda: len(fake.views) == 1)
    view = next(iter(fake.views.values())).view
    assert view["callback_id"] == CallbackId.DECLARE
    title = view["blocks"][0]["element"]["initial_value"]
    description = view["blocks"][3]["element"]["initial_value"]
    assert title == "Checkout returns 502 for everyone"
    assert description == f"{text}\n\nDeclared from a message: {link}"
    values = {
        BlockId.TITLE: {ActionId.TITLE: {"type": "plain_text_input", "value": title}},
        BlockId.SEVERITY: {
            ActionId.SEVERITY: {"type": "static_select", "selected_option": {"value": "sev2"}}
        },
        BlockId.DESCRIPTION: {
            ActionId.DESCRIPTION: {"type": "plain_text_input", "value": description}
        },
        BlockId.COMMANDER: {ActionId.COMMANDER: {"type": "users_select", "selected_user": None}},
    }
    status, body = await bot.submit(
        user="U_ALICE",
        callback_id=CallbackId.DECLARE,
        values=values,
        private_metadata=view["private_metadata"],
    )
    assert (status, body) == (200, "")
    await fake.wait_for(
        lambda: any(e.user == "U_ALICE" and "Declared" in e.text for e in fake.ephemerals)
    )
    channel = next(c for c in fake.channels.values() if c.name.startswith("inc-"))
    async with bot.db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        events = await repo.timeline(session=session, incident=incident.id)
    assert [e.kind for e in events] == ["declared", "declared_from_message"]
    source = events[1]
    assert (source.actor, source.at) == ("U_ALICE", incident.declared_at)
    assert {k: source.data[k] for k in ("channel", "ts", "permalink")} == {
        "channel": general.id,
        "ts": message.ts,
        "permalink": link,
    }
    assert incident.description == description


async def test_two_replicas_pinned_at_once_make_one_entry(fake, tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    async with running_bot(fake, tmp_path, database_url=url) as one:
        async with running_bot(fake, tmp_path, database_url=url) as two:
            channel = await one.declare()
            message = fake.post_as(channel.id, "U_ALICE", "Disk full on db-2")
            channel.members |= {"U_BOB", "U_CAROL"}
            bob, carol = (fake.react(channel.id, message.ts, u) for u in ("U_BOB", "U_CAROL"))
            await asyncio.gather(one.event(bob), two.event(carol))
            await settled(one)
            await settled(two)
            assert len(await events_of(one, channel.id, "message_pinned")) == 1
