"""FakeSlack driven through the real slack_sdk clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from typing import Any

import pytest
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

from tests.fakeslack import (
    FakeSlack,
    block_actions_payload,
    event_callback,
    sign_request,
    slash_command_form,
    view_submission_payload,
)


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
    elapsed = time.monotonic() - started
    assert 0.2 <= elapsed < 0.8, "calls must be delayed but not serialized (5 x 0.2 s)"


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
        await asyncio.sleep(1.2)  # several client ping/pong rounds: no reconnects
        assert fake.socket_connects == 1
        assert sm.last_ping_pong_time and time.time() - sm.last_ping_pong_time < 0.5
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
