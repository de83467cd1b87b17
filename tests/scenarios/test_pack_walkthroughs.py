"""Each source playbook walked end to end on its built-in pack, on a manual clock, with
`PACK_TIME_SCALE=60` (15 min of the pack pass in 15 s): each fact of the seed acts at the
right moment. One bot per pack; time moves only through the injected clock.

escrow-pilot (seed 001), `test_escrow_sev0_funds_ledger_walkthrough`:
- SEV0 reaches level 2 "On-Call Engineer" at once, paging ESCALATION_CONTACTS level 2;
- a SEV0 still open 15 min (15 s) after declaration reaches level 2 again;
- "no response within 15 min" is posted where nobody acted, and called off by ticking a step;
- the Operator (commander) brief carries the instructions, the rules and "Escalate when";
- `/incident escalate data integrity` reaches level 3 "Pilot Coordinator", paging its holder;
- SEV2 responds within 4 business hours (the clock skips nothing on a Monday morning, and
  the time scale leaves business hours alone);
- the incident log's Description (from the declare form) and Resolved By are filled.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.blocks.ids import ActionId, BlockId, CallbackId, step_block_id
from bot.clock import ManualClock
from bot.domain.timers import TimerKind, timer_id
from storage import repo
from storage.models import Timer
from tests.harness import running_bot

# A Monday at 09:00 UTC: business hours (09:00-17:00) start now, and no weekend is near.
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# --- helpers ---------------------------------------------------------------------------------


def rendered(blocks):
    return json.dumps(blocks, ensure_ascii=False)


def texts(bot, channel, fragment):
    """The texts of the channel's messages that contain `fragment`, oldest first."""
    return [m.text for m in bot.fake.messages(channel.id) if fragment in m.text]


async def settled(bot):
    """Wait until every delivery acknowledged so far has been handled."""
    await bot.fake.wait_for(lambda: not bot.intake.working)


async def advance(bot, seconds):
    """Move the clock on, then fire (and wait for) everything due at the new time."""
    bot.clock.advance(seconds)
    await bot.run_due_timers()


async def run(bot, text, channel, user="U_ALICE"):
    """`/incident <text>` in the channel, handled."""
    status, _, _ = await bot.command(text, channel=channel.id, user=user)
    assert status == 200
    await settled(bot)


async def incident_of(bot, channel):
    async with bot.db.reader() as session:
        return await repo.get_by_channel(session=session, channel_id=channel.id)


async def events(bot, channel, kind=None):
    async with bot.db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        found = list(await repo.timeline(session=session, incident=incident.id))
    return [e for e in found if kind is None or e.kind == kind]


def phase_message(bot, channel, playbook, phase):
    """The message showing one phase of a playbook (found by its first step's block)."""
    block = step_block_id(playbook, phase, 0)
    return next(
        m
        for m in bot.fake.messages(channel.id)
        if any(b.get("block_id") == block for b in m.blocks)
    )


async def click_step(
    bot, channel, playbook, phase, step, action=ActionId.STEP_DONE, user="U_ALICE"
):
    """Click a step's button (Done, Send, Done anyway, Start monitoring…)."""
    await bot.fake.wait_for(
        lambda: any(
            b.get("block_id") == step_block_id(playbook, phase, 0)
            for m in bot.fake.messages(channel.id)
            for b in m.blocks
        )
    )
    message = phase_message(bot, channel, playbook, phase)
    await bot.click(
        user=user,
        channel=channel.id,
        ts=message.ts,
        actions=[
            {
                "action_id": action,
                "block_id": step_block_id(playbook, phase, step),
                "value": f"{playbook}|{phase}|{step}",
            }
        ],
    )
    await settled(bot)


def briefs(bot, channel, user, role):
    """The private role brief shown to `user` in the incident channel."""
    return [
        e.text
        for e in bot.fake.ephemerals
        if e.channel == channel.id and e.user == user and e.text.startswith(f"You are now *{role}*")
    ]


async def declared_with_form(bot, *, title, severity, playbook, description):
    """Declare through the modal (the only way to give a description); the channel, once
    its setup is finished."""
    before = set(bot.fake.channels)
    values = {
        BlockId.TITLE: {ActionId.TITLE: {"value": title}},
        BlockId.SEVERITY: {ActionId.SEVERITY: {"selected_option": {"value": severity}}},
        BlockId.DESCRIPTION: {ActionId.DESCRIPTION: {"value": description}},
        BlockId.PLAYBOOK: {ActionId.PLAYBOOK: {"selected_option": {"value": playbook}}},
        BlockId.COMMANDER: {ActionId.COMMANDER: {"selected_user": "U_ALICE"}},
    }
    status, _ = await bot.submit(user="U_ALICE", callback_id=CallbackId.DECLARE, values=values)
    assert status == 200
    fake = bot.fake
    await fake.wait_for(
        lambda: any(c.pins for cid, c in fake.channels.items() if cid not in before)
    )
    channel = next(c for cid, c in fake.channels.items() if cid not in before)
    await bot.setup_finished(channel.id)
    return channel


