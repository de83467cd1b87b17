"""`GET /metrics`: a real bot against the fake Slack does things, then is scraped over HTTP
and the text parsed with prometheus-client's own parser; every count is exact."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.clock import ManualClock
from bot.rate_limits import ManualTimebase
from sandbox.slack import FakeSlack
from storage.db import Database
from tests.harness import Bot, running_bot
from tests.processes import BotProcess

FAST = str(Path(__file__).resolve().parent / "packs" / "fast.yml")
MORNING = datetime(2026, 3, 2, 8, 59, tzinfo=UTC)  # a minute before the pack's checklist
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none"


@dataclass
class Scrape:
    """One scrape: every sample by name and labels."""

    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]

    def value(self, name: str, **labels: str) -> float | None:
        """The sample with exactly these labels, or None when there is no such series."""
        return self.samples.get((name, frozenset(labels.items())))

    def series(self, name: str) -> dict[frozenset[tuple[str, str]], float]:
        """Every sample of one name, by its labels."""
        return {labels: v for (n, labels), v in self.samples.items() if n == name}


async def scrape(bot: Bot) -> Scrape:
    """GET /metrics over HTTP and parse it as Prometheus would."""
    async with bot.http.get(f"{bot.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return parsed(await response.text())


def parsed(text: str) -> Scrape:
    """The samples of a scrape, read with prometheus-client's parser."""
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return Scrape(samples)


async def scrape_when(bot: Bot, ready: Callable[[Scrape], bool]) -> Scrape:
    """Scrape until `ready` holds (what is counted after an answer lags it a little)."""
    found: list[Scrape] = []

    async def check() -> bool:
        found[:] = [await scrape(bot)]
        return ready(found[0])

    await until(bot.fake, check)
    return found[0]


