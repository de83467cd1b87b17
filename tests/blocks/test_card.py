"""bot.blocks.card: the pinned incident card, the channel topic and the announcement."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.blocks.card import (
    STATUS_EMOJI,
    TOPIC_LIMIT,
    announcement_blocks,
    incident_card_blocks,
    incident_card_text,
    topic_text,
)
from bot.blocks.ids import ActionId
from bot.blocks.view import IncidentView, RoleLine
from tests.blocks.slack_rules import HOSTILE, assert_never_pings, assert_valid_blocks

DECLARED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # 1767603600
RESOLVED = datetime(2026, 1, 5, 11, 30, tzinfo=UTC)  # 1767612600
VIEW = IncidentView(
    id="INC-2026-01-05-001",
    title="Refunds executed twice",
    severity="sev1",
    severity_name="SEV-1",
    status="investigating",
    commander="UCMD",
    declared_at=DECLARED,
    declared_by="UDECL",
    channel_id="CINC",
    roles=(RoleLine("scribe", "Scribe", ("USCRIBE",)), RoleLine("comms", "Comms lead")),
)
STARTED = "*Started*\n<!date^1767603600^{date_short_pretty} {time}|2026-01-05 09:00 UTC>"


def fields(blocks: list[dict]) -> list[str]:
    (section,) = [b for b in blocks if "fields" in b]
    return [f["text"] for f in section["fields"]]


def test_card_shape():
    blocks = incident_card_blocks(VIEW)
    assert_valid_blocks(blocks)
    assert [b["type"] for b in blocks] == ["header", "section", "context", "actions"]
    assert blocks[0]["text"]["text"] == "SEV-1: Refunds executed twice"
    assert blocks[-2]["elements"][0]["text"] == (
        "Declared by <@UDECL> · `/incident help` for commands"
    )


def test_card_shows_id_severity_status_commander_roles_and_start():
    assert fields(incident_card_blocks(VIEW)) == [
        "*ID*\nINC-2026-01-05-001",
        "*Severity*\nSEV-1",
        "*Status*\n:mag: Investigating",
        "*Commander*\n<@UCMD>",
        "*Scribe*\n<@USCRIBE>",
        "*Comms lead*\n—",
        STARTED,
    ]


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("investigating", ":mag: Investigating"),
        ("identified", ":dart: Identified"),
        ("monitoring", ":eyes: Monitoring"),
        ("resolved", ":white_check_mark: Resolved"),
    ],
)
def test_card_status_has_its_emoji(status, shown):
    assert f"*Status*\n{shown}" in fields(incident_card_blocks(replace(VIEW, status=status)))


def test_status_emoji_covers_every_status():
    assert set(STATUS_EMOJI) == {"investigating", "identified", "monitoring", "resolved"}


def test_resolved_card_shows_when_and_the_resolution():
    view = replace(VIEW, status="resolved", resolved_at=RESOLVED, summary="Rolled back 4.2")
    blocks = incident_card_blocks(view)
    assert_valid_blocks(blocks)
    assert fields(blocks)[-2:] == [
        STARTED,
        "*Resolved*\n<!date^1767612600^{date_short_pretty} {time}|2026-01-05 11:30 UTC>",
    ]
    assert blocks[2] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Resolution*\nRolled back 4.2"},
    }


def test_description_gets_its_own_section():
    blocks = incident_card_blocks(replace(VIEW, description="Customers charged twice & more"))
    assert [b["type"] for b in blocks] == ["header", "section", "section", "context", "actions"]
    assert blocks[2]["text"]["text"] == "Customers charged twice &amp; more"


def test_many_roles_keep_the_card_within_ten_fields_and_the_essentials_first():
    roles = tuple(RoleLine(f"r{i}", f"Role {i}", (f"U{i}",)) for i in range(12))
    blocks = incident_card_blocks(replace(VIEW, roles=roles, resolved_at=RESOLVED))
    assert_valid_blocks(blocks)
    shown = fields(blocks)
    assert len(shown) == 10
    assert shown[:4] == [
        "*ID*\nINC-2026-01-05-001",
        "*Severity*\nSEV-1",
        "*Status*\n:mag: Investigating",
        "*Commander*\n<@UCMD>",
    ]


def test_very_long_user_text_stays_within_slack_limits():
    view = replace(
        VIEW,
        title="T" * 10_000,
        description="<" * 10_000,
        summary="S" * 10_000,
        roles=(RoleLine("r", "Role", tuple(f"U{i:010d}" for i in range(500))),),
    )
    blocks = incident_card_blocks(view)
    assert_valid_blocks(blocks)
    header = blocks[0]["text"]["text"]
    assert len(header) == 150
    assert header.startswith("SEV-1: TTT") and header.endswith("T…")
    assert len(blocks[2]["text"]["text"]) <= 3000
    assert blocks[2]["text"]["text"].endswith("&lt;…")
    assert len(blocks[3]["text"]["text"]) <= 3000


def test_hostile_user_text_on_the_card_never_pings():
    view = replace(VIEW, title=HOSTILE, description=HOSTILE, summary=HOSTILE)
    blocks = incident_card_blocks(view)
    assert_valid_blocks(blocks)
    assert_never_pings(blocks)
    assert "*Commander*\n<@UCMD>" in fields(blocks)


def test_topic():
    assert topic_text(VIEW) == "SEV-1 · Investigating · Commander: <@UCMD>"
    long = topic_text(replace(VIEW, severity_name="S" * 400))
    assert len(long) == TOPIC_LIMIT == 250


def test_card_notification_text():
    assert incident_card_text(VIEW) == (
        "INC-2026-01-05-001 · SEV-1 · Investigating: Refunds executed twice"
    )


def test_card_notification_text_is_plain_and_short():
    text = incident_card_text(replace(VIEW, title=HOSTILE * 50))
    assert "<" not in text and ">" not in text
    assert len(text) == 300


def test_announcement():
    blocks = announcement_blocks(VIEW)
    assert_valid_blocks(blocks)
    assert blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":rotating_light: *SEV-1 · Investigating* · INC-2026-01-05-001\n"
                "*Refunds executed twice*\n"
                "Channel: <#CINC> · Commander: <@UCMD> · Started 2026-01-05 09:00 UTC",
            },
        }
    ]


def test_resolved_announcement_without_a_channel():
    blocks = announcement_blocks(replace(VIEW, status="resolved", channel_id=None))
    text = blocks[0]["text"]["text"]
    assert text.startswith(":white_check_mark: *SEV-1 · Resolved* · ")
    assert "Channel: — · " in text


def test_announcement_of_long_hostile_title_never_pings_and_fits():
    blocks = announcement_blocks(replace(VIEW, title=HOSTILE * 100))
    assert_valid_blocks(blocks)
    assert_never_pings(blocks)
    assert "Commander: <@UCMD>" in blocks[0]["text"]["text"]


def test_the_resolution_root_cause_and_prevention_are_separate_on_the_card():
    view = replace(
        VIEW,
        status="resolved",
        resolved_at=RESOLVED,
        summary="Rolled back 4.2",
        root_cause="a retry storm",
        prevention=("idempotency key", "alert on duplicates"),
    )
    [text] = [
        b["text"]["text"]
        for b in incident_card_blocks(view)
        if b["type"] == "section" and "text" in b and "*Resolution*" in b["text"]["text"]
    ]
    assert text == (
        "*Resolution*\nRolled back 4.2\n*Root cause*\na retry storm\n"
        "*Preventive actions*\n• idempotency key\n• alert on duplicates"
    )


def card_buttons(view: IncidentView) -> list[dict]:
    blocks = incident_card_blocks(view)
    assert_valid_blocks(blocks)
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_the_card_buttons_offer_the_other_severities_and_the_free_roles():
    view = replace(
        VIEW,
        severities=(("sev1", "SEV-1"), ("sev2", "SEV-2"), ("sev3", "SEV-3")),
        roles=(
            RoleLine("scribe", "Scribe", ("USCRIBE",), single=True),
            RoleLine("comms", "Comms lead", single=True),
            RoleLine("responder", "Responder", ("U1", "U2")),
        ),
    )
    update, severity, role, follow_up, resolve = card_buttons(view)
    assert update["action_id"] == ActionId.CARD_POST_UPDATE
    assert update["text"]["text"] == "Post update"
    assert severity["action_id"] == ActionId.CARD_SEVERITY
    assert severity["placeholder"]["text"] == "Change severity"
    assert [(o["value"], o["text"]["text"]) for o in severity["options"]] == [
        ("sev2", "SEV-2"),
        ("sev3", "SEV-3"),
    ]
    assert role["action_id"] == ActionId.CARD_TAKE_ROLE
    # Scribe is single and held: not offered; a role many may hold always is.
    assert [o["value"] for o in role["options"]] == ["comms", "responder"]
    assert (follow_up["action_id"], follow_up["text"]["text"]) == (
        ActionId.CARD_FOLLOW_UP,
        "Add follow-up",
    )
    assert (resolve["action_id"], resolve["text"]["text"]) == (ActionId.CARD_RESOLVE, "Resolve")


def test_no_role_select_when_every_role_is_taken_and_no_buttons_once_resolved():
    held = replace(VIEW, roles=(RoleLine("scribe", "Scribe", ("USCRIBE",), single=True),))
    assert [e["action_id"] for e in card_buttons(held)] == [
        ActionId.CARD_POST_UPDATE,
        ActionId.CARD_FOLLOW_UP,
        ActionId.CARD_RESOLVE,
    ]
    resolved = replace(VIEW, status="resolved", resolved_at=RESOLVED, severities=(("s", "S"),))
    assert card_buttons(resolved) == []


def test_many_long_named_roles_and_severities_keep_the_buttons_within_limits():
    view = replace(
        VIEW,
        severity="s0",
        severities=tuple((f"s{i}", "S" * 200) for i in range(150)),
        roles=tuple(RoleLine(f"r{i}", "R" * 200) for i in range(150)),
    )
    _, severity, role, _, _ = card_buttons(view)
    assert len(severity["options"]) == 99  # the first hundred, less the current one
    assert len(role["options"]) == 100
