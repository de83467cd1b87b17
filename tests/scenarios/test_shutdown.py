"""SIGTERM finishes acknowledged work and exits 0; tokens never reach the logs."""

import asyncio
import json
import time

from storage import repo
from storage.db import Database
from tests.processes import BotProcess

SLOW_SLACK = 0.25  # seconds per Web API call while the declaration is set up


async def test_sigterm_finishes_in_flight_declaration_and_exits_0(fake, tmp_path):
    log = tmp_path / "bot.log"
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    bot = BotProcess(fake, url, "default", log)
    bot.env["LOG_LEVEL"] = "DEBUG"
    await bot.start()
    # Every Slack call now takes a while: once the channel exists, the setup still has
    # (at least) the invite, topic, card, announcement and pin to go, 1.25 s in all,
    # well inside the bot's 3 s drain.
    fake.latency = SLOW_SLACK
    assert await bot.command("declare sev1 Shutdown drill") == 200
    await fake.wait_for(lambda: fake.calls_to("conversations.create"))
    channel = next(c for c in fake.channels.values() if c.name.endswith("shutdown-drill"))
    incidents = fake.channel_by_name("incidents")
    assert not channel.pins, "the setup finished before SIGTERM: this proves nothing"
    started = time.monotonic()
    code = await asyncio.get_running_loop().run_in_executor(None, bot.terminate)
    assert code == 0
    assert time.monotonic() - started < 10
    # Everything the declaration does happened before the process exited.
    assert channel.pins, "the card was not posted before exit"
    assert "U_ALICE" in channel.members and channel.topic.startswith("SEV-1")
    assert any(channel.id in m.text + json.dumps(m.blocks) for m in fake.messages(incidents.id))
    replies = [p["text"] for r in fake.response_urls.values() for p in r.posts]
    assert any("is live" in text for text in replies), replies
    database = Database(url)
    try:
        async with database.reader() as session:
            incident = await repo.get_by_channel(session=session, channel_id=channel.id)
    finally:
        await database.dispose()
    assert incident.setup_state == "ready"
    text = log.read_text()
    assert "Authorization" in text  # DEBUG logged the requests…
    assert "xoxb-test" not in text  # …but never the token


async def test_socket_mode_retries_apply_once(fake, tmp_path):
    from sandbox.slack import event_callback
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
        # Both acknowledged, so the retry was already seen as one; wait until the first
        # delivery has been handled, then count.
        await fake.wait_for(lambda: not bot.intake.working)
        assert sum(e.user == "U_CAROL" for e in fake.ephemerals) == 1
        assert bot.settings.socket_mode


async def _declare_over_socket(fake):
    from sandbox.slack import slash_command_form

    general = fake.channel_by_name("general")
    await fake.socket_send(
        "slash_commands",
        slash_command_form(fake, text="declare sev2 Socket retry", channel_id=general.id),
    )
    await fake.wait_for(
        lambda: any(c.name.endswith("socket-retry") and c.pins for c in fake.channels.values())
    )
    return next(c for c in fake.channels.values() if c.name.endswith("socket-retry"))


async def test_a_timer_poll_cut_short_at_exit_is_not_logged_as_an_error(
    fake, tmp_path, caplog, monkeypatch
):
    """At shutdown the timer loop lets a poll reading the due timers finish; one still
    reading when the process exits (a slow database) is cancelled quietly, not logged by
    APScheduler as an error with a traceback."""
    import logging

    from bot import scheduler
    from bot.server import TIMERS
    from tests.harness import running_bot

    reading, never = asyncio.Event(), asyncio.Event()

    async def slow_read(**_: object) -> list[object]:
        reading.set()
        await never.wait()
        return []

    async with running_bot(fake, tmp_path) as bot:
        timers = bot.app[TIMERS]
        monkeypatch.setattr(scheduler.timers, "due_timers", slow_read)
        await asyncio.wait_for(reading.wait(), 5)
        poll = timers.ticking
        assert poll is not None
        await timers.stop(timeout=0.01)  # the read outlasts the wait
        poll.cancel()  # as the loop does at exit
        await asyncio.wait({poll}, timeout=5)
        assert poll.done() and not poll.cancelled()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
