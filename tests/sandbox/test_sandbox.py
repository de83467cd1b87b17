"""The sandbox over the page's HTTP API: a newcomer declares, runs a playbook, hands over and
sees a reminder fire, with no Slack workspace; the workspace survives a restart; bad input
gets a 400 with one line and changes nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.harness import copy_migrated_sqlite, free_port
from tests.sandbox.conftest import Page, start_page

ROOT = Path(__file__).resolve().parents[2]
INCIDENTS = "C0002"


def incident_channel(state: dict[str, Any]) -> dict[str, Any]:
    [channel] = [c for c in state["channels"] if c["name"].startswith("inc-")]
    return channel


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**element, "block_id": block.get("block_id", "")}
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "button"
    ]


def texts(state: dict[str, Any]) -> list[str]:
    return [message["text"] for message in state["messages"]]


def a_channel_named(page: Page, prefix: str) -> Any:
    return next((c for c in page.workspace.channels.values() if c.name.startswith(prefix)), None)


async def declare(page: Page) -> str:
    await page.type("/incident declare sev2 Checkout is down")
    await page.wait_for(lambda: a_channel_named(page, "inc-"), "the incident channel")
    channel = a_channel_named(page, "inc-")
    await page.wait_for(
        lambda: any("Suggested playbook" in m.text for m in channel.messages), "the suggestion"
    )
    return str(channel.id)


async def test_a_newcomer_declares_runs_a_playbook_hands_over_and_sees_a_reminder(
    page: Page,
) -> None:
    start = await page.state()
    assert [c["name"] for c in start["channels"]] == ["general", "incidents"]
    assert [u["name"] for u in start["users"]] == ["alice", "bob", "carol", "dave"]

    channel = await declare(page)
    state = await page.state(channel=channel)
    assert incident_channel(state)["id"] == channel
    card = state["messages"][0]
    day = page.running.clock().strftime("%Y-%m-%d")
    assert card["text"] == f"INC-{day}-001 · SEV-2 · Investigating: Checkout is down"
    assert card["pinned"] is True
    assert [b["text"]["text"] for b in buttons(card)] == [
        "Post update",
        "Add follow-up",
        "Resolve",
    ]
    assert state["channel"]["topic"] == "SEV-2 · Investigating · Commander: <@U_ALICE>"

    # Run the suggested playbook with its button, as Slack would send the click.
    [suggestion] = [m for m in state["messages"] if m["text"].startswith("Suggested playbook")]
    [run] = buttons(suggestion)
    status, answer = await page.post(
        "action",
        user="U_ALICE",
        channel=channel,
        message_ts=suggestion["ts"],
        action={
            "type": "button",
            "action_id": run["action_id"],
            "block_id": run["block_id"],
            "value": run["value"],
        },
    )
    assert (status, answer["ok"]) == (200, True)
    await page.wait_for(
        lambda: (
            sum("General incident: phase" in m.text for m in a_channel_named(page, "inc-").messages)
            == 3
        ),
        "three phase messages",
    )
    state = await page.state(channel=channel)
    [triage] = [m for m in state["messages"] if m["text"] == "General incident: phase 1/3 Triage"]
    done = next(b for b in buttons(triage) if b["action_id"] == "step_done")
    await page.post(
        "action",
        user="U_ALICE",
        channel=channel,
        message_ts=triage["ts"],
        action={
            "type": "button",
            "action_id": "step_done",
            "block_id": done["block_id"],
            "value": done["value"],
        },
    )

    def first_step_done() -> bool:
        message = page.workspace.find_message(channel, triage["ts"])
        return message is not None and "✅ done by <@U_ALICE>" in str(message.blocks)

    await page.wait_for(first_step_done, "the first step marked done")

    # Hand over command with @bob typed in the composer (escaped as Slack's client does).
    await page.type("/incident commander @bob", channel=channel)
    await page.wait_for(
        lambda: page.workspace.channels[channel].topic.endswith("Commander: <@U_BOB>"),
        "the topic naming Bob",
    )

    # The time control: 30 minutes later the update reminder fires, addressed to Bob.
    status, answer = await page.post("advance", minutes=30)
    assert (status, answer["ok"]) == (200, True)
    reminder = (
        ":alarm_clock: No internal update for 30 min: <@U_BOB>, post one with `/incident update …`."
    )
    await page.wait_for(lambda: reminder in texts_now(page, channel), "the update reminder")
    state = await page.state(channel=channel)
    assert texts(state).count(reminder) == 1
    assert state["offset_seconds"] == 1800
    assert ":crown: <@U_ALICE> handed command from <@U_ALICE> to <@U_BOB>." in texts(state)


def texts_now(page: Page, channel: str) -> list[str]:
    return [m.text for m in page.workspace.channels[channel].messages if not m.deleted]


async def test_the_declare_form_opens_as_a_modal_answers_errors_and_declares(page: Page) -> None:
    await page.type("/incident declare")
    await page.wait_for(lambda: page.workspace.views, "the declare modal")
    modal = (await page.state())["modal"]
    assert modal["view"]["title"]["text"] == "Declare an incident"

    status, answer = await page.post("submit", user="U_ALICE", view_id=modal["id"], values={})
    assert (status, answer["closed"]) == (200, False)
    assert answer["errors"] == {
        "title": "Give the incident a title.",
        "severity": "Choose one of the listed severities.",
    }
    assert (await page.state())["modal"]["errors"] == answer["errors"]

    values = {
        "title": {"title_input": {"type": "plain_text_input", "value": "Search is slow"}},
        "severity": {
            "severity_select": {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "SEV-3"},
                    "value": "sev3",
                },
            }
        },
    }
    status, answer = await page.post("submit", user="U_ALICE", view_id=modal["id"], values=values)
    assert (status, answer["closed"]) == (200, True)
    assert (await page.state())["modal"] is None
    await page.wait_for(lambda: a_channel_named(page, "inc-"), "the incident channel")
    assert a_channel_named(page, "inc-").name.endswith("-search-is-slow")


async def test_bob_sees_no_ephemeral_meant_for_alice_and_home_shows_the_incident(
    page: Page,
) -> None:
    await page.type("/incident help")
    await page.wait_for(lambda: page.workspace.ephemerals, "the help answer")
    alice, bob = await page.state(channel=INCIDENTS), await page.state("U_BOB", INCIDENTS)
    assert len(alice["ephemerals"]) == 1 and bob["ephemerals"] == []
    status, _ = await page.post("dismiss", user="U_ALICE", ts=alice["ephemerals"][0]["ts"])
    assert status == 200
    assert (await page.state(channel=INCIDENTS))["ephemerals"] == []

    await declare(page)
    status, _ = await page.post("home", user="U_BOB")
    assert status == 200
    await page.wait_for(lambda: page.workspace.home_of("U_BOB"), "Bob's Home")
    home = (await page.state("U_BOB"))["home"]
    assert "*Open incidents* (1)" in str(home["blocks"])


async def test_the_workspace_and_the_clock_survive_a_restart(tmp_path: Path) -> None:
    database = tmp_path / "incidents.db"
    copy_migrated_sqlite(database)
    running, page = await start_page(database)
    try:
        channel = await declare(page)
        await page.post("advance", minutes=90)
        before = await page.state(channel=channel)
    finally:
        await page.http.close()
        await running.close()
    assert (tmp_path / "incidents.db.sandbox").exists()

    running, page = await start_page(database)
    try:
        after = await page.state(channel=channel)
        assert [c["name"] for c in after["channels"]] == [c["name"] for c in before["channels"]]
        assert texts(after)[:2] == texts(before)[:2]
        assert after["offset_seconds"] == 5400
        # The restarted bot keeps working in the same channel.
        await page.type("/incident note still here", channel=channel)
        await page.wait_for(
            lambda: (
                any("still here" in m.text for m in page.workspace.channels[channel].messages)
                or any("still here" in e.text for e in page.workspace.ephemerals)
            ),
            "the note acknowledged",
        )
    finally:
        await page.http.close()
        await running.close()


@pytest.mark.parametrize(
    ("route", "body", "error"),
    [
        (
            "command",
            {"user": "U_NOBODY", "channel": INCIDENTS, "text": "hi"},
            "no person U_NOBODY in the sandbox workspace",
        ),
        (
            "command",
            {"user": "UBOT", "channel": INCIDENTS, "text": "hi"},
            "no person UBOT in the sandbox workspace",
        ),
        (
            "command",
            {"user": "U_ALICE", "channel": "C9999", "text": "hi"},
            "no channel C9999 that U_ALICE can see",
        ),
        (
            "command",
            {"user": "U_ALICE", "channel": INCIDENTS, "text": "/deploy now"},
            "/deploy is not a command here: try /incident help",
        ),
        (
            "command",
            {"user": "U_ALICE", "channel": INCIDENTS, "text": ""},
            "`text` must be a non-empty string",
        ),
        ("advance", {"minutes": -5}, "`minutes` must be between 0 and 10080 (a week)"),
        ("advance", {"minutes": "ten"}, "`minutes` must be a number"),
        ("advance", {"minutes": True}, "`minutes` must be a number"),
        (
            "submit",
            {"user": "U_ALICE", "view_id": "V9999", "values": {}},
            "no open view V9999 for U_ALICE",
        ),
        (
            "action",
            {"user": "U_ALICE", "action": "click"},
            "`action` must be an object with an action_id",
        ),
        (
            "react",
            {"user": "U_ALICE", "channel": INCIDENTS, "ts": "1.2", "name": "pushpin"},
            "no message 1.2 in C0002",
        ),
        (
            "shortcut",
            {
                "user": "U_ALICE",
                "channel": INCIDENTS,
                "ts": "1.2",
                "callback_id": "add_to_timeline",
            },
            "no message 1.2 in C0002",
        ),
    ],
)
async def test_bad_input_gets_a_400_with_one_line_and_changes_nothing(
    page: Page, route: str, body: dict[str, Any], error: str
) -> None:
    before = await page.state(channel=INCIDENTS)
    status, answer = await page.post(route, **body)
    assert (status, answer) == (400, {"ok": False, "error": error})
    after = await page.state(channel=INCIDENTS)
    moving = ("now", "version")  # the clock runs; every request moves the revision
    assert {k: v for k, v in after.items() if k not in moving} == {
        k: v for k, v in before.items() if k not in moving
    }


async def test_a_body_that_is_not_json_gets_a_400(page: Page) -> None:
    async with page.http.post(f"{page.url}ui/command", data=b"\xff{") as response:
        assert response.status == 400
        assert await response.json() == {"ok": False, "error": "the body is not JSON"}
    async with page.http.get(f"{page.url}ui/state", params={"user": "U_NOBODY"}) as response:
        assert response.status == 400


async def test_the_page_and_health_are_served_on_the_bots_port(page: Page) -> None:
    root = page.url.removesuffix("/sandbox/")
    async with page.http.get(page.url) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
    async with page.http.get(f"{root}/", allow_redirects=False) as response:
        assert (response.status, response.headers["Location"]) == (302, "/sandbox/")
    async with page.http.get(f"{root}/healthz") as response:
        assert await response.json() == {
            "ok": True,
            "database": "ok",
            "slack": "ok",
            "mode": "http",
        }


async def test_an_edited_pack_file_is_what_the_restarted_sandbox_runs(tmp_path: Path) -> None:
    database = tmp_path / "incidents.db"
    copy_migrated_sqlite(database)
    pack = tmp_path / "pack.yml"
    source = (ROOT / "playbooks" / "packs" / "defcon.yml").read_text(encoding="utf-8")
    pack.write_text(source.replace("name: Defcon 1", "name: Red Alert"), encoding="utf-8")
    running, page = await start_page(database, playbook_pack=str(pack))
    try:
        await page.type("/incident declare defcon1 Login is down")
        await page.wait_for(lambda: a_channel_named(page, "inc-"), "the incident channel")
        channel = a_channel_named(page, "inc-")
        await page.wait_for(lambda: channel.topic, "the topic")
        assert channel.topic.startswith("Red Alert · ")
    finally:
        await page.http.close()
        await running.close()


@pytest.mark.parametrize("dot_env", ["none", "copied from .env.example"])
def test_make_run_without_a_token_serves_the_sandbox_and_prints_one_line(
    tmp_path: Path, dot_env: str
) -> None:
    if dot_env != "none":  # the README's `cp .env.example .env`, nothing filled in yet
        (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "DATABASE_URL", "PLAYBOOK_PACK", "LOG_"))
    }
    env.update(PORT=str(port), PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line == f"Sandbox running: open http://127.0.0.1:{port}/sandbox/ (Ctrl-C stops it)\n"
        health = asyncio.run(_get_json(f"http://127.0.0.1:{port}/healthz"))
        assert health["ok"] is True and health["slack"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert out == ""
    assert err == ""
    assert (tmp_path / "incidents.db").exists() and (tmp_path / "incidents.db.sandbox").exists()


async def _get_json(url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return dict(await response.json())


async def test_a_button_in_an_ephemeral_message_reaches_the_bot(tmp_path: Path) -> None:
    database = tmp_path / "incidents.db"
    copy_migrated_sqlite(database)
    running, page = await start_page(database, playbook_pack="prod-100k")
    try:
        await page.type("/incident declare p1 Checkout is down")
        await page.wait_for(lambda: a_channel_named(page, "inc-"), "the incident channel")
        channel = a_channel_named(page, "inc-").id
        await page.type("/incident escalate", channel=channel)
        listed = "*Escalate when one of these holds.*"
        await page.wait_for(
            lambda: any(e.text.startswith(listed) for e in page.workspace.ephemerals), "the list"
        )
        state = await page.state(channel=channel)
        [shown] = [e for e in state["ephemerals"] if e["text"].startswith(listed)]
        [button] = [b["accessory"] for b in shown["blocks"] if b.get("accessory")]
        status, answer = await page.post(
            "action",
            user="U_ALICE",
            channel=channel,
            message_ts=shown["ts"],
            action={"type": "button", "action_id": button["action_id"], "value": button["value"]},
        )
        assert (status, answer["ok"]) == (200, True)
        confirmed = (
            ":rotating_light: *Escalation* · P1: confirmed: Extended outage (by <@U_ALICE>)."
        )
        await page.wait_for(
            lambda: any(t.startswith(confirmed) for t in texts_now(page, channel)), "escalated"
        )
    finally:
        await page.http.close()
        await running.close()


async def test_typed_text_reaches_the_bot_escaped_as_slack_sends_it(page: Page) -> None:
    channel = await declare(page)
    await page.type("/incident note a<b & c> for @bob in #incidents", channel=channel)
    note = ":memo: Note from <@U_ALICE>: a&lt;b &amp; c&gt; for <@U_BOB|bob> in <#C0002|incidents>"
    await page.wait_for(lambda: note in texts_now(page, channel), "the note")
