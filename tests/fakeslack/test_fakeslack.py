"""FakeSlack driven through the real slack_sdk clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from sandbox.slack import (
    FakeSlack,
    block_actions_payload,
    event_callback,
    message_action_payload,
    sign_request,
    slash_command_form,
    subscribed_event_callback,
    view_submission_payload,
)
from sandbox.slack.registry import METHODS


def client_for(fake: FakeSlack, token: str | None = "xoxb-test", **kwargs: Any) -> AsyncWebClient:
    """A real AsyncWebClient pointed at the fake."""
    return AsyncWebClient(token=token, base_url=fake.api_url, **kwargs)


async def slack_error(call: Awaitable[Any]) -> str:
    """Await a Web API call that must fail; return its Slack error code."""
    with pytest.raises(SlackApiError) as info:
        await call
    return str(info.value.response["error"])


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section block."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


async def test_auth_and_tokens(fake: FakeSlack) -> None:
    """auth.test identity, token errors and unknown methods."""
    resp = await client_for(fake).auth_test()
    assert (resp["user_id"], resp["team_id"], resp["bot_id"]) == ("UBOT", "T0001", "B0001")
    assert await slack_error(client_for(fake, "xoxb-wrong").auth_test()) == "invalid_auth"
    assert await slack_error(client_for(fake, None).auth_test()) == "not_authed"
    assert await slack_error(client_for(fake).api_call("nope.nope")) == "unknown_method"
    bot_on_app = client_for(fake).apps_connections_open(app_token="xoxb-test")
    assert await slack_error(bot_on_app) == "invalid_auth"
    assert [c.method for c in fake.calls].count("auth.test") == 3


async def test_create_channel_and_names(fake: FakeSlack) -> None:
    """conversations.create enforces Slack's channel-name rules."""
    fake.scopes.add("groups:write")  # manifest.yml lacks it; the private create below needs it
    client = client_for(fake)
    resp = await client.conversations_create(name="inc-42_db")
    channel = fake.channels[resp["channel"]["id"]]
    assert channel.name == "inc-42_db" and fake.bot_user_id in channel.members
    assert resp["channel"]["is_channel"] and not resp["channel"]["is_private"]
    assert await slack_error(client.conversations_create(name="inc-42_db")) == "name_taken"
    fake.channels[channel.id].is_archived = True
    assert await slack_error(client.conversations_create(name="inc-42_db")) == "name_taken"
    assert await slack_error(client.conversations_create(name="")) == "invalid_name_required"
    assert await slack_error(client.conversations_create(name="x" * 81)) == "invalid_name_maxlength"
    for bad in ("Inc-1", "inc 1", "inc.1", "inc#1"):
        assert await slack_error(client.conversations_create(name=bad)) == "invalid_name_specials"
    private = await client.conversations_create(name="x" * 80, is_private=True)
    assert fake.channels[private["channel"]["id"]].is_private


async def test_invite(fake: FakeSlack) -> None:
    """conversations.invite errors, including already_in_channel only when all are members."""
    client = client_for(fake)
    cid = (await client.conversations_create(name="inc-1"))["channel"]["id"]
    await client.conversations_invite(channel=cid, users="U_ALICE,U_BOB")
    assert fake.channels[cid].members == {"UBOT", "U_ALICE", "U_BOB"}
    assert await slack_error(client.conversations_invite(channel=cid, users="U_ALICE")) == (
        "already_in_channel"
    )
    await client.conversations_invite(channel=cid, users=["U_ALICE", "U_CAROL"])
    assert "U_CAROL" in fake.channels[cid].members
    assert await slack_error(client.conversations_invite(channel=cid, users="UBOT")) == (
        "cant_invite_self"
    )
    assert await slack_error(client.conversations_invite(channel=cid, users="U_NOPE")) == (
        "user_not_found"
    )
    assert await slack_error(client.conversations_invite(channel="C_NOPE", users="U_BOB")) == (
        "channel_not_found"
    )
    outside = fake.add_channel("outside", members=[])
    assert await slack_error(client.conversations_invite(channel=outside.id, users="U_BOB")) == (
        "not_in_channel"
    )
    await client.conversations_archive(channel=cid)
    assert await slack_error(client.conversations_invite(channel=cid, users="U_DAVE")) == (
        "is_archived"
    )


async def test_topic_purpose_info_members(fake: FakeSlack) -> None:
    """Topic/purpose setters and read-only conversation/user lookups."""
    fake.scopes |= {"users:read", "users:read.email"}  # not in manifest.yml
    client = client_for(fake)
    incidents = fake.channel_by_name("#incidents")
    assert incidents is not None
    resp = await client.conversations_setTopic(channel=incidents.id, topic="SEV1: db down")
    assert resp["channel"]["topic"]["value"] == "SEV1: db down" == incidents.topic
    assert await slack_error(client.conversations_setTopic(channel=incidents.id, topic="x" * 251))
    await client.conversations_setPurpose(channel=incidents.id, purpose="war room")
    info = await client.conversations_info(channel=incidents.id)
    assert info["channel"]["purpose"]["value"] == "war room"
    members = await client.conversations_members(channel=incidents.id)
    assert "U_ALICE" in members["members"]
    listed = await client.conversations_list()
    assert {"general", "incidents"} <= {c["name"] for c in listed["channels"]}
    user = await client.users_info(user="U_ALICE")
    assert user["user"]["name"] == "alice"
    assert await slack_error(client.users_info(user="U_NOPE")) == "user_not_found"
    found = await client.users_lookupByEmail(email="bob@example.com")
    assert found["user"]["id"] == "U_BOB"


