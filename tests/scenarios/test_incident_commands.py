"""Subcommands inside an incident channel: command, roles, severity, status, updates, resolve."""

import asyncio
import json
import re
from pathlib import Path

from storage import repo


async def timeline_kinds(bot, channel):
    async with bot.db.session() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        return incident, [e for e in await repo.timeline(session=session, incident=incident.id)]


async def reply(bot, text, *, user="U_ALICE", channel=None):
    status, _, url = await bot.command(text, user=user, channel=channel.id if channel else None)
    assert status == 200
    return (await bot.replies(url))[0]["text"]


async def test_handover_edits_topic_and_card_in_place_and_records_it(bot):
    channel = await bot.declare()
    card_ts = channel.pins[0]
    await bot.command("commander <@U_BOB|bob>", channel=channel.id)
    await bot.fake.wait_for(lambda: "<@U_BOB>" in channel.topic)
    await bot.card_shows(channel, "*Commander*\\n<@U_BOB>")
    card = bot.card(channel)
    assert card.ts == card_ts and card.edits >= 1
    assert channel.topic == "SEV-1 · Investigating · Commander: <@U_BOB>"
    await bot.fake.wait_for(
        lambda: any("handed command" in m.text for m in bot.fake.messages(channel.id))
    )
    assert "U_BOB" in channel.members
    incident, events = await timeline_kinds(bot, channel)
    assert incident.commander_id == "U_BOB"
    assert events[-1].kind == "commander_changed" and events[-1].data["new"] == "U_BOB"


async def test_non_commander_is_refused_and_told_who_commands(bot):
    channel = await bot.declare()
    text = await reply(bot, "commander <@U_CAROL|carol>", user="U_BOB", channel=channel)
    assert "<@U_ALICE>" in text and "/incident commander <@U_BOB>" in text
    incident, events = await timeline_kinds(bot, channel)
    assert incident.commander_id == "U_ALICE"
    assert [e.kind for e in events] == ["declared"]
    assert channel.topic.endswith("<@U_ALICE>")


async def test_admin_can_override_the_commander(bot):
    channel = await bot.declare()
    await bot.command("commander <@U_CAROL>", user="U_DAVE", channel=channel.id)
    await bot.fake.wait_for(lambda: channel.topic.endswith("<@U_CAROL>"))


async def test_racing_handovers_leave_one_commander_that_card_and_timeline_agree_on(bot):
    channel = await bot.declare()
    await asyncio.gather(
        *(
            bot.command(f"commander <@{u}>", channel=channel.id)
            for u in ("U_BOB", "U_CAROL", "U_DAVE")
        )
    )

    def refusals():
        # Losers either lost the conditional update, or read the new commander first.
        return [
            e.text
            for e in bot.fake.ephemerals
            if "changed hands" in e.text or "Only the incident commander" in e.text
        ]

    await bot.fake.wait_for(lambda: not bot.intake.working)  # all three are handled
    assert len(refusals()) == 2
    incident, events = await timeline_kinds(bot, channel)
    changes = [e for e in events if e.kind == "commander_changed"]
    assert len(changes) == 1 and changes[0].data["new"] == incident.commander_id
    await bot.fake.wait_for(lambda: f"<@{incident.commander_id}>" in channel.topic)
    await bot.card_shows(channel, f"*Commander*\\n<@{incident.commander_id}>")


async def test_severity_and_status_changes(bot):
    channel = await bot.declare("sev2 Search is slow")
    await bot.command("severity sev1", channel=channel.id)
    await bot.fake.wait_for(lambda: channel.topic.startswith("SEV-1"))
    await bot.command("status identified", channel=channel.id)
    await bot.fake.wait_for(lambda: "Identified" in channel.topic)
    await bot.card_shows(channel, "SEV-1", "Identified")

    def posted(fragment):
        return any(fragment in m.text for m in bot.fake.messages(channel.id))

    await bot.fake.wait_for(lambda: posted("SEV-2 → *SEV-1*"))
    await bot.fake.wait_for(lambda: posted("Investigating → *Identified*"))
    _, events = await timeline_kinds(bot, channel)
    assert [e.kind for e in events] == ["declared", "severity_changed", "status_changed"]


