"""Step buttons (skip, undo, assign), attaching playbooks, role instructions, wording check."""

import json
from datetime import timedelta

from bot.blocks.ids import ActionId, BlockId, CallbackId, step_block_id
from storage import repo
from storage.models import Draft


def rendered(message):
    return json.dumps(message.blocks, ensure_ascii=False)


async def kinds(bot, channel):
    async with bot.db.session() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        return [e.kind for e in await repo.timeline(session=session, incident=incident.id)]


async def first_reply(bot, text, channel, user="U_ALICE"):
    _, _, url = await bot.command(text, channel=channel.id, user=user)
    return (await bot.replies(url))[0]


def phases(bot, channel):
    return [m for m in bot.fake.messages(channel.id) if ":clipboard:" in rendered(m)]


async def test_inline_playbook_option_posts_phases_with_deadlines(bot):
    channel = await bot.declare("sev1 Bad deploy of api --playbook deploy-rollback")
    await bot.fake.wait_for(lambda: len(phases(bot, channel)) == 3)
    assert "Roll back" in rendered(phases(bot, channel)[1])
    assert "due by" in "".join(rendered(m) for m in phases(bot, channel))


async def test_unknown_playbook_id_lists_the_valid_ones_and_declares_nothing(bot):
    _, _, url = await bot.command("declare sev1 Thing --playbook nope")
    text = (await bot.replies(url))[0]["text"]
    assert "`nope` is not a playbook" in text and "`generic`" in text
    assert not [c for c in bot.fake.channels.values() if c.name.startswith("inc-")]


async def test_playbook_subcommand_lists_and_attaches(bot):
    channel = await bot.declare("sev2 Something odd")
    listing = await first_reply(bot, "playbook", channel)
    assert "`generic`" in listing["text"] and "`deploy-rollback`" in listing["text"]
    error = await first_reply(bot, "playbook nope", channel)
    assert "Valid playbooks" in error["text"]
    await bot.command("playbook generic", channel=channel.id)
    await bot.fake.wait_for(lambda: len(phases(bot, channel)) >= 1)
    again = await first_reply(bot, "playbook generic", channel)
    assert "already running" in again["text"]
    assert (await kinds(bot, channel)).count("playbook_attached") == 1


async def test_skip_undo_and_assign_edit_the_message_in_place(bot):
    channel = await bot.declare("sev1 Bad deploy --playbook deploy-rollback")
    await bot.fake.wait_for(lambda: len(phases(bot, channel)) == 3)
    message = phases(bot, channel)[0]
    block = step_block_id("deploy-rollback", 0, 0)
    value = "deploy-rollback|0|0"

    async def click(action_id, **extra):
        await bot.click(
            user="U_BOB",
            channel=channel.id,
            ts=message.ts,
            actions=[{"action_id": action_id, "block_id": block, "value": value, **extra}],
        )

    await click(ActionId.STEP_SKIP)
    await bot.fake.wait_for(
        lambda: "skipped by <@U_BOB>" in rendered(bot.fake.find_message(channel.id, message.ts))
    )
    assert "not applicable" in rendered(bot.fake.find_message(channel.id, message.ts))
    await click(ActionId.STEP_UNDO)
    await bot.fake.wait_for(
        lambda: "skipped by" not in rendered(bot.fake.find_message(channel.id, message.ts))
    )
    await bot.click(
        user="U_BOB",
        channel=channel.id,
        ts=message.ts,
        actions=[
            {
                "action_id": ActionId.STEP_ASSIGN,
                "block_id": block,
                "type": "users_select",
                "selected_user": "U_CAROL",
            }
        ],
    )
    await bot.fake.wait_for(
        lambda: "assigned to <@U_CAROL>" in rendered(bot.fake.find_message(channel.id, message.ts))
    )
    assert bot.fake.find_message(channel.id, message.ts).ts == message.ts
    assert await kinds(bot, channel) == [
        "declared",
        "playbook_attached",
        "step_skipped",
        "step_reopened",
        "step_assigned",
    ]


async def test_modal_attaches_the_best_match_for_the_title(bot):
    values = {
        BlockId.TITLE: {ActionId.TITLE: {"value": "Bad deploy of search"}},
        BlockId.SEVERITY: {ActionId.SEVERITY: {"selected_option": {"value": "sev2"}}},
        BlockId.PLAYBOOK: {ActionId.PLAYBOOK: {"selected_option": {"value": "__suggest__"}}},
        BlockId.COMMANDER: {ActionId.COMMANDER: {"selected_user": "U_ALICE"}},
    }
    status, _ = await bot.submit(user="U_ALICE", callback_id=CallbackId.DECLARE, values=values)
    assert status == 200
    await bot.fake.wait_for(
        lambda: any(c.name.endswith("bad-deploy-of-search") for c in bot.fake.channels.values())
    )
    channel = next(c for c in bot.fake.channels.values() if c.name.endswith("bad-deploy-of-search"))
    await bot.fake.wait_for(lambda: len(phases(bot, channel)) == 3)