async def test_post_message_by_id_and_name(fake: FakeSlack) -> None:
    """chat.postMessage resolves names, threads and validates content."""
    client = client_for(fake)
    incidents = fake.channel_by_name("incidents")
    assert incidents is not None
    by_name = await client.chat_postMessage(channel="incidents", text="one")
    by_hash = await client.chat_postMessage(channel="#incidents", text="two")
    by_id = await client.chat_postMessage(
        channel=incidents.id, text="three", blocks=[section("three")]
    )
    assert by_name["channel"] == by_hash["channel"] == by_id["channel"] == incidents.id
    assert [m.text for m in fake.messages("incidents")] == ["one", "two", "three"]
    assert fake.messages(incidents.id)[2].blocks == [section("three")]
    assert float(by_name["ts"]) < float(by_hash["ts"]) < float(by_id["ts"])
    reply = await client.chat_postMessage(channel=incidents.id, text="r", thread_ts=by_id["ts"])
    assert fake.messages("incidents")[-1].thread_ts == by_id["ts"]
    history = await client.conversations_history(channel=incidents.id, limit=2)
    assert [m["text"] for m in history["messages"]] == ["three", "two"] and history["has_more"]
    assert reply["message"]["thread_ts"] == by_id["ts"]
    assert (
        await slack_error(client.api_call("chat.postMessage", json={"channel": "incidents"}))
        == "no_text"
    )
    too_long = client.chat_postMessage(channel="incidents", text="x" * 40001)
    assert await slack_error(too_long) == "msg_too_long"
    assert await slack_error(client.chat_postMessage(channel="nope", text="x")) == (
        "channel_not_found"
    )
    secret = fake.add_channel("secret", members=["U_ALICE"], is_private=True)
    assert await slack_error(client.chat_postMessage(channel=secret.id, text="x")) == (
        "not_in_channel"
    )
    public = fake.add_channel("public-no-bot", members=[])
    await client.chat_postMessage(channel=public.id, text="chat:write.public")


async def test_invalid_blocks(fake: FakeSlack) -> None:
    """Block Kit limits answer invalid_blocks and store nothing."""
    client = client_for(fake)
    await client.chat_postMessage(channel="incidents", text="x", blocks=[section("x")] * 50)
    fifty_one = client.chat_postMessage(channel="incidents", text="x", blocks=[section("x")] * 51)
    assert await slack_error(fifty_one) == "invalid_blocks"
    button = {"type": "button", "text": {"type": "plain_text", "text": "b" * 76}, "value": "v"}
    bad_button = client.chat_postMessage(
        channel="incidents", text="x", blocks=[{"type": "actions", "elements": [button]}]
    )
    assert await slack_error(bad_button) == "invalid_blocks"
    no_type = client.chat_postMessage(channel="incidents", text="x", blocks=[{"x": 1}])
    assert await slack_error(no_type) == "invalid_blocks"
    long_section = client.chat_postMessage(
        channel="incidents", text="x", blocks=[section("y" * 3001)]
    )
    assert await slack_error(long_section) == "invalid_blocks"
    as_string = await client.chat_postMessage(
        channel="incidents", text="s", blocks=json.dumps([section("s")])
    )
    assert as_string["message"]["blocks"] == [section("s")]
    assert len(fake.messages("incidents")) == 2


async def test_update_delete_pins_reactions(fake: FakeSlack) -> None:
    """Edits, pins, reactions, permalinks, bookmarks and deletes."""
    fake.scopes |= {"pins:read", "reactions:write", "bookmarks:write"}  # not in manifest.yml
    client = client_for(fake)
    posted = await client.chat_postMessage(channel="incidents", text="status: open")
    cid, ts = posted["channel"], posted["ts"]
    await client.chat_update(channel=cid, ts=ts, text="status: mitigated")
    await client.chat_update(
        channel=cid, ts=ts, text="status: mitigated", blocks=[section("mitigated")]
    )
    msg = fake.messages("incidents")[0]
    assert (msg.text, msg.edits, msg.blocks) == ("status: mitigated", 2, [section("mitigated")])
    assert await slack_error(client.chat_update(channel=cid, ts="1.2", text="x")) == (
        "message_not_found"
    )
    await client.pins_add(channel=cid, timestamp=ts)
    assert fake.channels[cid].pins == [ts]
    assert await slack_error(client.pins_add(channel=cid, timestamp=ts)) == "already_pinned"
    assert await slack_error(client.pins_add(channel=cid, timestamp="9.9")) == "message_not_found"
    assert len((await client.pins_list(channel=cid))["items"]) == 1
    await client.reactions_add(channel=cid, timestamp=ts, name="eyes")
    assert msg.reactions == {"eyes": ["UBOT"]}
    link = await client.chat_getPermalink(channel=cid, message_ts=ts)
    assert link["permalink"] == f"https://fake.slack.com/archives/{cid}/p{ts.replace('.', '')}"
    await client.bookmarks_add(channel_id=cid, title="Runbook", type="link", link="https://x.y")
    assert fake.channels[cid].bookmarks[0].title == "Runbook"
    await client.chat_delete(channel=cid, ts=ts)
    assert fake.messages("incidents") == [] and fake.channels[cid].pins == []