async def test_bad_severity_and_status_are_explained(bot):
    channel = await bot.declare()
    assert "is not a severity" in await reply(bot, "severity sev0", channel=channel)
    assert "Unknown status" in await reply(bot, "status fixed", channel=channel)
    assert "already" in await reply(bot, "status investigating", channel=channel)
    _, events = await timeline_kinds(bot, channel)
    assert [e.kind for e in events] == ["declared"]


async def test_update_and_note_are_posted_and_recorded(bot):
    channel = await bot.declare()
    await bot.command(
        "update Rolled back deploy 42; error rate falling", channel=channel.id, user="U_BOB"
    )
    await bot.command("note Stripe dashboard shows recovery", channel=channel.id)
    await bot.fake.wait_for(
        lambda: any("Stripe dashboard" in m.text for m in bot.fake.messages(channel.id))
    )
    await bot.fake.wait_for(
        lambda: any("Status update" in m.text for m in bot.fake.messages(channel.id))
    )
    update = next(m for m in bot.fake.messages(channel.id) if "Status update" in m.text)
    assert "Rolled back deploy 42" in json.dumps(update.blocks)
    assert "<@U_BOB>" in json.dumps(update.blocks)
    _, events = await timeline_kinds(bot, channel)
    # The two commands are handled concurrently, so either may be recorded first.
    assert sorted((e.kind, e.actor) for e in events[1:]) == [
        ("note_added", "U_ALICE"),
        ("update_posted", "U_BOB"),
    ]


async def test_timeline_lists_events_in_order_with_times_and_actors(bot):
    channel = await bot.declare()
    await bot.command("note first", channel=channel.id)
    await bot.fake.wait_for(lambda: any("first" in m.text for m in bot.fake.messages(channel.id)))
    status, _, url = await bot.command("timeline", channel=channel.id, user="U_BOB")
    text = json.dumps((await bot.replies(url))[0]["blocks"])
    assert text.index("Declared") < text.index("Note added")
    assert "UTC" in text and "<@U_ALICE>" in text


async def test_role_assignment_invites_and_shows_on_card(bot):
    channel = await bot.declare()
    await bot.command("role scribe <@U_CAROL|carol>", channel=channel.id)
    await bot.fake.wait_for(lambda: "U_CAROL" in channel.members)
    await bot.fake.wait_for(lambda: "<@U_CAROL>" in json.dumps(bot.card(channel).blocks))
    await bot.command("role Communications Lead <@U_BOB>", channel=channel.id, user="U_BOB")
    await bot.fake.wait_for(lambda: "<@U_BOB>" in json.dumps(bot.card(channel).blocks))
    _, events = await timeline_kinds(bot, channel)
    assert [e.data.get("role") for e in events if e.kind == "role_assigned"] == [
        "scribe",
        "comms_lead",
    ]


async def test_taking_a_held_role_is_refused(bot):
    channel = await bot.declare()
    await bot.command("role scribe <@U_CAROL>", channel=channel.id)
    await bot.fake.wait_for(lambda: "U_CAROL" in channel.members)
    text = await reply(bot, "role scribe <@U_BOB>", user="U_BOB", channel=channel)
    assert "<@U_CAROL>" in text and "<@U_ALICE>" in text


