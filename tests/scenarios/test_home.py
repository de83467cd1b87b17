"""The App Home tab through the fake Slack: what it shows after declare, hand-over and
resolve, republished on its own, and its Declare incident button."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks.ids import ActionId, CallbackId
from bot.clock import ManualClock
from sandbox.slack.payloads import app_home_opened_event, block_actions_payload
from tests.harness import running_bot

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
REMINDER = "<!date^1795357800^{date_short_pretty} {time}|2026-11-22 14:30 UTC>"


def sections(fake, user):
    home = fake.home_of(user) or {"blocks": []}
    return [b["text"]["text"] for b in home["blocks"] if b["type"] == "section"]


async def test_home_shows_the_incident_and_follows_hand_over_and_resolve(fake, tmp_path):
    clock = ManualClock(NOW)
    async with running_bot(fake, tmp_path, clock=clock, home_refresh_seconds=0.05) as bot:
        channel = await bot.declare("sev1 Refunds executed twice <!here>")
        status, _ = await bot.event(app_home_opened_event("U_BOB"))
        assert status == 200
        await fake.wait_for(lambda: fake.home_of("U_BOB") is not None)
        assert sections(fake, "U_BOB") == [
            "*Open incidents* (1)",
            f"*SEV-1* · *Refunds executed twice &lt;!here&gt;* · <#{channel.id}>\n"
            "INC-2026-11-22-001 · investigating · open <1 min · commander <@U_ALICE>\n"
            f"Last update: none yet · next reminder: {REMINDER}",
            "*My incidents*\nNone.",
            "*My open follow-ups*\nNone.",
            "*Resolved in the last 7 days*\nNone.",
        ]

        clock.advance(20 * 60)
        await bot.command("commander <@U_BOB|bob>", channel=channel.id)
        await fake.wait_for(lambda: "commander <@U_BOB>" in sections(fake, "U_BOB")[1])
        title = "Refunds executed twice &lt;!here&gt;"
        assert sections(fake, "U_BOB")[1:3] == [
            f"*SEV-1* · *{title}* · <#{channel.id}>\n"
            "INC-2026-11-22-001 · investigating · open 20 min · commander <@U_BOB>\n"
            f"Last update: none yet · next reminder: {REMINDER}",
            f"*My incidents*\n• *SEV-1* {title} · <#{channel.id}> · investigating",
        ]

        clock.advance(10 * 60)
        await bot.command("resolve Rolled back", user="U_BOB", channel=channel.id)
        await fake.wait_for(lambda: sections(fake, "U_BOB")[0] == "*Open incidents* (0)")
        assert sections(fake, "U_BOB") == [
            "*Open incidents* (0)",
            "*My incidents*\nNone.",
            "*My open follow-ups*\nNone.",
            f"*Resolved in the last 7 days*\n• *SEV-1* {title} · <#{channel.id}> · resolved "
            + REMINDER,  # resolved at 14:30, the time the first reminder was due
        ]
        assert len(fake.calls_to("views.publish")) == 3


async def test_the_home_declare_button_opens_the_declare_modal(fake, tmp_path):
    async with running_bot(fake, tmp_path) as bot:
        await bot.event(app_home_opened_event("U_CAROL"))
        await fake.wait_for(lambda: fake.home_of("U_CAROL") is not None)
        [home] = [v for v in fake.views.values() if v.type == "home"]
        action = {"action_id": ActionId.HOME_DECLARE, "block_id": "b", "value": "declare"}
        payload = block_actions_payload(
            fake, user_id="U_CAROL", actions=[action], view=home.to_json()
        )
        status, _ = await bot.interact(payload)
        assert status == 200
        await fake.wait_for(lambda: any(v.type == "modal" for v in fake.views.values()))
        [modal] = [v for v in fake.views.values() if v.type == "modal"]
        assert (modal.user, modal.view["callback_id"]) == ("U_CAROL", CallbackId.DECLARE)
        assert modal.view["title"]["text"] == "Declare an incident"


async def test_a_private_incident_is_on_the_home_only_of_those_it_involves(fake, tmp_path):
    async with running_bot(fake, tmp_path) as bot:
        await bot.command("declare sev1 Customer data exposed --private")
        await fake.wait_for(lambda: [c for c in fake.channels.values() if c.pins])
        for user in ("U_ALICE", "U_CAROL"):
            await bot.event(app_home_opened_event(user))
        await fake.wait_for(lambda: fake.home_of("U_ALICE") and fake.home_of("U_CAROL"))
        assert sections(fake, "U_ALICE")[0] == "*Open incidents* (1)"
        assert sections(fake, "U_CAROL")[0] == "*Open incidents* (0)"
        assert "Customer data exposed" not in str(fake.home_of("U_CAROL"))


async def test_a_follow_up_added_for_me_is_republished_on_my_home(fake, tmp_path):
    async with running_bot(fake, tmp_path, home_refresh_seconds=0.05) as bot:
        channel = await bot.declare("sev2 Refunds executed twice")
        await bot.event(app_home_opened_event("U_BOB"))
        await fake.wait_for(lambda: fake.home_of("U_BOB") is not None)
        assert "*My open follow-ups*\nNone." in sections(fake, "U_BOB")
        await bot.command("follow-up Add a refund idempotency key <@U_BOB>", channel=channel.id)
        await fake.wait_for(
            lambda: any("Add a refund idempotency key" in s for s in sections(fake, "U_BOB"))
        )


async def test_a_change_another_replica_made_is_republished_on_the_homes_watched_here(
    fake, tmp_path
):
    from bot.services.home import refresh_if_changed_elsewhere
    from tests.harness import copy_migrated_sqlite

    path = tmp_path / "shared.db"
    copy_migrated_sqlite(path)
    url = f"sqlite:///{path}"
    async with (
        running_bot(fake, tmp_path / "a", database_url=url, home_refresh_seconds=0.05) as here,
        running_bot(fake, tmp_path / "b", database_url=url, home_refresh_seconds=0.05) as there,
    ):
        await here.event(app_home_opened_event("U_BOB"))
        await fake.wait_for(lambda: fake.home_of("U_BOB") is not None)
        assert sections(fake, "U_BOB")[0] == "*Open incidents* (0)"
        deps = here.deps
        kw = {"db": deps.db, "slack": deps.slack, "pack": deps.pack, "clock": deps.clock}
        await refresh_if_changed_elsewhere(**kw, replica=deps.replica)  # the mark, at once
        await there.declare("sev2 Declared through the other replica")
        # This replica's own pass (every 2 s) or this call notices it; either republishes.
        await refresh_if_changed_elsewhere(**kw, replica=deps.replica)
        await fake.wait_for(lambda: sections(fake, "U_BOB")[0] == "*Open incidents* (1)")