async def test_ephemerals(fake: FakeSlack) -> None:
    """chat.postEphemeral needs the user to be a channel member."""
    client = client_for(fake)
    incidents = fake.channel_by_name("incidents")
    assert incidents is not None
    resp = await client.chat_postEphemeral(channel=incidents.id, user="U_ALICE", text="psst")
    assert resp["message_ts"]
    eph = fake.ephemerals[-1]
    assert (eph.channel, eph.user, eph.text, eph.source) == (
        incidents.id,
        "U_ALICE",
        "psst",
        "chat.postEphemeral",
    )
    fake.add_user("U_EVE", "eve")
    not_member = client.chat_postEphemeral(channel=incidents.id, user="U_EVE", text="x")
    assert await slack_error(not_member) == "user_not_in_channel"
    assert fake.messages("incidents") == []


def modal(title: str = "Declare incident", blocks: int = 1) -> dict[str, Any]:
    """A minimal modal view."""
    return {
        "type": "modal",
        "callback_id": "declare",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Declare"},
        "blocks": [section("hi")] * blocks,
    }


async def test_views(fake: FakeSlack) -> None:
    """views.open/update/push/publish, single-use triggers and view validation."""
    client = client_for(fake)
    trigger = fake.new_trigger_id("U_ALICE")
    opened = await client.views_open(trigger_id=trigger, view=modal())
    view = fake.views[opened["view"]["id"]]
    assert view.user == "U_ALICE" and view.view["callback_id"] == "declare"
    assert opened["view"]["state"] == {"values": {}} and opened["view"]["hash"] == view.hash
    assert await slack_error(client.views_open(trigger_id=trigger, view=modal())) == (
        "expired_trigger_id"
    )
    assert await slack_error(client.views_open(trigger_id="bogus", view=modal())) == (
        "invalid_arguments"
    )
    long_title = client.views_open(trigger_id=fake.new_trigger_id(), view=modal("t" * 25))
    assert await slack_error(long_title) == "invalid_arguments"
    too_many = client.views_open(trigger_id=fake.new_trigger_id(), view=modal(blocks=101))
    assert await slack_error(too_many) == "invalid_blocks"
    updated = await client.views_update(view_id=view.id, view=modal("Updated"), hash=view.hash)
    assert updated["view"]["title"]["text"] == "Updated" and view.updates == 1
    stale = client.views_update(view_id=view.id, view=modal(), hash="stale")
    assert await slack_error(stale) == "hash_conflict"
    pushed = await client.views_push(trigger_id=fake.new_trigger_id("U_ALICE"), view=modal("Two"))
    assert pushed["view"]["previous_view_id"] == view.id
    home = {"type": "home", "blocks": [section("Open incidents: 0")]}
    first = await client.views_publish(user_id="U_BOB", view=home)
    again = await client.views_publish(user_id="U_BOB", view=home)
    assert first["view"]["id"] == again["view"]["id"] and fake.views[first["view"]["id"]].updates


async def test_fail_next_changes_nothing(fake: FakeSlack) -> None:
    """Injected failures answer the error and leave state alone."""
    client = client_for(fake)
    fake.fail_next("conversations.create", "restricted_action", times=2)
    for _ in range(2):
        assert await slack_error(client.conversations_create(name="inc-9")) == "restricted_action"
    assert fake.channel_by_name("inc-9") is None
    await client.conversations_create(name="inc-9")
    calls = fake.calls_to("conversations.create")
    assert [(c.ok, c.error) for c in calls] == [
        (False, "restricted_action"),
        (False, "restricted_action"),
        (True, None),
    ]
    assert calls[0].args == {"name": "inc-9"}


async def test_rate_limit_is_retried(fake: FakeSlack) -> None:
    """Injected 429s carry Retry-After and the SDK retry handler recovers."""
    fake.rate_limit_next("chat.postMessage", retry_after=0)
    with pytest.raises(SlackApiError) as info:
        await client_for(fake).chat_postMessage(channel="incidents", text="x")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "0"
    fake.rate_limit_next("chat.postMessage", retry_after=0)
    retrying = client_for(fake, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)])
    await retrying.chat_postMessage(channel="incidents", text="eventually")
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 429, 200]
    assert [m.text for m in fake.messages("incidents")] == ["eventually"]


async def _statuses(client: AsyncWebClient, method: str, times: int, **args: Any) -> list[int]:
    """Call `method` `times` times one after another; the HTTP status of each."""
    statuses = []
    for _ in range(times):
        try:
            statuses.append((await client.api_call(method, params=args)).status_code)
        except SlackApiError as error:
            statuses.append(error.response.status_code)
    return statuses


async def test_tier_limits_are_off_unless_asked_for(fake: FakeSlack) -> None:
    """By default the fake answers every call, however many."""
    client = client_for(fake)
    assert await _statuses(client, "conversations.setTopic", 25, channel="incidents", topic="t")
    assert fake.ratelimited == 0


async def test_tier_2_allows_20_a_minute_then_429_with_retry_after(fake: FakeSlack) -> None:
    """Tier 2 (setTopic): 20 calls in any minute; the 21st is 429 until the first is 60 s old."""
    now = [100.0]
    fake.enforce_rate_limits(clock=lambda: now[0])
    client = client_for(fake)
    topics = await _statuses(client, "conversations.setTopic", 20, channel="incidents", topic="t")
    assert topics == [200] * 20
    now[0] += 15
    with pytest.raises(SlackApiError) as info:
        await client.conversations_setTopic(channel="incidents", topic="t")
    assert info.value.response.status_code == 429
    assert info.value.response["error"] == "ratelimited"
    assert info.value.response.headers["Retry-After"] == "45"
    assert await _statuses(client, "pins.list", 1, channel="incidents") == [200]  # own budget
    now[0] += 44.5
    assert await _statuses(client, "conversations.setTopic", 1, channel="incidents", topic="t") == [
        429
    ]
    now[0] += 0.5  # the first 20 are a minute old now: 20 more, not 21
    topics = await _statuses(client, "conversations.setTopic", 21, channel="incidents", topic="t")
    assert topics == [200] * 20 + [429]
    assert fake.ratelimited == 3


