"""The manifest lists what the bot listens for."""

from pathlib import Path

import yaml

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[1] / "manifest.yml").read_text())


def test_command_events_and_interactivity():
    commands = MANIFEST["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/incident"]
    assert commands[0]["should_escape"] is True  # mentions arrive as <@U…>
    assert MANIFEST["settings"]["event_subscriptions"]["bot_events"] == [
        "member_joined_channel",
        "reaction_added",
        "message.channels",
        "message.groups",
        "app_home_opened",
    ]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True


def test_scopes_cover_the_web_api_calls():
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert {
        "commands",
        "chat:write",
        "chat:write.public",
        "channels:join",
        "channels:manage",
        "channels:read",
        "channels:history",
        "pins:write",
        "users:read",
        "reactions:read",
        "groups:write",
        "groups:history",
        "groups:read",
    } == scopes


def test_message_shortcuts():
    shortcuts = {s["callback_id"]: s["type"] for s in MANIFEST["features"]["shortcuts"]}
    assert shortcuts == {"add_to_timeline": "message", "declare_from_message": "message"}


def test_home_tab():
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