async def test_resolve_updates_card_and_announcement(bot):
    channel = await bot.declare()
    await bot.command("resolve Rolled back the bad deploy", channel=channel.id)
    await bot.fake.wait_for(lambda: "Resolved" in channel.topic)
    await bot.card_shows(channel, "Rolled back the bad deploy")
    incidents = bot.fake.channel_by_name("incidents")
    await bot.fake.wait_for(
        lambda: any("Resolved" in json.dumps(m.blocks) for m in bot.fake.messages(incidents.id))
    )
    incident, events = await timeline_kinds(bot, channel)
    assert incident.status == "resolved" and incident.resolved_at is not None
    assert events[-1].kind == "resolved" and events[-1].text == "Rolled back the bad deploy"
    assert "reopen" in await reply(bot, "severity sev2", channel=channel)


async def test_only_the_commander_resolves(bot):
    channel = await bot.declare()
    assert "<@U_ALICE>" in await reply(bot, "resolve done", user="U_BOB", channel=channel)
    incident, _ = await timeline_kinds(bot, channel)
    assert incident.status == "investigating"


async def test_scoped_command_outside_an_incident_channel(bot):
    text = await reply(bot, "severity sev1")
    assert "only works inside an incident channel" in text


async def test_unknown_subcommand_and_help(bot):
    text = await reply(bot, "frobnicate now")
    assert "I don't know `frobnicate`." in text and "declare <severity> <title>" in text
    assert "Did you mean" not in text
    assert "I don't know `comander`. Did you mean `commander`?" in await reply(bot, "comander x")
    help_text = await reply(bot, "help")
    # Every command the README documents is in the help.
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    documented = set(re.findall(r"/incident ([a-z]+)", readme))
    assert documented and all(f"`{verb}" in help_text for verb in documented), documented


async def test_list_shows_open_incidents_with_links(bot):
    first = await bot.declare("sev1 One")
    second = await bot.declare("sev3 Two")
    await bot.command("resolve", channel=second.id)
    await bot.fake.wait_for(lambda: "Resolved" in second.topic)
    text = await reply(bot, "list")
    assert f"<#{first.id}>" in text and f"<#{second.id}>" not in text


async def test_newcomer_gets_the_card_privately(bot):
    channel = await bot.declare()
    bot.fake.channels[channel.id].members.add("U_CAROL")
    status, _ = await bot.event(
        {
            "type": "member_joined_channel",
            "user": "U_CAROL",
            "channel": channel.id,
            "channel_type": "C",
        }
    )
    assert status == 200
    await bot.fake.wait_for(
        lambda: any(e.user == "U_CAROL" and e.channel == channel.id for e in bot.fake.ephemerals)
    )


def briefings(bot, channel, user, role="Incident Commander"):
    """The commander's instructions shown privately to `user` in the incident channel."""
    return [
        e
        for e in bot.fake.ephemerals
        if e.channel == channel.id and e.user == user and e.text.startswith(f"You are now *{role}*")
    ]


async def test_the_commander_is_briefed_on_declaration_and_on_every_handover(bot):
    instructions = bot.pack.role("commander").instructions
    channel = await bot.declare("sev2 Briefing drill")
    await bot.fake.wait_for(lambda: briefings(bot, channel, "U_ALICE"))
    [first] = briefings(bot, channel, "U_ALICE")
    assert instructions in first.text

    _, _, url = await bot.command("commander <@U_BOB>", channel=channel.id)
    await bot.fake.wait_for(lambda: briefings(bot, channel, "U_BOB"))
    [handed] = briefings(bot, channel, "U_BOB")
    assert instructions in handed.text
    assert len(briefings(bot, channel, "U_ALICE")) == 1  # once, not again on the handover