async def test_tier_3_and_4_budgets(fake: FakeSlack) -> None:
    """chat.update allows 50 a minute (Tier 3), users.info 100 (Tier 4); auth.test is free."""
    fake.enforce_rate_limits(clock=lambda: 0.0)
    client = client_for(fake)
    posted = await client.chat_postMessage(channel="incidents", text="x")
    update = {"channel": posted["channel"], "ts": posted["ts"], "text": "y"}
    assert (await _statuses(client, "chat.update", 51, **update)).count(429) == 1
    assert (await _statuses(client, "users.info", 101, user="U_ALICE")).count(429) == 1
    assert (await _statuses(client, "auth.test", 150)).count(429) == 0
    assert fake.ratelimited == 2


async def test_post_message_allows_a_burst_of_5_then_one_a_second_per_channel(
    fake: FakeSlack,
) -> None:
    """chat.postMessage: 5 in any 5 s per channel (a burst, then 1/s); channels are separate."""
    now = [0.0]
    fake.enforce_rate_limits(clock=lambda: now[0])
    client = client_for(fake)
    assert await _statuses(client, "chat.postMessage", 6, channel="incidents", text="x") == [
        200
    ] * 5 + [429]
    general = fake.channel_by_name("general").id  # by id or by name: the same channel
    assert await _statuses(client, "chat.postMessage", 5, channel=general, text="x") == [200] * 5
    assert await _statuses(client, "chat.postMessage", 1, channel="general", text="x") == [429]
    now[0] += 5
    assert await _statuses(client, "chat.postMessage", 6, channel="incidents", text="x") == [
        200
    ] * 5 + [429]
    assert fake.ratelimited == 3
    assert len(fake.messages("incidents")) == 10


async def test_down_and_latency(fake: FakeSlack) -> None:
    """Outage answers 503; latency delays calls without serializing them."""
    client = client_for(fake)
    fake.down = True
    with pytest.raises(SlackApiError) as info:
        await client.auth_test()
    assert info.value.response.status_code == 503
    fake.down = False
    fake.latency = 0.2
    started = time.monotonic()
    await asyncio.gather(*(client.auth_test() for _ in range(5)))
    assert time.monotonic() - started >= 0.2, "calls must be delayed"
    began = [call.time for call in fake.calls_to("auth.test")[-5:]]
    # Not serialized: every call began before the first one could be answered.
    assert max(began) - min(began) < 0.2


async def test_response_url(fake: FakeSlack) -> None:
    """response_url posts: ephemeral, in_channel, replace, delete, 5-use limit."""
    client = client_for(fake)
    posted = await client.chat_postMessage(channel="incidents", text="original")
    cid, ts = posted["channel"], posted["ts"]
    url = fake.new_response_url(cid, "U_ALICE", ts)
    hook = AsyncWebhookClient(url)
    assert (await hook.send(text="only you")).body == "ok"
    assert fake.ephemerals[-1].source == "response_url" and fake.ephemerals[-1].user == "U_ALICE"
    await hook.send(text="everyone", response_type="in_channel")
    assert [m.text for m in fake.messages(cid)] == ["original", "everyone"]
    await hook.send(text="replaced", replace_original=True)
    assert fake.messages(cid)[0].text == "replaced" and fake.messages(cid)[0].edits == 1
    await hook.send(delete_original=True)
    assert [m.text for m in fake.messages(cid)] == ["everyone"]
    assert (await hook.send(text="fifth")).status_code == 200
    sixth = await hook.send(text="sixth")
    assert (sixth.status_code, sixth.body) == (404, "used_url")
    assert [p.get("text") for p in fake.response_posts(url)][-2:] == ["fifth", "sixth"]


async def test_a_click_in_an_ephemeral_message_replaces_or_deletes_that_one(
    fake: FakeSlack,
) -> None:
    """Slack sends no `message` for a click in an ephemeral message (the container says
    `is_ephemeral`), and its response_url replaces or deletes that ephemeral message."""
    client = client_for(fake)
    incidents = fake.channel_by_name("incidents")
    assert incidents is not None
    shown = await client.chat_postEphemeral(channel=incidents.id, user="U_ALICE", text="pick")
    ts = shown["message_ts"]
    payload = block_actions_payload(
        fake, user_id="U_ALICE", channel_id=incidents.id, message_ts=ts, actions=[{}]
    )
    assert payload["container"]["is_ephemeral"] is True and "message" not in payload
    hook = AsyncWebhookClient(payload["response_url"])
    await hook.send(text="picked", replace_original=True)
    assert [(e.ts, e.text) for e in fake.ephemerals] == [(ts, "picked")]
    assert fake.messages(incidents.id) == []
    await hook.send(delete_original=True)
    assert fake.ephemerals == []