async def until(fake: FakeSlack, check: Callable[[], Awaitable[bool]]) -> None:
    """Wait until `check` holds (a few seconds at most), checking as the fake Slack moves."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while not await check():
        assert loop.time() < deadline, "the metrics never showed it"
        await fake.next_change(0.02)


def declared(fake: FakeSlack, suffix: str) -> bool:
    return any(c.name.endswith(suffix) and c.pins for c in fake.channels.values())


async def test_a_declaration_is_counted_and_the_open_incidents_come_from_the_database(
    fake, tmp_path
):
    async with running_bot(fake, tmp_path) as bot:
        before = await scrape(bot)
        assert before.series("incident_bot_request_ack_seconds_count") == {}
        assert before.value("incident_bot_open_incidents", severity="sev1") == 0
        await bot.declare("sev1 Payments down")
        await bot.declare("sev2 Search slow")
        after = await scrape(bot)
    assert after.value("incident_bot_request_ack_seconds_count", kind="command") == 2
    assert after.value("incident_bot_request_ack_seconds_bucket", kind="command", le="+Inf") == 2
    assert after.value("incident_bot_request_ack_seconds_sum", kind="command") > 0
    severities = {
        dict(labels)["severity"]: v
        for labels, v in after.series("incident_bot_open_incidents").items()
    }
    assert severities == {s.id: 0 for s in bot.pack.severities} | {"sev1": 1, "sev2": 1}
    calls = "incident_bot_slack_calls_total"
    assert after.value(calls, method="conversations.create", outcome="ok") == 2
    assert after.value(calls, method="pins.add", outcome="ok") == 2
    assert after.series("incident_bot_slack_errors_total") == {}
    assert after.series("incident_bot_requests_rejected_total") == {}


async def test_slack_errors_are_counted_by_method_and_slack_s_code(fake, tmp_path):
    async with running_bot(fake, tmp_path) as bot:
        fake.fail_next("conversations.setTopic", "too_long")
        status, _, _ = await bot.command("declare sev2 Topic refused")
        assert status == 200
        found = await scrape_when(
            bot,
            lambda s: (
                s.value(
                    "incident_bot_slack_errors_total",
                    method="conversations.setTopic",
                    error="too_long",
                )
                is not None
            ),
        )
    errors = found.series("incident_bot_slack_errors_total")
    assert errors == {frozenset({("method", "conversations.setTopic"), ("error", "too_long")}): 1}
    assert (
        found.value(
            "incident_bot_slack_calls_total", method="conversations.setTopic", outcome="error"
        )
        == 1
    )


async def test_a_429_is_counted_with_its_retry_after_on_the_pacer_s_clock(fake, tmp_path):
    time = ManualTimebase()
    async with running_bot(fake, tmp_path, timebase=time, slack_pacing=True) as bot:
        fake.rate_limit_next("pins.add", retry_after=30)
        status, _, _ = await bot.command("declare sev2 Pins are rate limited")
        assert status == 200
        await fake.wait_for(lambda: time.next_deadline is not None)  # waiting out the 429
        time.advance(30)
        await fake.wait_for(lambda: declared(fake, "pins-are-rate-limited"))
        found = await scrape_when(
            bot,
            lambda s: (
                s.value("incident_bot_slack_calls_total", method="pins.add", outcome="ok") == 1
            ),
        )
    assert found.value("incident_bot_slack_rate_limited_total", method="pins.add") == 1
    assert found.value("incident_bot_slack_retry_wait_seconds_total", method="pins.add") == 30
    assert found.series("incident_bot_slack_errors_total") == {}  # retried: one ok call


async def test_a_429_is_counted_when_slack_sdk_retries_it_unpaced(fake, tmp_path):
    async with running_bot(fake, tmp_path) as bot:  # SLACK_PACING off: slack_sdk retries
        fake.rate_limit_next("pins.add", retry_after=0)
        await bot.declare("sev2 Unpaced rate limit")
        found = await scrape(bot)
    assert found.value("incident_bot_slack_rate_limited_total", method="pins.add") == 1
    # slack_sdk waits Retry-After plus up to a second of jitter.
    assert found.value("incident_bot_slack_retry_wait_seconds_total", method="pins.add") > 0
    assert found.value("incident_bot_slack_calls_total", method="pins.add", outcome="ok") == 1
    assert [c.status for c in fake.calls_to("pins.add")] == [429, 200]


async def test_alert_intake_is_counted_by_sender_format_and_outcome(fake, tmp_path):
    async with running_bot(fake, tmp_path) as bot:
        status, _ = await bot.alert("generic", {"title": "Queue stuck", "dedup_key": "q"})
        assert status == 202
        status, _ = await bot.alert("generic", {"title": "x"}, token="wrong-token-0123456789")
        assert status == 401
        status, _ = await bot.alert("nagios", {"title": "x"})
        assert status == 404
        status, _ = await bot.alert("grafana", None, raw=b"not json")
        assert status == 400
        found = await scrape(bot)
    requests = {
        tuple(sorted(labels)): value
        for labels, value in found.series("incident_bot_alert_requests_total").items()
    }
    assert requests == {
        (("format", "generic"), ("outcome", "accepted"), ("source", "monitoring")): 1,
        (("format", "generic"), ("outcome", "rejected"), ("source", "unknown")): 1,
        (("format", "other"), ("outcome", "rejected"), ("source", "unknown")): 1,
        (("format", "grafana"), ("outcome", "rejected"), ("source", "monitoring")): 1,
    }
    accepted = found.series("incident_bot_alerts_accepted_total")
    assert accepted == {frozenset({("source", "monitoring"), ("format", "generic")}): 1}


async def test_timer_firings_are_counted_by_kind_with_their_lateness(fake, tmp_path):
    async with running_bot(fake, tmp_path, clock=ManualClock(MORNING), playbook_pack=FAST) as bot:
        await bot.declare("sev2 Slow reminders")  # sev2: an internal update every 3 s
        bot.clock.advance(3.5)  # due at +3 s, fired at +3.5 s
        await bot.run_due_timers()
        found = await scrape(bot)
    assert found.series("incident_bot_timer_firings_total") == {
        frozenset({("kind", "internal_update")}): 1
    }
    late = "incident_bot_timer_lateness_seconds"
    assert found.value(f"{late}_sum", kind="internal_update") == 0.5
    assert found.value(f"{late}_bucket", kind="internal_update", le="0.25") == 0
    assert found.value(f"{late}_bucket", kind="internal_update", le="0.5") == 1


async def test_requests_refused_are_counted_by_reason(fake, tmp_path):
    async with running_bot(fake, tmp_path) as bot:
        form = urlencode({"command": "/incident", "text": "list"}).encode()
        assert (await bot.post(form, content_type="application/x-www-form-urlencoded", sign=False))[
            0
        ] == 401
        assert (await bot.post(b"\xff\xfe", content_type="application/json"))[0] == 400
        assert (await bot.post(b'{"type": 5}', content_type="application/json"))[0] == 400
        found = await scrape(bot)
    rejected = "incident_bot_requests_rejected_total"
    assert found.value(rejected, reason="bad_signature") == 1
    assert found.value(rejected, reason="malformed") == 2
    assert found.series("incident_bot_request_ack_seconds_count") == {}


async def test_a_request_the_database_cannot_keep_counts_a_database_error(fake, tmp_path):
    async with running_bot(fake, tmp_path) as bot:
        broken = Database(UNREACHABLE)
        kept = bot.intake.db
        bot.intake.db = broken
        try:
            status, body, _ = await bot.command("declare sev1 Nothing kept")
        finally:
            bot.intake.db = kept
            await broken.dispose()
        assert status == 200 and "Nothing was recorded" in json.loads(body)["text"]
        found = await scrape(bot)
    assert found.value("incident_bot_requests_rejected_total", reason="not_recorded") == 1
    assert found.value("incident_bot_database_errors_total", operation="intake") == 1
    # Slack still got its ack in time: it says nothing was recorded.
    assert found.value("incident_bot_request_ack_seconds_count", kind="command") == 1


async def test_a_database_that_does_not_answer_leaves_the_gauges_out_not_the_scrape(fake, tmp_path):
    async with running_bot(fake, tmp_path) as bot:
        working = bot.db
        broken = Database(UNREACHABLE)
        bot.db = broken
        try:
            async with bot.http.get(f"{bot.url}/healthz") as response:
                assert (await response.json())["database"] == "unreachable"
            found = await scrape(bot)
        finally:
            bot.db = working
            await broken.dispose()
    errors = "incident_bot_database_errors_total"
    assert found.value(errors, operation="health") == 1
    assert found.value(errors, operation="metrics") == 1
    assert found.series("incident_bot_open_incidents") == {}


async def test_socket_mode_acks_are_counted(fake, tmp_path):
    async with running_bot(
        fake, tmp_path, slack_app_token=fake.app_token, slack_signing_secret=None
    ) as bot:
        assert "envelope_id" in await bot.socket_command("declare sev2 Over the socket")
        await fake.wait_for(lambda: declared(fake, "over-the-socket"))
        found = await scrape_when(
            bot,
            lambda s: s.value("incident_bot_request_ack_seconds_count", kind="command") == 1,
        )
    assert (
        found.value("incident_bot_slack_calls_total", method="apps.connections.open", outcome="ok")
        == 1
    )
    assert found.value("incident_bot_open_incidents", severity="sev2") == 1


async def test_two_bots_in_one_process_count_apart(fake, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    async with (
        running_bot(fake, tmp_path / "a") as first,
        running_bot(fake, tmp_path / "b") as second,
    ):
        status, _, _ = await first.command("help")
        assert status == 200
        counted = await scrape_when(
            first,
            lambda s: s.value("incident_bot_request_ack_seconds_count", kind="command") == 1,
        )
        other = await scrape(second)
    assert counted.value("incident_bot_request_ack_seconds_count", kind="command") == 1
    assert other.series("incident_bot_request_ack_seconds_count") == {}


async def test_a_bot_process_serves_metrics_without_created_series(fake, tmp_path):
    bot = BotProcess(fake, f"sqlite:///{tmp_path / 'bot.db'}", "default", tmp_path / "bot.log")
    await bot.start()
    try:
        assert await bot.command("declare sev3 Metrics from a process") == 200
        await fake.wait_for(lambda: declared(fake, "metrics-from-a-process"))
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{bot.port}/metrics") as response:
                text = await response.text()
    finally:
        await asyncio.get_running_loop().run_in_executor(None, bot.terminate)
    found = parsed(text)
    assert found.value("incident_bot_request_ack_seconds_count", kind="command") == 1
    assert found.value("incident_bot_open_incidents", severity="sev3") == 1
    assert not [name for name, _ in found.samples if name.endswith("_created")]
