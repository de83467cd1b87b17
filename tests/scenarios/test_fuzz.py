"""Property-based fuzzing of /slack/events: never a 5xx, and a rejected request changes nothing.

The bot and the fake Slack run on their own event loop in a thread, so Hypothesis can drive
plain synchronous HTTP requests at the real endpoint.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
import urllib.error
import urllib.request
from contextlib import AsyncExitStack
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.slack import FakeSlack, sign_request, slash_command_form
from storage import repo
from tests.harness import SECRET, running_bot

# Derandomized, without an example database: the same examples on every run, so the file
# takes the same few seconds each time and a failure is reproducible, never a one-off.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
SHAPED = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [
                "block_actions",
                "view_submission",
                "event_callback",
                "shortcut",
                "view_closed",
                "block_suggestion",
                "message_action",
                "nonsense",
            ]
        ),
    },
    optional={
        "user": JSON | st.fixed_dictionaries({"id": st.text(max_size=8)}),
        "actions": JSON
        | st.lists(
            st.fixed_dictionaries(
                {
                    "action_id": st.sampled_from(
                        [
                            "step_done",
                            "step_skip",
                            "attach_playbook",
                            "customer_post_anyway",
                            "checklist_tick",
                            "x",
                        ]
                    ),
                    "block_id": st.text(max_size=30),
                    "value": st.text(max_size=30),
                }
            ),
            max_size=2,
        ),
        "view": JSON
        | st.fixed_dictionaries(
            {
                "callback_id": st.just("incident_declare"),
                "state": st.fixed_dictionaries({"values": JSON}),
            }
        ),
        "event": JSON,
        "channel": JSON,
        "container": JSON,
    },
)


class ThreadedBot:
    """The real bot and fake Slack on a background loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.stop_event: asyncio.Event | None = None
        self.thread = threading.Thread(
            target=self.loop.run_until_complete, args=(self._main(),), daemon=True
        )

    async def _main(self) -> None:
        self.stop_event = asyncio.Event()
        async with AsyncExitStack() as stack:
            self.fake = FakeSlack()
            await self.fake.start()
            stack.push_async_callback(self.fake.stop)
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            self.bot = await stack.enter_async_context(running_bot(self.fake, tmp))
            self.general = self.fake.channel_by_name("general").id
            self.ready.set()
            await self.stop_event.wait()

    def start(self) -> None:
        self.thread.start()
        assert self.ready.wait(30), "bot did not start"

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(30)

    def call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def post(self, body: bytes, *, content_type: str, signed: bool = True) -> int:
        headers = {"Content-Type": content_type}
        if signed:
            headers.update(sign_request(body, SECRET))
        request = urllib.request.Request(
            f"{self.bot.url}/slack/events", data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def settle(self) -> None:
        """Wait until every delivery acknowledged so far has been handled, so that what an
        earlier example set off cannot change the state while this one is checked."""
        self.call(self.fake.wait_for(lambda: not self.bot.intake.working))

    def snapshot(self) -> tuple[int, int, int, int]:
        async def take():
            async with self.bot.db.session() as session:
                incidents = await repo.count_incidents(session=session)
            messages = sum(len(c.messages) for c in self.fake.channels.values())
            return incidents, len(self.fake.channels), messages, len(self.fake.views)

        return self.call(take())


@pytest.fixture(scope="module")
def threaded_bot():
    bot = ThreadedBot()
    bot.start()
    yield bot
    bot.stop()


def check(bot: ThreadedBot, body: bytes, content_type: str, *, signed: bool = True) -> None:
    bot.settle()
    before = bot.snapshot()
    status = bot.post(body, content_type=content_type, signed=signed)
    assert status < 500, (status, body[:200])
    if status >= 400:
        assert bot.snapshot() == before, (status, body[:200])
    if not signed:
        assert status == 401


@FUZZ
@given(text=st.text(max_size=300))
def test_any_command_text(threaded_bot, text):
    form = slash_command_form(threaded_bot.fake, text=text, channel_id=threaded_bot.general)
    check(threaded_bot, urlencode(form).encode(), "application/x-www-form-urlencoded")


@FUZZ
@given(payload=JSON | SHAPED)
def test_any_interactivity_payload(threaded_bot, payload):
    body = urlencode({"payload": json.dumps(payload)}).encode()
    check(threaded_bot, body, "application/x-www-form-urlencoded")


@FUZZ
@given(fields=st.dictionaries(st.text(max_size=15), st.text(max_size=40), max_size=6))
def test_any_form_shape(threaded_bot, fields):
    check(threaded_bot, urlencode(fields).encode(), "application/x-www-form-urlencoded")


@FUZZ
@given(body=st.binary(max_size=300) | JSON.map(lambda v: json.dumps(v).encode()))
def test_any_raw_body(threaded_bot, body):
    check(threaded_bot, body, "application/json")


@FUZZ
@given(body=st.binary(max_size=200))
def test_unsigned_bodies_are_401_and_change_nothing(threaded_bot, body):
    check(threaded_bot, body, "application/x-www-form-urlencoded", signed=False)


def test_still_healthy_after_fuzzing(threaded_bot):
    threaded_bot.settle()
    with urllib.request.urlopen(f"{threaded_bot.bot.url}/healthz", timeout=10) as response:
        assert response.status == 200
        health = json.loads(response.read())
    assert health["ok"] is True, health
