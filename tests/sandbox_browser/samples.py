"""A sample of what GET /sandbox/ui/state answers (sandbox/page_state.py), written by hand: an
incident channel with the bot's card, a message using every Block Kit element the page draws,
hostile text, a thread, and the pieces a test adds (ephemerals, a modal, a Home view)."""

from __future__ import annotations

from typing import Any

INCIDENT = "C0003"
CARD_TS = "1796529600.000100"
KIT_TS = "1796529600.000200"
HOSTILE_TS = "1796529600.000300"
THREAD_TS = "1796529600.000400"
REPLY_TS = "1796529600.000500"


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"text": plain(text), "value": value}
    if description:
        out["description"] = plain(description)
    return out


SEVERITIES = [option("SEV-1", "sev1"), option("SEV-2", "sev2"), option("SEV-3", "sev3")]


def message(ts: str, text: str, blocks: list[dict[str, Any]] | None = None, **extra: Any) -> Any:
    out = {
        "ts": ts,
        "user": "UBOT",
        "user_name": "Incident Bot",
        "text": text,
        "blocks": blocks or [],
        "thread_ts": None,
        "edited": False,
        "pinned": False,
        "reactions": [],
        "files": [],
        "attachments": [],
    }
    out.update(extra)
    return out


CARD = message(
    CARD_TS,
    "INC-2026-12-06-001 · SEV-2 · Investigating: Checkout is down",
    [
        {"type": "header", "text": plain("SEV-2: Checkout is down")},
        {
            "type": "section",
            "fields": [mrkdwn("*ID*\nINC-2026-12-06-001"), mrkdwn("*Commander*\n<@U_ALICE>")],
        },
        {"type": "context", "elements": [mrkdwn("Declared by <@U_ALICE> · `/incident help`")]},
        {
            "type": "actions",
            "block_id": "card_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "card_post_update",
                    "text": plain("Post update"),
                    "value": "INC-2026-12-06-001",
                },
                {
                    "type": "static_select",
                    "action_id": "card_severity",
                    "placeholder": plain("Change severity"),
                    "options": SEVERITIES,
                },
                {
                    "type": "button",
                    "action_id": "card_resolve",
                    "style": "primary",
                    "text": plain("Resolve"),
                    "value": "INC-2026-12-06-001",
                },
            ],
        },
    ],
    edited=True,
    pinned=True,
)

KIT = message(
    KIT_TS,
    "every element",
    [
        {
            "type": "section",
            "block_id": "with_button",
            "text": mrkdwn(":rotating_light: *Bold* _italic_ ~struck~ `code` <#C0001|general>"),
            "accessory": {
                "type": "button",
                "action_id": "stop",
                "style": "danger",
                "text": plain("Stop"),
                "value": "stop-1",
            },
        },
        {"type": "divider"},
        {"type": "image", "image_url": "https://example.com/graph.png", "alt_text": "Error rate"},
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "text", "text": "Rich ", "style": {"bold": True}},
                        {"type": "user", "user_id": "U_BOB"},
                    ],
                },
                {
                    "type": "rich_text_list",
                    "style": "bullet",
                    "elements": [
                        {
                            "type": "rich_text_section",
                            "elements": [{"type": "text", "text": "one"}],
                        },
                        {
                            "type": "rich_text_section",
                            "elements": [{"type": "text", "text": "two"}],
                        },
                    ],
                },
            ],
        },
        {
            "type": "actions",
            "block_id": "pickers",
            "elements": [
                {"type": "users_select", "action_id": "assign", "placeholder": plain("Assign to…")},
                {
                    "type": "overflow",
                    "action_id": "more",
                    "options": [option("Reopen", "reopen"), option("Archive", "archive")],
                },
                {"type": "datepicker", "action_id": "due", "initial_date": "2026-12-07"},
                {
                    "type": "checkboxes",
                    "action_id": "ticks",
                    "options": [option("Logs saved", "logs"), option("Customers told", "told")],
                },
                {
                    "type": "radio_buttons",
                    "action_id": "pick",
                    "options": [option("Roll back", "back"), option("Fix forward", "forward")],
                },
            ],
        },
    ],
)

# What a person could type, or a bot could echo back, that must never become markup.
HOSTILE_TEXT = (
    '<img src=x onerror="window.hacked=1"> &lt;script&gt;window.hacked=2&lt;/script&gt; '
    "<javascript:window.hacked=3|click me> <https://example.com/?a=1&amp;b=2|a &lt;b&gt; link> "
    "<!here> <@U_NOBODY> 1 &lt; 2 &amp; 3 &gt; 2"
)
HOSTILE = message(
    HOSTILE_TS,
    HOSTILE_TEXT,
    user="U_BOB",
    user_name="Bob",
    reactions=[{"name": "pushpin", "users": ["U_ALICE", "U_BOB"], "count": 2}],
)
PARENT = message(THREAD_TS, "Parent message", user="U_CAROL", user_name="Carol")
REPLY = message(
    REPLY_TS, "A reply in the thread", user="U_BOB", user_name="Bob", thread_ts=THREAD_TS
)

