"""Follow-ups through the fake Slack: add, list, Done/Reopen, the incident log, and the
due-date reminder (once across two replicas, nothing when done, still after resolve)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.blocks.ids import ActionId
from bot.clock import ManualClock
from storage import repo
from tests.harness import running_bot

WED_1000 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
DUE = ":spiral_calendar_pad:"


def posts(fake, channel, start):
    return [m for m in fake.messages(channel.id) if m.text.startswith(start)]


async def follow_up_events(bot, channel):
    async with bot.db.reader() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        events = await repo.timeline(session=session, incident=incident.id)
    return [(e.kind, e.actor, e.text) for e in events if e.kind.startswith("follow_up")]


async def click(bot, channel, message, action, *, user):
    block = next(b for b in message.blocks if b.get("type") == "actions")
    button = next(e for e in block["elements"] if e["action_id"] == action)
    status, _ = await bot.click(
        user=user,
        channel=channel.id,
        ts=message.ts,
        actions=[{**button, "block_id": block["block_id"], "type": "button"}],
    )
    assert status == 200


async def test_add_list_done_reopen_and_the_log(fake, tmp_path):
    clock = ManualClock(WED_1000)
    async with running_bot(fake, tmp_path, clock=clock) as bot:
        channel = await bot.declare()
        _, _, bad = await bot.command("follow-up Fix it due next week", channel=channel.id)
        await bot.command(
            "follow-up Add an alert on duplicate refunds <@U_BOB|bob> due friday",
            channel=channel.id,
        )
        await fake.wait_for(lambda: len(posts(fake, channel, "Follow-up:")) == 1)
        await bot.command("follow-up Write the refund runbook", channel=channel.id)
        await fake.wait_for(lambda: len(posts(fake, channel, "Follow-up:")) == 2)
        [refused] = await bot.replies(bad)
        assert refused["text"].startswith("I can't read the due date `next week`. Say it as")
        alert, runbook = posts(fake, channel, "Follow-up:")
        assert alert.text == (
            "Follow-up: :spiral_note_pad: *Add an alert on duplicate refunds* · owner <@U_BOB> "
            "· due 2026-03-06"
        )

        await click(bot, channel, alert, ActionId.FOLLOW_UP_DONE, user="U_CAROL")
        done = "~ · done by <@U_CAROL> at 2026-03-04 10:00 UTC"
        await fake.wait_for(lambda: done in fake.find_message(channel.id, alert.ts).text)
        await click(bot, channel, alert, ActionId.FOLLOW_UP_DONE, user="U_DAVE")
        await fake.wait_for(lambda: any("already done" in e.text for e in fake.ephemerals))
        [again] = [e for e in fake.ephemerals if "already done" in e.text]
        assert (again.user, again.text) == (
            "U_DAVE",
            "That follow-up is already done (by <@U_CAROL> at 2026-03-04 10:00 UTC). "
            "*Reopen* it if it needs more work.",
        )
        clock.advance(60)
        await click(bot, channel, alert, ActionId.FOLLOW_UP_REOPEN, user="U_BOB")
        await fake.wait_for(lambda: "done by" not in fake.find_message(channel.id, alert.ts).text)
        await click(bot, channel, runbook, ActionId.FOLLOW_UP_DONE, user="U_ALICE")
        await fake.wait_for(lambda: "done by" in fake.find_message(channel.id, runbook.ts).text)
        assert await follow_up_events(bot, channel) == [
            (
                "follow_up_added",
                "U_ALICE",
                "Add an alert on duplicate refunds · owner <@U_BOB> · due 2026-03-06",
            ),
            ("follow_up_added", "U_ALICE", "Write the refund runbook · owner <@U_ALICE>"),
            ("follow_up_done", "U_CAROL", "Add an alert on duplicate refunds"),
            ("follow_up_reopened", "U_BOB", "Add an alert on duplicate refunds"),
            ("follow_up_done", "U_ALICE", "Write the refund runbook"),
        ]

        _, _, listed = await bot.command("follow-ups", channel=channel.id)
        [shown] = await bot.replies(listed)
        assert shown["text"] == f"Follow-ups of {_id(bot, channel)}: 1 open"
        rows = [(b["text"]["text"], b["accessory"]["action_id"]) for b in shown["blocks"][1:]]
        assert rows == [
            (
                ":spiral_note_pad: *Add an alert on duplicate refunds* · owner <@U_BOB> "
                "· due 2026-03-06",
                "follow_up_done",
            ),
            (
                ":white_check_mark: ~*Write the refund runbook* · owner <@U_ALICE> · no due "
                "date~ · done by <@U_ALICE> at 2026-03-04 10:01 UTC",
                "follow_up_reopen",
            ),
        ]

        await bot.command("log", channel=channel.id)
        await fake.wait_for(lambda: posts(fake, channel, "*Incident log:"))
        [log] = [m.text for m in posts(fake, channel, "*Incident log:")]
        start = log.index("*Preventive Actions:*")
        assert log[start : log.index("\n\n", start)] == (
            "*Preventive Actions:* • Add an alert on duplicate refunds "
            "(follow-up, open · owner Bob · due 2026-03-06)"
        )


def _id(bot, channel):
    return next(m for m in bot.fake.messages(channel.id) if m.metadata).metadata["event_payload"][
        "incident_id"
    ]


async def test_the_due_reminder_fires_once_across_replicas_even_after_resolve(fake, tmp_path):
    clock = ManualClock(WED_1000)
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    async with (
        running_bot(fake, tmp_path, database_url=url, clock=clock) as a,
        running_bot(fake, tmp_path, database_url=url, clock=clock) as b,
    ):
        channel = await a.declare()
        await a.command("follow-up Add an alert <@U_BOB> due tomorrow", channel=channel.id)
        await a.command("follow-up Drop the retry loop due tomorrow", channel=channel.id)
        await fake.wait_for(lambda: len(posts(fake, channel, "Follow-up:")) == 2)
        _, dropped = posts(fake, channel, "Follow-up:")
        await click(a, channel, dropped, ActionId.FOLLOW_UP_DONE, user="U_ALICE")
        await fake.wait_for(lambda: "done by" in fake.find_message(channel.id, dropped.ts).text)
        await a.command("resolve Rolled back", channel=channel.id)
        await fake.wait_for(lambda: posts(fake, channel, ":white_check_mark: <@U_ALICE> resolved"))

        async def fire_due_at(when):
            clock.set(when)
            await asyncio.gather(a.run_due_timers(), b.run_due_timers())

        await fire_due_at(datetime(2026, 3, 5, 8, 59, tzinfo=UTC))
        assert posts(fake, channel, DUE) == []
        for minutes in (0, 1, 60):
            await fire_due_at(datetime(2026, 3, 5, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes))
        await fake.wait_for(lambda: posts(fake, channel, DUE))
        assert [m.text for m in posts(fake, channel, DUE)] == [
            f"{DUE} <@U_BOB>, follow-up due today: Add an alert"
        ]
        await fire_due_at(datetime(2026, 3, 7, 12, 0, tzinfo=UTC))  # the retrospective reminder
        await fake.wait_for(lambda: posts(fake, channel, ":memo:"))
        [retro] = [m.text for m in posts(fake, channel, ":memo:") if "retrospective" in m.text]
        assert retro.endswith(
            "1 follow-up(s) still open (`/incident follow-ups`):\n"
            "• Add an alert · <@U_BOB> · due 2026-03-05"
        )
        kinds = [k for k, _, _ in await follow_up_events(a, channel)]
        assert kinds.count("follow_up_reminded") == 1
