"""Each source playbook walked end to end on its built-in pack, on a manual clock, with
`PACK_TIME_SCALE=60` (15 min of the pack pass in 15 s): each fact of the seed acts at the
right moment. One bot per pack; time moves only through the injected clock.

escrow-pilot (seed 001), `test_escrow_sev0_funds_ledger_walkthrough`:
- SEV0 reaches level 2 "On-Call Engineer" at once, paging ESCALATION_CONTACTS level 2;
- a SEV0 still open 15 min (15 s) after declaration reaches level 2 again;
- "no response within 15 min" is posted where nobody acted, and called off by ticking a step;
- the Operator (commander) brief carries the instructions, the rules and "Escalate when";
- `/incident escalate data integrity` reaches level 3 "Pilot Coordinator", paging its holder;
- SEV2 responds within 4 business hours: declared on a Monday at 09:00, the target falls
  at 13:00 (the time scale leaves business hours alone);
- the incident log's Description (from the declare form) and Resolved By are filled (the
  escrow template has no Detection Method; prod-100k's log is checked below).

prod-100k (seed 004), `test_prod_100k_p0_payment_down_walkthrough`:
- a P0 is announced in #incidents and told to #critical-alerts (its `notify_channels`);
- P0 pages level 1 "Primary on-call team" at once; with no response within 5 min (5 s)
  level 1 is paged again ("PagerDuty: escalation after 5 minutes");
- management (level 2) is notified 30 min (30 s) into a P0, the executive (level 3) when
  the 1 h (60 s) resolution target is missed;
- each "0–5 minutes"-style phase deadline nudges once, with its open steps, and only while
  a step is open; internal (30 min) and customer (60 min) update reminders fall due;
- "Monitor system stability for 2 hours" has a Start monitoring button and asks for
  stability when its window (2 min) ends;
- `/incident log set affected services: Payments` appears in the posted log;
- a change to P1 tells #alerts;
- resolving posts the recovery-validation checklists and the post-incident review one;
- the incident report (within 24 h) is reminded at 12 h (12 min).

quickmela (seed 000), `test_quickmela_refund_executed_incorrectly_walkthrough`:
- the Incident Commander's brief carries the five decision rules;
- "Disable first, fix second": ticking a Resolve step while Immediate action is open asks
  first ("Done anyway"), naming the open steps;
- the scripted buyer and seller messages go out with Send, are recorded as customer updates
  of distinct audiences (buyer, seller), and restart the 60 min (60 s) customer clock: the
  reminder comes 60 s after the last of them, not 60 s after declaration;
- the kill-switch flag (ENABLE_AUTO_REFUNDS) shows under Features Disabled in the log;
- a SEV-4 makes no announcement in #incidents ("No announcement needed").

defcon (seed 002), `test_defcon_bad_deploy_walkthrough` (Scenario A, raised to Defcon 1):
- the Decision Maker's brief carries the do-not list, at declaration and on hand-over;
- changing the level names that level's decision maker (CTO / Lead Dev at Defcon 1) and
  asks, with a person picker, for a hand-over; picking someone hands command over (the
  card and the update reminders follow the new decision maker);
- a customer update saying "security breach" goes out as written (the seed asks to
  disclose; the pack has no words to avoid).

eshop (seed 003), `test_eshop_sev1_checkout_down_walkthrough`:
- the commander assigns the technical lead and the communications lead (both show on the
  card; the communications lead gets the role's brief);
- internal updates are reminded every 30 min (30 s), naming the commander; customer
  (status page) updates every 60 min (60 s) at SEV-1, naming the communications lead;
- a status update restarts the internal clock;
- resolving posts the after-action checklist and arms the retrospective "within 3 business
  days": resolved on a Friday, due the next Wednesday (business days are not scaled),
  reminded halfway.
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

        # At once: SEV0 goes to the on-call engineer (level 2), paged through the contacts,
        # and to the pilot coordinator (level 3: "notify the pilot coordinator immediately").
        await advance(bot, 0)
        coordinator = (
            ":rotating_light: *Escalation* · SEV0: SEV0 incidents reach this level at once.\n"
            "Escalating to level 3: *Pilot Coordinator*\n• Business decision making\n"
            "• User communication\n• Pilot pause/resume decisions\n• Resource allocation"
        )
        for channel in (worked, idle):
            assert notices(channel) == [
                ":rotating_light: *Escalation* · SEV0: SEV0 or SEV1 incidents reach this level "
                "at once." + ESCROW_LEVEL_2,
                coordinator,
            ]

        # The Operator's brief: instructions, rules, and the conditions to escalate on.
        await fake.wait_for(lambda: briefs(bot, worked, "U_ALICE", "Operator"))
        [brief] = briefs(bot, worked, "U_ALICE", "Operator")
        assert bot.pack.role("commander").instructions in brief
        assert "*Rules*\n• Prefer config rollback (flags/templates)" in brief
        assert "*Escalate when* (confirm with `/incident escalate`)\n" in brief
        assert "• Data integrity is in doubt → level 3, Pilot Coordinator" in brief

        await advance(bot, 5)
        await click_step(bot, worked, "sev0-funds-ledger", 0, 0)  # disable new pilot deals
        await advance(bot, 9.999)
        assert len(notices(worked)) == len(notices(idle)) == 2
        await advance(bot, 0.001)  # 15 min (15 s) after declaration
        still_open = (
            ":rotating_light: *Escalation* · SEV0: still open 15 s after declaration."
            + ESCROW_LEVEL_2
        )
        no_response = ":rotating_light: *Escalation* · SEV0: no response within 15 s."
        assert notices(worked)[2:] == [still_open]  # ticking a step was a response
        assert sorted(notices(idle)[2:]) == sorted([still_open, no_response])

        # A condition the Operator confirms: data integrity in doubt → Pilot Coordinator.
        await run(bot, "role pilot_coordinator <@U_CAROL>", worked)
        await run(bot, "escalate data integrity", worked)
        assert notices(worked)[3] == (
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


# --- prod-100k (seed 004) --------------------------------------------------------------------

PRIMARY_ON_CALL = (
    "\nEscalating to level 1: *Primary on-call team*\n"
    "• System Administrator: available 24/7\n"
    "• Database Administrator: weekly on-call rotation\n"
    "• Development Team Lead: critical issues only (24/7 for P0)\n"
    "• External vendors: Supabase priority support, Stripe emergency contact, "
    "infrastructure provider\nPaging <@U_BOB>"
)


async def test_prod_100k_p0_payment_down_walkthrough(fake, tmp_path):
    alerts, critical = fake.add_channel("alerts"), fake.add_channel("critical-alerts")
    async with running_bot(
        fake,
        tmp_path,
        clock=ManualClock(MONDAY),
        playbook_pack="prod-100k",
        pack_time_scale=60,
        escalation_contacts="1=U_BOB;2=U_CAROL;3=U_DAVE",
    ) as bot:
        channel = await bot.declare("p0 Payment system down --playbook payment-down")
        incident = await incident_of(bot, channel)

        def told(where):
            return [m.text for m in fake.messages(where.id)]

        # Announced in #incidents (bot.declare waits for that) and told to #critical-alerts.
        await fake.wait_for(lambda: told(critical))
        assert told(critical) == [
            f":rotating_light: *P0* · {incident.id}: Payment system down in <#{channel.id}> "
            "· commander <@U_ALICE>"
        ]
        assert told(alerts) == []

        def notices():
            return texts(bot, channel, "*Escalation*")

        def nudged(phase):
            return texts(bot, channel, f"Deadline for *{phase}*")

        await advance(bot, 0)  # level 1 at once at P0
        assert notices() == [
            ":rotating_light: *Escalation* · P0: P0 or P1 incidents reach this level at once."
            + PRIMARY_ON_CALL
        ]
        await advance(bot, 5)  # nobody responded within 5 min (5 s): level 1 again
        assert notices()[1:] == [
            ":rotating_light: *Escalation* · P0: no response within 5 s." + PRIMARY_ON_CALL
        ]
        [first] = nudged("0–5 minutes")
        assert first.endswith(
            "with 1 step(s) still open:\n• Activate the payment circuit breakers — unassigned"
        )
        await click_step(bot, channel, "payment-down", 1, 0)  # the 5–10 minutes step, in time

        await advance(bot, 25)  # 30 min (30 s): management
        assert notices()[2:] == [
            ":rotating_light: *Escalation* · P0: still open 30 s after declaration.\n"
            "Escalating to level 2: *Management*\n• Receive an executive summary\n"
            "Paging <@U_CAROL>"
        ]
        assert nudged("5–10 minutes") == []  # its one step was done in time
        assert len(nudged("10–15 minutes")) == len(nudged("15–30 minutes")) == 1
        assert texts(bot, channel, "No internal update") == [
            ":alarm_clock: No internal update for 30 s: <@U_ALICE>, post one with "
            "`/incident update …`."
        ]

        await advance(bot, 30)  # 1 h (60 s): the resolution target is missed, executive
        assert notices()[3:] == [
            ":rotating_light: *Escalation* · P0: not resolved within 1 min.\n"
            "Escalating to level 3: *Executive*\n"
            "• Receive the executive notification of an extended outage\nPaging <@U_DAVE>"
        ]
        assert len(nudged("30–60 minutes")) == 1
        assert len(texts(bot, channel, "No internal update")) == 2
        assert len(texts(bot, channel, "No customer update for 1 min")) == 1
        assert [e.data["level"] for e in await events(bot, channel, "escalated")] == [1, 1, 2, 3]

        # Full recovery: "Monitor system stability for 2 hours" is a 2 min window here.
        await run(bot, "playbook complete-system-failure", channel)
        await click_step(
            bot, channel, "complete-system-failure", 3, 1, ActionId.STEP_MONITOR, user="U_BOB"
        )
        assert len(texts(bot, channel, "started monitoring *Monitor system stability")) == 1
        await advance(bot, 119.999)
        assert texts(bot, channel, "of monitoring for") == []
        await advance(bot, 0.001)
        assert texts(bot, channel, "of monitoring for") == [
            ":eyes: The 2 min of monitoring for *Monitor system stability for 2 hours* are "
            "over. <@U_BOB>: if everything stayed stable, mark the step done; if not, say what "
            "you saw with `/incident update`."
        ]

        await run(bot, "log set affected services: Payments", channel)
        await run(bot, "severity p1", channel)  # P1 tells #alerts
        await fake.wait_for(lambda: told(alerts))
        assert told(alerts) == [
            f":rotating_light: *P1* · {incident.id}: Payment system down in <#{channel.id}> "
            "· commander <@U_ALICE>"
        ]
        assert len(told(critical)) == 1
        # Seed 004's notification rules for P1 that Slack cannot carry out, under the change.
        [changed] = texts(bot, channel, "changed severity")
        assert ":mega: At P1, notify: Development team + management notification; " in changed
        assert "Email: development team (immediate)" in changed

        await run(bot, "resolve Stripe credentials rotated | root cause: expired key", channel)
        resolved_at = bot.clock()
        titles = [c.title for c in bot.pack.checklists]
        await fake.wait_for(lambda: all(texts(bot, channel, t) for t in titles))
        assert [m.text for m in fake.messages(channel.id) if m.text in titles] == [
            "Recovery validation: service restoration",
            "Recovery validation: user experience",
            "Recovery validation: business functions",
            "Post-incident review process",
        ]
        lines = await posted_log(bot, channel)
        assert "*Affected Services:* Payments" in lines
        assert "*Root Cause:* expired key" in lines

        # The incident report within 24 h (24 min) is reminded at 12 h (12 min).
        await advance(bot, 719.999)
        assert texts(bot, channel, "Complete the incident report") == []
        await advance(bot, 0.001)
        deadline = resolved_at + timedelta(minutes=24)
        assert texts(bot, channel, "Complete the incident report") == [
            f":memo: <@U_ALICE>, due by *{deadline:%Y-%m-%d %H:%M} UTC* for this incident: "
            "*Complete the incident report*."
        ]


# --- quickmela (seed 000) --------------------------------------------------------------------


async def declared_unannounced(bot, text):
    """Declare at a level with no announcement; the channel, once its setup is finished."""
    fake, before = bot.fake, set(bot.fake.channels)
    status, _, _ = await bot.command(f"declare {text}")
    assert status == 200
    await fake.wait_for(
        lambda: any(c.pins for cid, c in fake.channels.items() if cid not in before)
    )
    channel = next(c for cid, c in fake.channels.items() if cid not in before)
    await bot.setup_finished(channel.id)
    return channel


async def test_quickmela_refund_executed_incorrectly_walkthrough(fake, tmp_path):
    async with running_bot(
        fake, tmp_path, clock=ManualClock(MONDAY), playbook_pack="quickmela", pack_time_scale=60
    ) as bot:
        channel = await bot.declare("sev1 Refunds executed twice --playbook refund-incorrect")
        t0 = bot.clock()

        # The one owner's brief: the decision rules to memorise.
        await fake.wait_for(lambda: briefs(bot, channel, "U_ALICE", "Incident Commander"))
        [brief] = briefs(bot, channel, "U_ALICE", "Incident Commander")
        assert brief.endswith(
            "*Rules*\n• Money &gt; UX &gt; Speed\n• Disable first, fix second\n"
            "• Explain always\n• Never retry blindly\n• One owner per incident"
        )

        # Disable first: the kill switch is ticked; fixing ahead of the rest asks first.
        await click_step(bot, channel, "refund-incorrect", 0, 0, user="U_BOB")
        await click_step(bot, channel, "refund-incorrect", 2, 1)  # Make the manual correction

        def asked():
            return [
                rendered(e.blocks)
                for e in fake.ephemerals
                if "comes after steps still open" in e.text + rendered(e.blocks)
            ]

        await fake.wait_for(asked)
        [question] = asked()
        assert "• Stop any retry jobs\\n• Lock the affected transaction IDs" in question
        assert "Done anyway" in question
        assert len(await events(bot, channel, "step_completed")) == 1  # the kill switch only
        await click_step(bot, channel, "refund-incorrect", 2, 1, ActionId.STEP_DONE_ANYWAY)
        assert len(await events(bot, channel, "step_completed")) == 2

        # The scripted messages, each sent with Send, restart the customer clock.
        await advance(bot, 30)
        await click_step(bot, channel, "refund-incorrect", 1, 0, ActionId.STEP_SEND)
        await advance(bot, 10)
        await click_step(bot, channel, "refund-incorrect", 1, 1, ActionId.STEP_SEND)
        buyers = texts(bot, channel, "Customer update (Buyers)")
        sellers = texts(bot, channel, "Customer update (Sellers)")
        assert len(buyers) == len(sellers) == 1
        assert "Refund delayed due to system verification." in buyers[0]
        assert "Settlement temporarily paused." in sellers[0]
        sent = await events(bot, channel, "customer_update_posted")
        assert [(e.at - t0, e.data["audience"]) for e in sent] == [
            (timedelta(seconds=30), "buyer"),
            (timedelta(seconds=40), "seller"),
        ]
        await advance(bot, 59.999)  # t0 + 100 s, less a millisecond
        assert texts(bot, channel, "No customer update") == []
        await advance(bot, 0.001)  # 60 min (60 s) after the seller's message
        [reminder] = texts(bot, channel, "No customer update")
        assert reminder.splitlines()[:2] == [
            ":alarm_clock: No customer update for 1 min: <@U_ALICE>, post one with "
            "`/incident update --customer …`.",
            "• Guideline: Clear",  # seed 000: clear, calm, reassuring, time-bound
        ]

        await run(bot, "resolve Corrected the refunds by hand | root cause: retry job", channel)
        lines = await posted_log(bot, channel)
        assert "*Features Disabled:* `ENABLE_AUTO_REFUNDS`" in lines

        # SEV-4: no announcement needed.
        quiet = await declared_unannounced(bot, "sev4 Tooltip missing on the bid button")
        incidents = fake.channel_by_name("incidents")

        def announced(where):
            return [m for m in fake.messages(incidents.id) if where.id in rendered(m.blocks)]

        assert len(announced(channel)) == 1 and announced(quiet) == []


# --- defcon (seed 002) -----------------------------------------------------------------------

DO_NOT_LIST = (
    "*Rules*\n• Do NOT debug on production (use logs)\n"
    '• Do NOT deploy "quick fixes" without tests (it makes it worse)\n'
    "• Do NOT hide the issue from users (be transparent)\n"
    "• Do NOT blame team members during the incident (focus on recovery)"
)


async def test_defcon_bad_deploy_walkthrough(fake, tmp_path):
    async with running_bot(
        fake, tmp_path, clock=ManualClock(MONDAY), playbook_pack="defcon", pack_time_scale=60
    ) as bot:
        channel = await bot.declare(
            "defcon3 Bad deploy broke the pricing page --playbook bad-deploy"
        )
        await fake.wait_for(lambda: briefs(bot, channel, "U_ALICE", "Decision Maker"))
        [brief] = briefs(bot, channel, "U_ALICE", "Decision Maker")
        assert brief.endswith(DO_NOT_LIST)
        # Declared at Defcon 3: the brief names its decision maker (seed 002: Product Owner).
        assert "At this severity the decision maker is *Product Owner*" in brief
        await click_step(bot, channel, "bad-deploy", 0, 0)  # Stop: no fixing forward

        # The deploy took checkout down with it: Defcon 1, whose decision maker is the CTO.
        await run(bot, "severity defcon1", channel)
        [ask] = [m for m in fake.messages(channel.id) if "decision maker" in m.text]
        assert ask.text == (
            ":rotating_light: <@U_ALICE> changed severity Defcon 3 → *Defcon 1*.\n"
            ":scales: At Defcon 1 the decision maker is *CTO / Lead Dev*. <@U_ALICE>, if that "
            "is not you, hand over command to them."
        )
        picker = ask.blocks[0]
        assert picker["accessory"]["action_id"] == ActionId.HAND_OVER_TO
        await bot.click(
            user="U_ALICE",
            channel=channel.id,
            ts=ask.ts,
            actions=[
                {
                    "action_id": ActionId.HAND_OVER_TO,
                    "block_id": picker["block_id"],
                    "type": "users_select",
                    "selected_user": "U_BOB",  # the CTO
                }
            ],
        )
        await settled(bot)
        assert (await incident_of(bot, channel)).commander_id == "U_BOB"
        await bot.card_shows(channel, "<@U_BOB>")
        await fake.wait_for(lambda: briefs(bot, channel, "U_BOB", "Decision Maker"))
        [handed] = briefs(bot, channel, "U_BOB", "Decision Maker")
        assert handed.endswith(DO_NOT_LIST)
        assert "At this severity the decision maker is *CTO / Lead Dev*" in handed
        [change] = await events(bot, channel, "commander_changed")
        assert (change.actor, change.data["new"]) == ("U_ALICE", "U_BOB")

        # Do NOT hide the issue: the word "breach" is not held back.
        disclosure = "We are investigating a security breach of the admin panel."
        await run(bot, f"update --customer {disclosure}", channel, user="U_BOB")
        [posted] = texts(bot, channel, "Customer update")
        assert disclosure in posted
        assert [e.text for e in await events(bot, channel, "customer_update_posted")] == [
            disclosure
        ]
        assert not [e for e in fake.ephemerals if "Post anyway" in rendered(e.blocks)]

        # The reminders now go to the new decision maker (30 min: 30 s).
        await advance(bot, 30)
        assert texts(bot, channel, "No internal update") == [
            ":alarm_clock: No internal update for 30 s: <@U_BOB>, post one with "
            "`/incident update …`."
        ]


# --- eshop (seed 003) ------------------------------------------------------------------------


async def test_eshop_sev1_checkout_down_walkthrough(fake, tmp_path):
    async with running_bot(
        fake, tmp_path, clock=ManualClock(MONDAY), playbook_pack="eshop", pack_time_scale=60
    ) as bot:
        channel = await bot.declare(
            "sev1 Checkout unavailable globally --playbook production-incident"
        )
        await run(bot, "role technical lead <@U_BOB>", channel)
        await run(bot, "role comms lead <@U_CAROL>", channel)
        assigned = await events(bot, channel, "role_assigned")
        assert [(e.data["role"], e.data["user"]) for e in assigned] == [
            ("tech_lead", "U_BOB"),
            ("comms_lead", "U_CAROL"),
        ]
        await bot.card_shows(channel, "<@U_BOB>", "<@U_CAROL>")
        await fake.wait_for(lambda: briefs(bot, channel, "U_CAROL", "Communications Lead"))

        def internal():
            return texts(bot, channel, "No internal update")

        def customer():
            return texts(bot, channel, "No customer update")

        await advance(bot, 30)  # 30 min (30 s): internal, to the commander
        assert internal() == [
            ":alarm_clock: No internal update for 30 s: <@U_ALICE>, post one with "
            "`/incident update …`."
        ]
        await advance(bot, 10)
        await run(bot, "update Rolled back the checkout deploy; watching errors", channel, "U_BOB")
        await advance(bot, 20)  # 60 min (60 s): customers, to the comms lead
        [reminder] = customer()
        assert reminder.splitlines()[0] == (
            ":alarm_clock: No customer update for 1 min: <@U_CAROL>, post one with "
            "`/incident update --customer …`."
        )
        assert "• Customers: Status page" in reminder  # seed 003: status page updates
        assert len(internal()) == 1  # the update at 40 s moved it to 70 s
        await advance(bot, 9.999)
        assert len(internal()) == 1
        await advance(bot, 0.001)
        assert len(internal()) == 2

        # Resolved on a Friday: the retrospective is due 3 business days later, on Wednesday.
        friday = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
        bot.clock.set(friday)
        await run(bot, "resolve Checkout restored | root cause: bad deploy", channel)
        await fake.wait_for(lambda: texts(bot, channel, "After-action expectations"))
        halfway = friday + timedelta(days=2, hours=12)  # Sunday 22:00
        await advance(bot, halfway - friday - timedelta(milliseconds=1))
        assert texts(bot, channel, "hold the retrospective") == []
        await advance(bot, 0.001)
        assert texts(bot, channel, "hold the retrospective") == [
            ":memo: <@U_ALICE>, hold the retrospective for this incident by "
            "*2026-03-11 10:00 UTC*. Export the log with `/incident log`."
        ]