USERS = [
    {"id": "U_ALICE", "name": "alice", "real_name": "Alice"},
    {"id": "U_BOB", "name": "bob", "real_name": "Bob"},
    {"id": "U_CAROL", "name": "carol", "real_name": "Carol"},
    {"id": "U_DAVE", "name": "dave", "real_name": "Dave"},
]


def channel(cid: str, name: str, **extra: Any) -> dict[str, Any]:
    out = {
        "id": cid,
        "name": name,
        "topic": "",
        "purpose": "",
        "is_private": False,
        "is_archived": False,
        "is_member": True,
    }
    out.update(extra)
    return out


CHANNELS = [
    channel("C0001", "general"),
    channel(INCIDENT, "inc-20261206-001-checkout-is-down", topic="SEV-2 · Commander: <@U_ALICE>"),
    channel("C0002", "incidents"),
    channel("C0004", "inc-20261205-001-old", is_archived=True),
    channel("C0005", "inc-20261206-002-secret", is_private=True),
]


def sample_state() -> dict[str, Any]:
    """The incident channel open for Alice."""
    return {
        "now": "2026-12-06T04:30:00+00:00",
        "offset_seconds": 0,
        "version": 1,
        "me": "U_ALICE",
        "users": USERS,
        "bot": {"id": "UBOT", "name": "incidentbot", "real_name": "Incident Bot"},
        "channels": CHANNELS,
        "channel": {
            **CHANNELS[1],
            "pins": [CARD_TS],
            "bookmarks": [{"title": "Runbook", "link": "https://example.com/runbook"}],
        },
        "messages": [CARD, KIT, HOSTILE, PARENT, REPLY],
        "ephemerals": [],
        "modal": None,
        "home": None,
        "shortcuts": [
            {
                "callback_id": "add_to_timeline",
                "name": "Add to incident timeline",
                "type": "message",
            },
            {"callback_id": "declare_global", "name": "Declare", "type": "global"},
        ],
    }


MODAL: dict[str, Any] = {
    "id": "V0042",
    "errors": {},
    "view": {
        "type": "modal",
        "callback_id": "incident_declare",
        "title": plain("Declare an incident"),
        "submit": plain("Declare"),
        "close": plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "label": plain("Title"),
                "element": {"type": "plain_text_input", "action_id": "title_input"},
            },
            {
                "type": "input",
                "block_id": "severity",
                "label": plain("Severity"),
                "element": {
                    "type": "static_select",
                    "action_id": "severity_select",
                    "placeholder": plain("Choose a severity"),
                    "options": SEVERITIES,
                },
            },
            {"type": "context", "elements": [mrkdwn("• SEV-1, e.g. *Checkout down*")]},
            {
                "type": "input",
                "block_id": "description",
                "optional": True,
                "label": plain("Description"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "description_input",
                    "multiline": True,
                },
            },
            {
                "type": "input",
                "block_id": "commander",
                "label": plain("Incident commander"),
                "element": {
                    "type": "users_select",
                    "action_id": "commander_select",
                    "initial_user": "U_ALICE",
                },
            },
            {
                "type": "input",
                "block_id": "responders",
                "optional": True,
                "label": plain("Responders"),
                "element": {"type": "multi_users_select", "action_id": "responders_select"},
            },
            {
                "type": "input",
                "block_id": "private",
                "optional": True,
                "label": plain("Visibility"),
                "element": {
                    "type": "checkboxes",
                    "action_id": "private_checkbox",
                    "options": [option("Private incident", "private", "A private channel")],
                },
            },
            {
                "type": "input",
                "block_id": "audience",
                "label": plain("Audience"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": "audience_radio",
                    "initial_option": option("Internal", "internal"),
                    "options": [option("Internal", "internal"), option("Customers", "customers")],
                },
            },
            {
                "type": "input",
                "block_id": "due",
                "optional": True,
                "label": plain("Due"),
                "element": {"type": "datepicker", "action_id": "due_date"},
            },
        ],
    },
}

HOME: dict[str, Any] = {
    "id": "V0050",
    "type": "home",
    "blocks": [
        {"type": "header", "text": plain("Incidents")},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "home_declare",
                    "style": "danger",
                    "text": plain("Declare incident"),
                    "value": "declare",
                }
            ],
        },
        {"type": "section", "text": mrkdwn("*Open incidents* (1)")},
    ],
}