async def posted_log(bot, channel):
    """`/incident log`: the lines of the log posted in the channel."""
    await run(bot, "log", channel)
    [log] = texts(bot, channel, "*Incident log:")
    return log.splitlines()


# --- escrow-pilot (seed 001) -----------------------------------------------------------------

ESCROW_LEVEL_2 = (
    "\nEscalating to level 2: *On-Call Engineer*\n• Technical investigation\n• Apply hotfixes\n"
    "• System health checks\n• Escalate if the fix requires core changes\nPaging <@U_BOB>"
)


async def test_escrow_sev0_funds_ledger_walkthrough(fake, tmp_path):
    async with running_bot(
        fake,
        tmp_path,
        clock=ManualClock(MONDAY),
        playbook_pack="escrow-pilot",
        pack_time_scale=60,
        escalation_contacts="2=U_BOB",
    ) as bot:
        # Two SEV0s at the same moment: on the first the team ticks a step, the second is
        # left alone.
        worked = await declared_with_form(
            bot,
            title="Double release on deal 42",
            severity="sev0",
            playbook="sev0-funds-ledger",
            description="Deal 42 released the funds to the seller twice.",
        )
        idle = await bot.declare("sev0 Ledger inconsistency on deal 43")

        def notices(channel):
            return texts(bot, channel, "*Escalation*")

        # At once: SEV0 goes to the on-call engineer (level 2), paged through the contacts.
        await advance(bot, 0)
        for channel in (worked, idle):
            assert notices(channel) == [
                ":rotating_light: *Escalation* · SEV0: SEV0 or SEV1 incidents reach this level "
                "at once." + ESCROW_LEVEL_2
            ]

        # The Operator's brief: instructions, rules, and the conditions to escalate on.
        [brief] = briefs(bot, worked, "U_ALICE", "Operator")
        assert bot.pack.role("commander").instructions in brief
        assert "*Rules*\n• Prefer config rollback (flags/templates)" in brief
        assert "*Escalate when* (confirm with `/incident escalate`)\n" in brief
        assert "• Data integrity is in doubt → level 3, Pilot Coordinator" in brief

        await advance(bot, 5)
        await click_step(bot, worked, "sev0-funds-ledger", 0, 0)  # disable new pilot deals
        await advance(bot, 9.999)
        assert len(notices(worked)) == len(notices(idle)) == 1
        await advance(bot, 0.001)  # 15 min (15 s) after declaration
        still_open = (
            ":rotating_light: *Escalation* · SEV0: still open 15 s after declaration."
            + ESCROW_LEVEL_2
        )
        no_response = ":rotating_light: *Escalation* · SEV0: no response within 15 s."
        assert notices(worked)[1:] == [still_open]  # ticking a step was a response
        assert sorted(notices(idle)[1:]) == sorted([still_open, no_response])

        # A condition the Operator confirms: data integrity in doubt → Pilot Coordinator.
        await run(bot, "role pilot_coordinator <@U_CAROL>", worked)
        await run(bot, "escalate data integrity", worked)
        assert notices(worked)[2] == (
            ":rotating_light: *Escalation* · SEV0: confirmed: Data integrity is in doubt "
            "(by <@U_ALICE>).\nEscalating to level 3: *Pilot Coordinator*\n"
            "• Business decision making\n• User communication\n"
            "• Pilot pause/resume decisions\n• Resource allocation\nPaging <@U_CAROL>"
        )

        # SEV2 responds within 4 business hours: not scaled, counted on the calendar.
        await run(bot, "severity sev2", idle)
        incident = await incident_of(bot, idle)
        async with bot.db.reader() as session:
            respond = await session.get(
                Timer, timer_id(incident.id, TimerKind.ESCALATION, "respond_within:sev2")
            )
        assert respond.due_at == MONDAY + timedelta(hours=4)

        # The log: Description from the declaration, Resolved By from the resolve.
        await run(bot, "resolve Reverted the duplicate release | root cause: retry", worked)
        lines = await posted_log(bot, worked)
        assert "*Description:* Deal 42 released the funds to the seller twice." in lines
        assert "*Resolved By:* Alice" in lines
        assert "*Root Cause:* retry" in lines