async def test_socket_mode_round_trip(fake: FakeSlack) -> None:
    """SDK Socket Mode client: hello, envelopes, acks, pings, disconnect."""
    web_client = client_for(fake)
    sm = SocketModeClient(app_token="xapp-test", web_client=web_client, ping_interval=0.2)
    seen: list[SocketModeRequest] = []

    async def listener(client: Any, req: SocketModeRequest) -> None:
        seen.append(req)
        ack = SocketModeResponse(envelope_id=req.envelope_id, payload={"text": "got it"})
        await client.send_socket_mode_response(ack)

    sm.socket_mode_request_listeners.append(listener)
    try:
        await sm.connect()
        await fake.wait_socket_connected()
        general = fake.channel_by_name("general")
        assert general is not None
        form = slash_command_form(fake, text="declare db down", channel_id=general.id)
        ack = await fake.socket_send("slash_commands", form)
        assert ack["payload"] == {"text": "got it"}
        assert seen[0].payload["text"] == "declare db down" and seen[0].accepts_response_payload
        event = event_callback(fake, {"type": "app_home_opened", "user": "U_ALICE"})
        ack = await fake.socket_send("events_api", event, retry_attempt=1, retry_reason="timeout")
        assert (
            seen[1].retry_attempt == 1 and ack["envelope_id"] == fake.socket_acks[-1]["envelope_id"]
        )
        # Several client ping/pong rounds (each pong carries its ping's time): no reconnects.
        answered: set[float] = set()
        await fake.wait_for(
            lambda: answered.add(sm.last_ping_pong_time or 0.0) or len(answered - {0.0}) >= 3
        )
        assert fake.socket_connects == 1
        await fake.socket_disconnect()
        await fake.wait_for(lambda: fake.socket_connects == 2 and fake.socket_connections == 1)
        ack = await fake.socket_send("interactive", {"type": "block_actions", "actions": []})
        assert ack["envelope_id"] and not seen[-1].accepts_response_payload
    finally:
        await sm.close()
    assert len(fake.calls_to("apps.connections.open")) == 2


async def test_bolt_socket_mode_handler(fake: FakeSlack) -> None:
    """Bolt's AsyncSocketModeHandler runs a slash command end to end."""
    app = AsyncApp(client=client_for(fake), signing_secret="unused-in-socket-mode")

    @app.command("/incident")
    async def incident(ack: Any, command: dict[str, Any], client: Any, respond: Any) -> None:
        await ack(text="declaring")
        await client.chat_postMessage(channel=command["channel_id"], text=command["text"])
        await respond("done")

    handler = AsyncSocketModeHandler(app, "xapp-test")
    await handler.connect_async()
    try:
        incidents = fake.channel_by_name("incidents")
        assert incidents is not None
        form = slash_command_form(fake, text="db down", channel_id=incidents.id)
        ack = await fake.socket_send("slash_commands", form)
        assert ack["payload"] == {"text": "declaring"}
        await fake.wait_for(lambda: fake.messages("incidents")[-1].text == "db down")
        await fake.wait_for(lambda: fake.response_posts(form["response_url"])[-1]["text"] == "done")
        assert fake.ephemerals[-1].source == "response_url"
        assert fake.calls_to("auth.test"), "Bolt verifies its token through the fake"
    finally:
        await handler.close_async()


async def test_socket_send_times_out_without_ack(fake: FakeSlack) -> None:
    """socket_send raises TimeoutError when the app never acks."""
    sm = SocketModeClient(app_token="xapp-test", web_client=client_for(fake))
    try:
        await sm.connect()
        with pytest.raises(TimeoutError):
            await fake.socket_send("events_api", event_callback(fake, {}), timeout=0.2)
    finally:
        await sm.close()


async def test_payload_helpers(fake: FakeSlack) -> None:
    """Signing and payload builders produce what Slack sends."""
    body = b"token=x&text=hello"
    headers = sign_request(body, "s3cret", timestamp=int(time.time()))
    verifier = SignatureVerifier("s3cret")
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    incidents = fake.channel_by_name("incidents")
    assert incidents is not None
    form = slash_command_form(fake, text="help", channel_id=incidents.id)
    assert form["channel_name"] == "incidents" and form["user_name"] == "alice"
    assert fake.response_urls[form["response_url"].rsplit("/", 1)[-1]].channel == incidents.id
    posted = await client_for(fake).chat_postMessage(
        channel=incidents.id, text="a", blocks=[section("a")]
    )
    payload = block_actions_payload(
        fake,
        user_id="U_BOB",
        channel_id=incidents.id,
        message_ts=posted["ts"],
        actions=[{"action_id": "ack", "block_id": "b", "value": "1"}],
    )
    assert payload["container"]["message_ts"] == posted["ts"]
    assert payload["message"]["blocks"] == [section("a")] and payload["actions"][0]["action_ts"]
    values = {"title": {"title_input": {"type": "plain_text_input", "value": "DB down"}}}
    sub = view_submission_payload(fake, user_id="U_BOB", callback_id="declare", values=values)
    assert sub["view"]["state"]["values"] == values and sub["view"]["callback_id"] == "declare"
    event = event_callback(fake, {"type": "reaction_added"}, event_id="Ev1")
    assert event["event_id"] == "Ev1" and event["authorizations"][0]["user_id"] == "UBOT"


async def test_wait_for_reports_useful_failure(fake: FakeSlack) -> None:
    """wait_for fails with the recent Web API calls in the message."""
    await client_for(fake).auth_test()
    with pytest.raises(AssertionError, match=r"auth.test=ok"):
        await fake.wait_for(lambda: fake.messages("incidents")[0], timeout=0.05)


# ---- strictness: scopes, membership, paging, metadata, users, lost replies -----------------

NO_SCOPE_METHODS = {"auth.test", "chat.getPermalink", "views.open", "views.push"}
NO_SCOPE_METHODS |= {"views.update", "views.publish"}