async def test_a_level_with_a_decision_maker_asks_for_a_handover_to_them(fake, tmp_path):
    from bot.blocks.ids import ActionId
    from tests.harness import running_bot

    async with running_bot(fake, tmp_path, playbook_pack="defcon") as bot:
        channel = await bot.declare("defcon3 Typo on the pricing page")
        await bot.command("severity defcon1", channel=channel.id)

        def asks():
            return [m for m in fake.messages(channel.id) if "decision maker" in m.text]

        await fake.wait_for(asks)
        [ask] = asks()
        assert "changed severity Defcon 3 → *Defcon 1*" in ask.text
        assert "At Defcon 1 the decision maker is *CTO / Lead Dev*. <@U_ALICE>" in ask.text
        picker = ask.blocks[0]["accessory"]
        assert picker["action_id"] == ActionId.HAND_OVER_TO and picker["type"] == "users_select"

        def pick(user, chosen):
            action = {
                "action_id": ActionId.HAND_OVER_TO,
                "block_id": ask.blocks[0]["block_id"],
                "type": "users_select",
                "selected_user": chosen,
            }
            return bot.click(user=user, channel=channel.id, ts=ask.ts, actions=[action])

        # Someone who is not in command is refused with the command's own words.
        await pick("U_CAROL", "U_CAROL")
        await fake.wait_for(
            lambda: any("Only the incident commander" in e.text for e in fake.ephemerals)
        )
        await pick("U_ALICE", "U_BOB")  # the commander hands over to the CTO
        await bot.card_shows(channel, "<@U_BOB>")
        async with bot.db.reader() as session:
            incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        assert incident.commander_id == "U_BOB"
        assert len(asks()) == 1


async def test_a_level_without_a_decision_maker_asks_nothing(bot):
    channel = await bot.declare("sev3 Minor thing")
    await bot.command("severity sev1", channel=channel.id)

    def severity_lines():
        return [m for m in bot.fake.messages(channel.id) if "changed severity" in m.text]

    await bot.fake.wait_for(severity_lines)
    lines = severity_lines()
    assert len(lines) == 1 and "decision maker" not in lines[0].text and not lines[0].blocks


async def test_the_card_shows_the_resolution_in_its_parts(bot):
    channel = await bot.declare("sev2 Duplicate emails")
    await bot.command(
        "resolve Rolled back | root cause: retry storm | prevent: idempotency key, alert",
        channel=channel.id,
    )
    await bot.card_shows(
        channel,
        "*Resolution*\\nRolled back\\n*Root cause*\\nretry storm",
        "*Preventive actions*\\n• idempotency key\\n• alert",
    )


async def test_the_commander_s_briefing_carries_the_pack_s_rules(fake, tmp_path):
    from tests.harness import running_bot

    async with running_bot(fake, tmp_path, playbook_pack="defcon") as bot:
        channel = await bot.declare("defcon2 Search is slow")

        def briefed():
            return [
                e
                for e in fake.ephemerals
                if e.user == "U_ALICE" and e.text.startswith("You are now *Decision Maker*")
            ]

        await fake.wait_for(briefed)
        [brief] = briefed()
        assert brief.channel == channel.id
        assert "*Rules*\n• Do NOT debug on production (use logs)\n" in brief.text
        last = "• Do NOT blame team members during the incident (focus on recovery)"
        assert brief.text.endswith(last)


