"""SIGTERM finishes acknowledged work and exits 0; tokens never reach the logs."""

import asyncio
import time

from tests.processes import BotProcess


async def test_sigterm_finishes_in_flight_declaration_and_exits_0(fake, tmp_path):
    log = tmp_path / "bot.log"
    bot = BotProcess(fake, f"sqlite:///{tmp_path / 'bot.db'}", "default", log)
    bot.env["LOG_LEVEL"] = "DEBUG"
    await bot.start()
    fake.latency = 0.4  # each Slack call is slow, so setup is still running at SIGTERM
    assert await bot.command("declare sev1 Shutdown drill") == 200
    await asyncio.sleep(0.2)
    started = time.monotonic()
    code = await asyncio.get_running_loop().run_in_executor(None, bot.terminate)
    assert code == 0
    assert time.monotonic() - started < 10
    channel = next(c for c in fake.channels.values() if c.name.endswith("shutdown-drill"))
    assert channel.pins, "the card was not posted before exit"
    text = log.read_text()
    assert "Authorization" in text  # DEBUG logged the requests…
    assert "xoxb-test" not in text  # …but never the token


async def test_socket_mode_retries_apply_once(fake, tmp_path):
    from tests.fakeslack import event_callback
    from tests.harness import running_bot

    async with running_bot(
        fake, tmp_path, slack_app_token=fake.app_token, slack_signing_secret=None
    ) as bot:
        await fake.wait_socket_connected()
        channel = await _declare_over_socket(fake)
        fake.channels[channel.id].members.add("U_CAROL")
        event = event_callback(
            fake,
            {"type": "member_joined_channel", "user": "U_CAROL", "channel": channel.id},
            event_id="EvSock1",
        )
        await fake.socket_send("events_api", event)
        await fake.socket_send("events_api", event, retry_attempt=1, retry_reason="timeout")
        await fake.wait_for(lambda: any(e.user == "U_CAROL" for e in fake.ephemerals))
        await asyncio.sleep(0.3)
        assert sum(e.user == "U_CAROL" for e in fake.ephemerals) == 1
        assert bot.settings.socket_mode


async def _declare_over_socket(fake):
    from tests.fakeslack import slash_command_form

    general = fake.channel_by_name("general")
    await fake.socket_send(
        "slash_commands",
        slash_command_form(fake, text="declare sev2 Socket retry", channel_id=general.id),
    )
    await fake.wait_for(
        lambda: any(c.name.endswith("socket-retry") and c.pins for c in fake.channels.values())
    )
    return next(c for c in fake.channels.values() if c.name.endswith("socket-retry"))