def repo_manifest_scopes() -> set[str]:
    """The bot scopes in the repository's manifest.yml, read independently of the fake."""
    manifest = yaml.safe_load((Path(__file__).parents[2] / "manifest.yml").read_text())
    return set(manifest["oauth_config"]["scopes"]["bot"])


async def missing_scope(call: Awaitable[Any]) -> tuple[str, str]:
    """Await a call that must fail with missing_scope; return (needed, provided)."""
    with pytest.raises(SlackApiError) as info:
        await call
    body = info.value.response.data
    assert body["error"] == "missing_scope", body
    return body["needed"], body["provided"]


async def test_scopes_default_to_manifest_and_every_method_declares_them(fake: FakeSlack) -> None:
    """Granted scopes come from manifest.yml; every bot method says which scopes it needs."""
    assert fake.scopes == repo_manifest_scopes()
    assert FakeSlack(scopes=["chat:write"]).scopes == {"chat:write"}
    undeclared = [
        name
        for name, spec in METHODS.items()
        if spec.token == "bot" and spec.scopes is None and name not in NO_SCOPE_METHODS
    ]
    assert undeclared == []


async def test_missing_scope_answers_and_changes_nothing(fake: FakeSlack) -> None:
    """missing_scope names the needed scope and the granted ones, and changes no state."""
    client = client_for(fake)
    fake.scopes.discard("chat:write")
    fake.scopes.difference_update({"groups:history", "groups:write"})  # in the manifest now
    needed, provided = await missing_scope(client.chat_postMessage(channel="incidents", text="x"))
    assert needed == "chat:write" and provided == ",".join(sorted(fake.scopes))
    assert fake.messages("incidents") == []
    assert (fake.calls[-1].ok, fake.calls[-1].error) == (False, "missing_scope")
    # public vs private picks channels:* vs groups:*
    fake.scopes.discard("groups:history")
    secret = fake.add_channel("secret", members=["UBOT"], is_private=True)
    assert (await missing_scope(client.conversations_history(channel=secret.id)))[0] == (
        "groups:history"
    )
    await client.conversations_history(channel=fake.channel_by_name("incidents").id)
    private_create = client.conversations_create(name="inc-private", is_private=True)
    assert (await missing_scope(private_create))[0] == "groups:write"
    assert fake.channel_by_name("inc-private") is None
    fake.scopes.discard("groups:read")
    both = client.conversations_list(types="public_channel,private_channel")
    assert (await missing_scope(both))[0] == "groups:read"
    fake.scopes.discard("users:read")
    assert (await missing_scope(client.users_info(user="U_ALICE")))[0] == "users:read"
    email = client.users_lookupByEmail(email="bob@example.com")
    assert (await missing_scope(email))[0] == "users:read.email"
    assert (
        await missing_scope(client.reactions_add(channel=secret.id, timestamp="1.2", name="eyes"))
    )[0] == ("reactions:write")
    # methods without scopes, and the app-token method, are never checked
    fake.scopes.clear()
    await client.auth_test()
    await client.views_publish(user_id="U_BOB", view={"type": "home", "blocks": []})
    await client.apps_connections_open(app_token="xapp-test")


async def test_posting_to_a_public_channel_needs_membership_or_chat_write_public(
    fake: FakeSlack,
) -> None:
    """Without chat:write.public a bot posts only where it is a member."""
    client = client_for(fake)
    outside = fake.add_channel("outside", members=["U_ALICE"])
    await client.chat_postMessage(channel=outside.id, text="with chat:write.public")
    fake.scopes.discard("chat:write.public")
    assert await slack_error(client.chat_postMessage(channel=outside.id, text="x")) == (
        "not_in_channel"
    )
    assert [m.text for m in fake.messages("outside")] == ["with chat:write.public"]
    await client.chat_postMessage(channel="incidents", text="member")


async def test_history_and_replies_need_membership(fake: FakeSlack) -> None:
    """A bot reads only channels it is in: not_in_channel (public), channel_not_found (private)."""
    fake.scopes |= {"channels:join", "groups:history", "groups:read"}
    client = client_for(fake)
    outside = fake.add_channel("outside", members=["U_ALICE"])
    fake.post_message(outside, "U_ALICE", "hello", [])
    ts = fake.messages("outside")[0].ts
    assert await slack_error(client.conversations_history(channel=outside.id)) == "not_in_channel"
    replies = client.conversations_replies(channel=outside.id, ts=ts)
    assert await slack_error(replies) == "not_in_channel"
    hidden = fake.add_channel("hidden", members=["U_ALICE"], is_private=True)
    for call in (
        client.conversations_history(channel=hidden.id),
        client.conversations_replies(channel=hidden.id, ts=ts),
        client.conversations_info(channel=hidden.id),
    ):
        assert await slack_error(call) == "channel_not_found"
    await client.conversations_join(channel=outside.id)
    history = await client.conversations_history(channel=outside.id)
    assert [m["text"] for m in history["messages"]] == ["hello"]