async def test_role_assignee_gets_the_instructions_privately(bot):
    channel = await bot.declare()
    await bot.command("role scribe <@U_CAROL>", channel=channel.id)
    await bot.fake.wait_for(
        lambda: any(e.user == "U_CAROL" and "Scribe" in e.text for e in bot.fake.ephemerals)
    )


async def test_clean_customer_update_posts_at_once_and_internal_is_never_blocked(bot):
    channel = await bot.declare()
    await bot.command(
        "update --customer Checkout is recovering for most customers", channel=channel.id
    )
    await bot.command("update it was a bug and our fault", channel=channel.id)
    await bot.fake.wait_for(
        lambda: sum("update" in m.text.lower() for m in bot.fake.messages(channel.id)) >= 2
    )
    assert (await kinds(bot, channel))[1:] in (
        ["customer_update_posted", "update_posted"],
        ["update_posted", "customer_update_posted"],
    )


async def test_cancelled_customer_update_posts_nothing(bot):
    channel = await bot.declare()
    warning = await first_reply(bot, "update --customer A bug took checkout down", channel)
    assert "“bug”" in json.dumps(warning["blocks"], ensure_ascii=False)
    draft = next(
        e["value"]
        for b in warning["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ActionId.CANCEL_DRAFT
    )
    card = "1.000001"  # the click comes from the ephemeral warning, not a channel message
    await bot.click(
        user="U_ALICE",
        channel=channel.id,
        ts=card,
        actions=[{"action_id": ActionId.CANCEL_DRAFT, "value": draft, "block_id": "w"}],
    )
    await bot.fake.wait_for(lambda: not bot.intake.working)  # the click is handled
    async with bot.db.session() as session:
        assert (await session.get(Draft, draft)).state == "cancelled"
    await bot.click(
        user="U_ALICE",
        channel=channel.id,
        ts=card,
        actions=[{"action_id": ActionId.POST_ANYWAY, "value": draft, "block_id": "w"}],
    )
    await bot.fake.wait_for(
        lambda: any("already posted or cancelled" in e.text for e in bot.fake.ephemerals)
    )
    assert not any("Customer update" in m.text for m in bot.fake.messages(channel.id))
    assert "customer_update_posted" not in await kinds(bot, channel)


async def test_typing_a_title_preselects_the_matching_playbook(bot):
    from sandbox.slack import block_actions_payload

    status, _, _ = await bot.command("declare", user="U_ALICE")
    await bot.fake.wait_for(lambda: len(bot.fake.views) == 1)
    view_id, stored = next(iter(bot.fake.views.items()))
    typed = {BlockId.TITLE: {ActionId.TITLE: {"type": "plain_text_input", "value": "Bad deploy"}}}
    view = {**stored.to_json(), "state": {"values": typed}}
    payload = block_actions_payload(
        bot.fake,
        user_id="U_ALICE",
        view=view,
        actions=[
            {
                "action_id": ActionId.TITLE,
                "block_id": BlockId.TITLE,
                "type": "plain_text_input",
                "value": "Bad deploy",
            }
        ],
    )
    status, _ = await bot.interact(payload)
    assert status == 200

    def playbook_block():
        return next(
            b
            for b in bot.fake.views[view_id].view["blocks"]
            if b.get("block_id", "").startswith("playbook")
        )

    await bot.fake.wait_for(lambda: playbook_block()["block_id"] == "playbook.deploy-rollback")
    assert playbook_block()["element"]["initial_option"]["value"] == "deploy-rollback"
    values = {
        BlockId.TITLE: {ActionId.TITLE: {"value": "Bad deploy"}},
        BlockId.SEVERITY: {ActionId.SEVERITY: {"selected_option": {"value": "sev2"}}},
        "playbook.deploy-rollback": {
            ActionId.PLAYBOOK: {"selected_option": {"value": "deploy-rollback"}}
        },
    }
    await bot.submit(user="U_ALICE", callback_id=CallbackId.DECLARE, values=values, view_id=view_id)
    await bot.fake.wait_for(
        lambda: any(c.name.endswith("bad-deploy") for c in bot.fake.channels.values())
    )
    channel = next(c for c in bot.fake.channels.values() if c.name.endswith("bad-deploy"))
    await bot.fake.wait_for(lambda: len(phases(bot, channel)) == 3)


async def test_send_posts_a_scripted_message_to_its_audience_records_it_and_ticks_it(
    fake, tmp_path
):
    from bot.blocks.ids import step_block_id
    from bot.clock import ManualClock
    from bot.domain.timers import TimerKind, timer_id
    from storage.models import Timer
    from tests.harness import running_bot

    clock = ManualClock()
    async with running_bot(fake, tmp_path, playbook_pack="quickmela", clock=clock) as bot:
        channel = await bot.declare("sev1 Refunds executed twice --playbook refund-incorrect")

        def communicate():
            return [
                m
                for m in fake.messages(channel.id)
                if "*Communicate*" in json.dumps(m.blocks, ensure_ascii=False)
                and "after *Communicate*" not in json.dumps(m.blocks, ensure_ascii=False)
            ]

        await fake.wait_for(communicate)
        [phase] = communicate()
        block = step_block_id("refund-incorrect", 1, 0)
        row = next(b for b in phase.blocks if b.get("block_id") == block)
        send = row["elements"][0]
        assert (send["action_id"], send["text"]["text"]) == (ActionId.STEP_SEND, "Send")
        clock.advance(120)
        await bot.click(
            user="U_ALICE",
            channel=channel.id,
            ts=phase.ts,
            actions=[{"action_id": ActionId.STEP_SEND, "block_id": block, "value": send["value"]}],
        )

        def sent():
            return [m for m in fake.messages(channel.id) if "Customer update (Buyers)" in m.text]

        await fake.wait_for(sent)
        [message] = sent()
        assert "Refund delayed due to system verification." in message.text
        await fake.wait_for(
            lambda: (
                "done by <@U_ALICE>"
                in json.dumps(fake.find_message(channel.id, phase.ts).blocks, ensure_ascii=False)
            )
        )
        async with bot.db.reader() as session:
            incident = await repo.get_by_channel(session=session, channel_id=channel.id)
            events = list(await repo.timeline(session=session, incident=incident.id))
            customer = await session.get(Timer, timer_id(incident.id, TimerKind.CUSTOMER_UPDATE))
        [update] = [e for e in events if e.kind == "customer_update_posted"]
        assert update.data["audience"] == "buyer"
        assert [e.kind for e in events].count("step_completed") == 1
        # The customer-update clock restarts from the message (SEV-1: every 60 min).
        assert customer.due_at == update.at + timedelta(minutes=60)

        # A second click (say, on an old copy of the message) sends nothing again.
        await bot.click(
            user="U_BOB",
            channel=channel.id,
            ts=phase.ts,
            actions=[{"action_id": ActionId.STEP_SEND, "block_id": block, "value": send["value"]}],
        )
        await fake.wait_for(
            lambda: any("already sent" in e.text and e.user == "U_BOB" for e in fake.ephemerals)
        )
        assert len(sent()) == 1
        async with bot.db.reader() as session:
            again = list(await repo.timeline(session=session, incident=incident.id))
        assert [e.kind for e in again].count("customer_update_posted") == 1


async def test_an_ordered_playbook_asks_before_a_step_is_ticked_ahead_of_open_ones(fake, tmp_path):
    from tests.harness import running_bot

    # QuickMela: "Disable first, fix second". Resolve's first step while Immediate action
    # still has open steps.
    async with running_bot(fake, tmp_path, playbook_pack="quickmela") as bot:
        channel = await bot.declare("sev1 Refunds executed twice --playbook refund-incorrect")

        def resolve_phase():
            return [
                m
                for m in fake.messages(channel.id)
                if "Resolve" in json.dumps(m.blocks) and m.ts not in channel.pins  # not the card
            ]

        await fake.wait_for(resolve_phase)
        [phase] = resolve_phase()
        block = step_block_id("refund-incorrect", 2, 0)
        done = {"action_id": ActionId.STEP_DONE, "block_id": block, "value": "refund-incorrect|2|0"}
        await bot.click(user="U_ALICE", channel=channel.id, ts=phase.ts, actions=[done])

        def asked():
            return [
                e
                for e in fake.ephemerals
                if "comes after steps still open" in e.text + json.dumps(e.blocks)
            ]

        await fake.wait_for(asked)
        [question] = asked()
        rendered = json.dumps(question.blocks, ensure_ascii=False)
        assert "Disable ENABLE_AUTO_REFUNDS (auto_refund_enabled)" in rendered
        assert "Done anyway" in rendered
        async with bot.db.reader() as session:
            incident = await repo.get_by_channel(session=session, channel_id=channel.id)
            kinds = [e.kind for e in await repo.timeline(session=session, incident=incident.id)]
        assert "step_completed" not in kinds  # nothing ticked yet

        anyway = {**done, "action_id": ActionId.STEP_DONE_ANYWAY}
        await bot.click(user="U_ALICE", channel=channel.id, ts=phase.ts, actions=[anyway])
        await fake.wait_for(
            lambda: (
                "done by <@U_ALICE>" in json.dumps(fake.find_message(channel.id, phase.ts).blocks)
            )
        )
        async with bot.db.reader() as session:
            kinds = [e.kind for e in await repo.timeline(session=session, incident=incident.id)]
        assert kinds.count("step_completed") == 1


async def test_a_monitoring_step_starts_its_window_once_and_asks_for_stability_at_its_end(
    fake, tmp_path
):
    from bot.clock import ManualClock
    from tests.harness import running_bot

    # Seed 000: "Re-enable webcast · Monitor for 5 minutes".
    clock = ManualClock()
    async with running_bot(fake, tmp_path, playbook_pack="quickmela", clock=clock) as bot:
        channel = await bot.declare("sev2 Webcast lagging --playbook live-auction-lag")

        def resolve_phase():
            return [m for m in phases(bot, channel) if "Resolve" in rendered(m)]

        await fake.wait_for(resolve_phase)
        [phase] = resolve_phase()
        block = step_block_id("live-auction-lag", 2, 3)
        row = next(b for b in phase.blocks if b.get("block_id") == block)
        start = row["elements"][0]
        assert (start["action_id"], start["text"]["text"]) == (
            ActionId.STEP_MONITOR,
            "Start monitoring (5 min)",
        )
        assert "👀 monitor for 5 min" in rendered(phase)
        click = {"action_id": ActionId.STEP_MONITOR, "block_id": block, "value": start["value"]}

        def lines(fragment):
            return [m.text for m in fake.messages(channel.id) if fragment in m.text]

        await bot.click(user="U_BOB", channel=channel.id, ts=phase.ts, actions=[click])
        await fake.wait_for(lambda: lines("started monitoring"))
        until = clock() + timedelta(minutes=5)
        assert lines("started monitoring") == [
            f":eyes: <@U_BOB> started monitoring *Monitor for 5 minutes* for 5 min, until "
            f"{until:%Y-%m-%d %H:%M} UTC."
        ]
        await bot.click(user="U_ALICE", channel=channel.id, ts=phase.ts, actions=[click])
        await fake.wait_for(lambda: any("already runs until" in e.text for e in fake.ephemerals))
        clock.advance(299)
        await bot.run_due_timers()
        assert not lines("of monitoring for")
        clock.advance(1)
        await bot.run_due_timers()
        await fake.wait_for(lambda: lines("of monitoring for"))
        assert lines("of monitoring for") == [
            ":eyes: The 5 min of monitoring for *Monitor for 5 minutes* are over. <@U_BOB>: if "
            "everything stayed stable, mark the step done; if not, say what you saw with "
            "`/incident update`."
        ]
        assert (await kinds(bot, channel)).count("monitoring_started") == 1


async def test_each_review_after_resolution_is_reminded_ahead_of_its_deadline(fake, tmp_path):
    from bot.clock import ManualClock
    from tests.harness import running_bot

    # Seed 004: the incident report within 24 hours, preventive measures within a week,
    # a review of their effectiveness within a month.
    clock = ManualClock()
    async with running_bot(fake, tmp_path, playbook_pack="prod-100k", clock=clock) as bot:
        channel = await bot.declare("p3 Slow search suggestions")
        await bot.command("resolve Cache warmed", channel=channel.id)
        await fake.wait_for(lambda: [m for m in fake.messages(channel.id) if "resolved" in m.text])
        resolved = clock()

        def reminders():
            return [m.text for m in fake.messages(channel.id) if m.text.startswith(":memo:")]

        for hours in (12, 6 * 24, 29 * 24):
            clock.set(resolved + timedelta(hours=hours))
            await bot.run_due_timers()
        await fake.wait_for(lambda: len([t for t in reminders() if "due by" in t]) == 3)
        due = [t for t in reminders() if "due by" in t]
        assert [t.split("*")[3] for t in due] == [
            "Complete the incident report",
            "Implement the preventive measures",
            "Review the effectiveness of the changes",
        ]
        assert f"*{resolved + timedelta(hours=24):%Y-%m-%d %H:%M} UTC*" in due[0]


async def test_recovery_validation_is_posted_when_monitoring_starts_and_not_again(fake, tmp_path):
    from tests.harness import running_bot

    # Seed 004's recovery-validation checklists are for checking the recovery, so they come
    # with monitoring; the post-incident review list comes on resolve.
    async with running_bot(fake, tmp_path, playbook_pack="prod-100k") as bot:
        channel = await bot.declare("p2 Search results stale")

        def titles():
            return [m.text for m in fake.messages(channel.id) if m.text.startswith("Recovery")]

        await bot.command("status monitoring", channel=channel.id)
        await fake.wait_for(lambda: len(titles()) == 3)
        assert titles() == [
            "Recovery validation: service restoration",
            "Recovery validation: user experience",
            "Recovery validation: business functions",
        ]
        for command in ("status investigating", "status monitoring", "resolve Rebuilt it"):
            await bot.command(command, channel=channel.id)
            await fake.wait_for(lambda: not bot.intake.working)  # handled, in this order
        await fake.wait_for(
            lambda: any(m.text == "Post-incident review process" for m in fake.messages(channel.id))
        )
        assert len(titles()) == 3


async def test_a_step_that_comes_after_another_asks_before_it_is_ticked_first(fake, tmp_path):
    from tests.harness import running_bot

    # Seed 002, Scenario A: stop, revert, then verify. The playbook is not ordered; the
    # steps name the ones they come after.
    async with running_bot(fake, tmp_path, playbook_pack="defcon") as bot:
        channel = await bot.declare("defcon2 Bad deploy broke search --playbook bad-deploy")
        await fake.wait_for(lambda: phases(bot, channel))
        [recover] = [m for m in phases(bot, channel) if "*Recover*" in rendered(m)]
        assert "after: Revert: git revert main or vercel rollback" in rendered(recover)
        block = step_block_id("bad-deploy", 0, 2)
        done = {"action_id": ActionId.STEP_DONE, "block_id": block, "value": "bad-deploy|0|2"}
        await bot.click(user="U_ALICE", channel=channel.id, ts=recover.ts, actions=[done])

        def asked():
            return [e for e in fake.ephemerals if "comes after steps still open" in e.text]

        await fake.wait_for(asked)
        [question] = asked()
        assert "• Revert: git revert main or vercel rollback" in rendered(question)
        assert "Stop: do not try" not in rendered(question)  # Verify names Revert only
        assert "step_completed" not in await kinds(bot, channel)


async def test_a_customer_update_can_name_its_audience_even_when_held_for_wording(fake, tmp_path):
    from tests.harness import running_bot

    # Seed 000 writes to buyers and sellers separately; "bug" is a word it avoids.
    async with running_bot(fake, tmp_path, playbook_pack="quickmela") as bot:
        channel = await bot.declare("sev2 Payouts delayed")
        await bot.command("update --customer --to sellers Payouts are delayed", channel=channel.id)
        _, _, held = await bot.command(
            "update --customer --to buyer A bug delays refunds", channel=channel.id
        )
        _, _, bad = await bot.command("update --customer --to press Hello", channel=channel.id)
        [warning] = await bot.replies(held)
        [unknown] = await bot.replies(bad)
        assert (
            unknown["text"] == "`press` is not an audience. Audiences: `buyer`, `seller`, `users`."
        )
        draft = next(
            e["value"]
            for b in warning["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == ActionId.POST_ANYWAY
        )
        await bot.click(
            user="U_ALICE",
            channel=channel.id,
            ts="1.000001",
            actions=[{"action_id": ActionId.POST_ANYWAY, "value": draft, "block_id": "w"}],
        )

        def updates():
            return [m.text for m in fake.messages(channel.id) if "Customer update (" in m.text]

        await fake.wait_for(lambda: len(updates()) == 2)
        assert sorted(updates()) == [
            "Customer update (Buyers): A bug delays refunds",
            "Customer update (Sellers): Payouts are delayed",
        ]
        async with bot.db.reader() as session:
            incident = await repo.get_by_channel(session=session, channel_id=channel.id)
            events = await repo.timeline(session=session, incident=incident.id)
        posted = [e.data["audience"] for e in events if e.kind == "customer_update_posted"]
        assert sorted(posted) == ["buyer", "seller"]


async def test_an_empty_customer_update_offers_the_pack_s_wording_and_posts_nothing(bot):
    channel = await bot.declare()
    reply = await first_reply(bot, "update --customer", channel)
    assert reply["text"] == (
        "Give the update: `/incident update --customer [--to &lt;audience&gt;] &lt;text&gt;`. "
        f"This pack's wording to start from: {bot.pack.comms.template}"
    )
    assert "customer_update_posted" not in await kinds(bot, channel)