async def test_a_confirmed_condition_tells_the_level_it_reaches_with_its_people(fake, tmp_path):
    from bot.blocks.ids import ActionId
    from tests.harness import running_bot

    # Seed 001: "data integrity concerns" take an incident to the Pilot Coordinator (level 3),
    # "the pilot must be paused" to the Decision Owner (level 4).
    async with running_bot(
        fake, tmp_path, playbook_pack="escrow-pilot", escalation_contacts="4=S_OWNERS"
    ) as bot:
        channel = await bot.declare("sev2 Disputes slow to load")
        # The commander's brief lists the conditions and the levels they reach.
        await fake.wait_for(lambda: briefings(bot, channel, "U_ALICE", "Operator"))
        [brief] = briefings(bot, channel, "U_ALICE", "Operator")
        assert "*Escalate when* (confirm with `/incident escalate`)" in brief.text
        assert "• Data integrity is in doubt → level 3, Pilot Coordinator" in brief.text
        await bot.command("role pilot_coordinator <@U_CAROL>", channel=channel.id)
        _, _, url = await bot.command("escalate", channel=channel.id)
        [menu] = await bot.replies(url)
        buttons = [b["accessory"] for b in menu["blocks"] if "accessory" in b]
        assert [b["value"] for b in buttons] == [
            "level-3.1",
            "level-3.2",
            "level-3.3",
            *[f"level-4.{i}" for i in range(6)],
        ]
        assert {b["action_id"] for b in buttons} == {ActionId.ESCALATE}
        assert "3. Data integrity is in doubt → level 3, *Pilot Coordinator*" in menu["text"]

        def notices():
            return [m.text for m in fake.messages(channel.id) if "*Escalation*" in m.text]

        await bot.command("escalate 3", channel=channel.id, user="U_BOB")
        await fake.wait_for(lambda: len(notices()) == 1)
        assert notices()[0] == (
            ":rotating_light: *Escalation* · SEV2: confirmed: Data integrity is in doubt "
            "(by <@U_BOB>).\nEscalating to level 3: *Pilot Coordinator*\n"
            "• Business decision making\n• User communication\n"
            "• Pilot pause/resume decisions\n• Resource allocation\nPaging <@U_CAROL>"
        )
        action = {"action_id": ActionId.ESCALATE, "block_id": "x", "value": "level-4.0"}
        await bot.click(
            user="U_ALICE", channel=channel.id, ts=channel_ts(fake, channel), actions=[action]
        )
        await fake.wait_for(lambda: len(notices()) == 2)
        assert "The pilot must be paused (by <@U_ALICE>)" in notices()[1]
        assert notices()[1].endswith("Paging <!subteam^S_OWNERS>")

        _, _, bad = await bot.command("escalate the moon fell", channel=channel.id)
        [reply] = await bot.replies(bad)
        assert reply["text"].startswith("No escalation condition matches that.")
        async with bot.db.reader() as session:
            incident = await repo.get_by_channel(session=session, channel_id=channel.id)
            events = await repo.timeline(session=session, incident=incident.id)
        confirmed = [e for e in events if e.kind == "escalation_confirmed"]
        assert [(e.actor, e.data["level"]) for e in confirmed] == [("U_BOB", 3), ("U_ALICE", 4)]
        assert len(notices()) == 2


def channel_ts(fake, channel):
    return fake.messages(channel.id)[0].ts


async def test_page_a_level_on_demand_pages_pagerduty_once_and_a_person_by_mention(fake, tmp_path):
    from tests.fakes.pagerduty import FakePagerDuty
    from tests.harness import running_bot

    async def until(condition):
        for _ in range(200):
            if condition():
                return
            await asyncio.sleep(0.02)
        raise AssertionError("condition not met in 4 s")

    async with (
        FakePagerDuty(routing_keys={"R-KEY-0123456789"}) as pd,
        running_bot(
            fake,
            tmp_path,
            playbook_pack="prod-100k",
            pagerduty_routing_keys="primary-oncall=R-KEY-0123456789",
            pagerduty_events_url=pd.events_url,
        ) as bot,
    ):
        channel = await bot.declare("p2 Search is slow")  # level 1 is not reached at once

        await bot.command("page 1", channel=channel.id, user="U_BOB")
        await until(lambda: len(pd.events) == 1)
        assert pd.events[0]["payload"]["severity"] == "warning"
        _, _, again = await bot.command("page 1", channel=channel.id, user="U_BOB")
        [reply] = await bot.replies(again)
        assert reply["text"].startswith("Level 1 was already paged for this incident: ")

        await bot.command("page <@U_CAROL|carol>", channel=channel.id, user="U_BOB")

        def pages():
            return [m.text for m in fake.messages(channel.id) if m.text.startswith(":pager:")]

        await fake.wait_for(lambda: len(pages()) == 2)
        assert pages()[0].startswith(":pager: Paging level 1 · Primary on-call team: ")
        assert pages()[1].startswith(":pager: <@U_CAROL>, you are paged for *INC-")
        assert len(pd.events) == 1 and pd.problems == []