async def test_history_ranges_and_cursor_paging(fake: FakeSlack) -> None:
    """latest/oldest/inclusive select by ts; limit + cursor page newest first."""
    client = client_for(fake)
    cid = fake.channel_by_name("incidents").id
    posted = [(await client.chat_postMessage(channel=cid, text=f"m{i}"))["ts"] for i in range(5)]
    one = await client.conversations_history(channel=cid, latest=posted[2], inclusive=True, limit=1)
    assert [m["text"] for m in one["messages"]] == ["m2"] and one["has_more"]
    before = await client.conversations_history(channel=cid, latest=posted[2], limit=10)
    assert [m["text"] for m in before["messages"]] == ["m1", "m0"] and not before["has_more"]
    after = await client.conversations_history(channel=cid, oldest=posted[3])
    assert [m["text"] for m in after["messages"]] == ["m4"]
    seen, cursor, pages = [], None, 0
    while True:
        page = await client.conversations_history(channel=cid, limit=2, cursor=cursor)
        seen += [m["text"] for m in page["messages"]]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        assert bool(cursor) == page["has_more"]
        if not cursor:
            break
    assert (seen, pages) == (["m4", "m3", "m2", "m1", "m0"], 3)
    everything = await client.conversations_history(channel=cid, limit=0)
    assert len(everything["messages"]) == 5 and not everything["has_more"]
    bad = client.conversations_history(channel=cid, cursor="bm9wZQ==")
    assert await slack_error(bad) == "invalid_cursor"
    assert await slack_error(client.conversations_history(channel=cid, latest="soon")) == (
        "invalid_ts_latest"
    )


async def test_conversations_list_paging(fake: FakeSlack) -> None:
    """conversations.list pages with limit and cursor."""
    client = client_for(fake)
    for i in range(3):
        fake.add_channel(f"inc-{i}")
    names, cursor = [], None
    while True:
        page = await client.conversations_list(limit=2, cursor=cursor)
        assert len(page["channels"]) <= 2
        names += [c["name"] for c in page["channels"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert names == ["general", "incidents", "inc-0", "inc-1", "inc-2"]
    assert await slack_error(client.conversations_list(cursor="x")) == "invalid_cursor"


async def test_message_metadata(fake: FakeSlack) -> None:
    """Metadata is validated, stored, replaced by chat.update and read back on request."""
    client = client_for(fake)
    cid = fake.channel_by_name("incidents").id
    meta = {"event_type": "incident_card", "event_payload": {"incident": "INC-1", "n": 2}}
    posted = await client.chat_postMessage(channel=cid, text="card", metadata=meta)
    plain = await client.conversations_history(channel=cid)
    assert "metadata" not in plain["messages"][0]
    full = await client.conversations_history(channel=cid, include_all_metadata=True)
    assert full["messages"][0]["metadata"] == meta
    form = {"channel": cid, "text": "form", "metadata": json.dumps(meta)}
    await client.api_call("chat.postMessage", data=form)
    assert fake.messages(cid)[-1].metadata == meta
    for bad, error in (
        ("{not json", "invalid_metadata_format"),
        ([meta], "invalid_metadata_format"),
        ({"event_type": "incident_card"}, "invalid_metadata_schema"),
        ({"event_type": "incident_card", "event_payload": "INC-1"}, "invalid_metadata_schema"),
        ({"event_type": 5, "event_payload": {}}, "invalid_metadata_schema"),
    ):
        call = client.api_call(
            "chat.postMessage", json={"channel": cid, "text": "x", "metadata": bad}
        )
        assert await slack_error(call) == error, bad
    assert len(fake.messages(cid)) == 2
    dotted = {"event_type": "incident.card", "event_payload": {"a": 1}}
    await client.chat_postMessage(channel=cid, text="dotted", metadata=dotted)
    assert fake.messages(cid)[-1].metadata is None  # posted, metadata silently dropped
    ts = posted["ts"]
    new_meta = {"event_type": "incident_card", "event_payload": {"incident": "INC-1", "n": 3}}
    await client.chat_update(channel=cid, ts=ts, text="card v2", metadata=new_meta)
    assert fake.messages(cid)[0].metadata == new_meta
    await client.chat_update(channel=cid, ts=ts, text="card v3")
    assert fake.messages(cid)[0].metadata == new_meta
    bad_update = client.chat_update(channel=cid, ts=ts, text="v4", metadata={"event_type": "x"})
    assert await slack_error(bad_update) == "invalid_metadata_schema"
    assert fake.messages(cid)[0].text == "card v3"
    await client.chat_update(channel=cid, ts=ts, text="card v5", metadata={})
    assert fake.messages(cid)[0].metadata is None


async def test_deactivated_and_bot_users(fake: FakeSlack) -> None:
    """users.info shows deactivated users; invites of them and of other bots fail."""
    fake.scopes.add("users:read")
    client = client_for(fake)
    other = fake.add_user("U_PAGERBOT", "pagerbot", is_bot=True)
    shown = (await client.users_info(user=other.id))["user"]
    assert shown["is_bot"] and shown["profile"]["bot_id"].startswith("B")
    assert shown["profile"]["bot_id"] != fake.bot_id
    assert (await client.users_info(user="UBOT"))["user"]["profile"]["bot_id"] == fake.bot_id
    fake.deactivate("U_BOB")
    bob = (await client.users_info(user="U_BOB"))["user"]
    assert bob["deleted"] is True and bob["id"] == "U_BOB"
    assert await slack_error(client.users_info(user="U_NOPE")) == "user_not_found"
    cid = (await client.conversations_create(name="inc-7"))["channel"]["id"]
    with pytest.raises(SlackApiError) as info:
        await client.conversations_invite(channel=cid, users="U_ALICE,U_PAGERBOT")
    assert info.value.response["error"] == "cant_invite"
    assert info.value.response["errors"] == [
        {"user": "U_PAGERBOT", "ok": False, "error": "cant_invite"}
    ]
    assert fake.channels[cid].members == {"UBOT"}
    with pytest.raises(SlackApiError) as info:
        await client.conversations_invite(channel=cid, users="U_BOB,U_CAROL")
    assert info.value.response["errors"] == [{"user": "U_BOB", "ok": False, "error": "cant_invite"}]
    assert fake.channels[cid].members == {"UBOT", "U_CAROL"}, "removed users fail alone"
    assert await slack_error(client.conversations_invite(channel=cid, users="UBOT")) == (
        "cant_invite_self"
    )


def no_retry_client(fake: FakeSlack, timeout: float = 5) -> AsyncWebClient:
    """A client that neither retries nor waits long: it sees every lost reply."""
    return client_for(fake, retry_handlers=[], timeout=timeout)


async def test_fault_drop_performs_the_call_then_loses_the_reply(fake: FakeSlack) -> None:
    """Mode "drop": the message is posted exactly once, the client gets a connection error."""
    fake.fault_next("chat.postMessage", "drop")
    with pytest.raises(aiohttp.ClientError):
        await no_retry_client(fake).chat_postMessage(channel="incidents", text="lost reply")
    assert [m.text for m in fake.messages("incidents")] == ["lost reply"]
    call = fake.calls_to("chat.postMessage")[-1]
    assert (call.ok, call.status, call.fault) == (True, 200, "drop")
    await no_retry_client(fake).chat_postMessage(channel="incidents", text="next one is fine")
    assert len(fake.messages("incidents")) == 2


async def test_fault_drop_with_default_retries_posts_twice(fake: FakeSlack) -> None:
    """The SDK's default connection-error retry turns a lost reply into a duplicate post."""
    fake.fault_next("chat.postMessage", "drop")
    await client_for(fake).chat_postMessage(channel="incidents", text="dup")
    assert [m.text for m in fake.messages("incidents")] == ["dup", "dup"]


async def test_fault_drop_before_performs_nothing(fake: FakeSlack) -> None:
    """Mode "drop_before": the connection closes and nothing happens."""
    fake.fault_next("chat.postMessage", "drop_before")
    with pytest.raises(aiohttp.ClientError):
        await no_retry_client(fake).chat_postMessage(channel="incidents", text="never")
    assert fake.messages("incidents") == []
    call = fake.calls_to("chat.postMessage")[-1]
    assert (call.ok, call.status, call.fault) == (False, 0, "drop_before")
    with pytest.raises(ValueError):
        fake.fault_next("chat.postMessage", "explode")  # type: ignore[arg-type]


async def test_fault_hang_times_out_the_client(fake: FakeSlack) -> None:
    """Mode "hang": the call happens, no answer comes; later the connection closes."""
    fake.hang_seconds = 30
    fake.fault_next("chat.postMessage", "hang")
    started = time.monotonic()
    with pytest.raises((TimeoutError, aiohttp.ClientError)):
        await no_retry_client(fake, timeout=0.3).chat_postMessage(channel="incidents", text="h")
    assert time.monotonic() - started < 15  # the client's timeout, not the 30 s hang
    assert [m.text for m in fake.messages("incidents")] == ["h"]
    assert fake.calls_to("chat.postMessage")[-1].fault == "hang"
    fake.hang_seconds = 0.2
    fake.fault_next("conversations.setTopic", "hang")
    with pytest.raises(aiohttp.ClientError):
        await no_retry_client(fake).conversations_setTopic(
            channel=fake.channel_by_name("incidents").id, topic="t"
        )
    assert fake.channel_by_name("incidents").topic == "t"


async def test_stop_is_prompt_during_a_hang(fake: FakeSlack) -> None:
    """stop() releases a hung call at once instead of waiting for hang_seconds."""
    fake.hang_seconds = 60
    fake.fault_next("auth.test", "hang")
    call = asyncio.create_task(no_retry_client(fake, timeout=30).auth_test())
    await fake.wait_for(lambda: fake.calls_to("auth.test"))
    started = time.monotonic()
    await fake.stop()
    assert time.monotonic() - started < 30  # released, not the 60 s hang
    with pytest.raises(aiohttp.ClientError):
        await asyncio.wait_for(call, 5)


async def test_events_and_shortcuts_only_as_the_manifest_declares(fake: FakeSlack) -> None:
    """Slack sends only subscribed events with their scope, and offers only declared
    shortcuts; a reaction is recorded on its message."""
    general = fake.channel_by_name("general")
    assert general is not None
    posted = fake.post_as(general.id, "U_ALICE", "graph", files=["g.png"])
    event = fake.react(general.id, posted.ts, "U_BOB")
    assert event["item"] == {"type": "message", "channel": general.id, "ts": posted.ts}
    assert posted.to_json()["reactions"] == [{"name": "pushpin", "users": ["U_BOB"], "count": 1}]
    assert posted.to_json()["files"][0]["permalink"].endswith("/g.png")
    assert subscribed_event_callback(fake, event)["event"]["reaction"] == "pushpin"
    with pytest.raises(ValueError, match="does not subscribe"):
        subscribed_event_callback(fake, {"type": "channel_created"})
    fake.scopes.discard("reactions:read")
    with pytest.raises(ValueError, match="reactions:read"):
        subscribed_event_callback(fake, event)
    payload = message_action_payload(
        fake,
        user_id="U_BOB",
        callback_id="add_to_timeline",
        channel_id=general.id,
        message_ts=posted.ts,
    )
    assert payload["type"] == "message_action" and payload["message"]["text"] == "graph"
    with pytest.raises(ValueError, match="no message shortcut"):
        message_action_payload(
            fake, user_id="U_BOB", callback_id="nope", channel_id=general.id, message_ts=posted.ts
        )
