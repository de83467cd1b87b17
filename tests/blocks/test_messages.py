"""bot.blocks.messages: help, the incident list, the timeline and status updates."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.blocks.messages import (
    customer_update_blocks,
    help_text,
    incident_list_text,
    timeline_blocks,
    update_blocks,
    update_text,
)
from bot.blocks.view import IncidentView
from tests.blocks.slack_rules import HOSTILE, assert_never_pings, assert_valid_blocks

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
VIEW = IncidentView(
    id="INC-2026-01-05-001",
    title="Refunds executed twice",
    severity="sev1",
    severity_name="SEV-1",
    status="identified",
    commander="UCMD",
    declared_at=AT,
    declared_by="UDECL",
    channel_id="CINC",
)


# --- help ----------------------------------------------------------------------------------


def test_help_lists_the_packs_severities_and_roles():
    text = help_text(severities=["sev1", "sev2"], roles=["Scribe", "Comms lead"])
    assert "• `declare <severity> <title>` — declare at once, e.g. `declare sev1 Refunds" in text
    assert "• `role <role> @user` — assign a role (Scribe, Comms lead)" in text
    assert "• `severity <severity>` — `sev1`, `sev2`" in text
    assert "{" not in text and "}" not in text


def test_help_without_severities_still_gives_an_example():
    text = help_text(severities=[], roles=[])
    assert "e.g. `declare sev1 Refunds executed twice`" in text
    assert "assign a role ()" in text


# --- incident list -------------------------------------------------------------------------


def test_no_open_incidents():
    assert incident_list_text([]) == "No open incidents. :tada:"


def test_open_incidents_one_line_each_with_channel_links():
    other = replace(VIEW, id="INC-2026-01-05-002", title="Status page down", channel_id=None)
    assert incident_list_text([VIEW, other]) == (
        "*Open incidents*\n"
        "• *INC-2026-01-05-001* SEV-1 · Identified · <#CINC> · Refunds executed twice · "
        "commander <@UCMD>\n"
        "• *INC-2026-01-05-002* SEV-1 · Identified · — · Status page down · commander <@UCMD>"
    )


def test_incident_list_of_hostile_and_many_titles_never_pings_and_fits_a_message():
    views = [replace(VIEW, title=HOSTILE * 10) for _ in range(500)]
    text = incident_list_text(views)
    assert_never_pings(text)
    assert len(text) == 39000
    assert text.endswith("…")


# --- timeline ------------------------------------------------------------------------------


def test_a_short_timeline_is_one_section():
    blocks = timeline_blocks(
        "INC-7",
        [
            (AT, None, "Incident declared"),
            (AT + timedelta(minutes=3), "U1", "Status → identified & <rollback>"),
        ],
    )
    assert_valid_blocks(blocks)
    assert blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Timeline of INC-7*\n"
                "`2026-01-05 09:00 UTC` bot · Incident declared\n"
                "`2026-01-05 09:03 UTC` <@U1> · Status → identified &amp; &lt;rollback&gt;",
            },
        }
    ]


def test_an_empty_timeline_is_just_its_title():
    assert timeline_blocks("INC-7", []) == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Timeline of INC-7*"}}
    ]


def test_a_long_timeline_splits_into_sections_without_splitting_lines():
    lines = [(AT + timedelta(minutes=i), "U1", f"{i:03d} " + "x" * 996) for i in range(10)]
    blocks = timeline_blocks("INC-7", lines)
    assert_valid_blocks(blocks)
    texts = [b["text"]["text"] for b in blocks]
    # Each rendered line is 1033 characters: two fit a section, a third would not.
    assert [t.count("<@U1> · ") for t in texts] == [2, 2, 2, 2, 2]
    assert texts[0].startswith("*Timeline of INC-7*\n`2026-01-05 09:00 UTC` <@U1> · 000 ")
    assert texts[-1].startswith("`2026-01-05 09:08 UTC` <@U1> · 008 ")


def test_a_huge_timeline_keeps_the_start_and_the_latest_within_fifty_blocks():
    lines = [(AT + timedelta(minutes=i), "U1", f"{i:03d} " + HOSTILE * 40) for i in range(200)]
    blocks = timeline_blocks("INC-7", lines)
    assert_valid_blocks(blocks)
    assert_never_pings(blocks)
    texts = [b["text"]["text"] for b in blocks]
    # Each line fills a section of its own (the first shares one with the title): 200
    # sections, of which the first and the latest 47 are shown.
    assert len(blocks) == 49
    assert texts[0].startswith("*Timeline of INC-7*\n`2026-01-05 09:00 UTC` <@U1> · 000 ")
    assert texts[1] == "_… 152 earlier sections omitted; export the log for all._"
    assert texts[2].startswith("`2026-01-05 11:33 UTC` <@U1> · 153 ")
    assert texts[-1].startswith("`2026-01-05 12:19 UTC` <@U1> · 199 ")


# --- status updates ------------------------------------------------------------------------


def test_update_notification_text():
    assert update_text("Status update", "Rolled back <deploy>") == (
        "Status update: Rolled back &lt;deploy&gt;"
    )
    long = update_text("Status update", HOSTILE * 100)
    assert_never_pings(long)
    assert len(long) <= 300


def test_status_update():
    blocks = update_blocks(author="U1", text="Rolled back 4.2; refunds paused.", view=VIEW)
    assert_valid_blocks(blocks)
    assert blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":mega: *Status update* · SEV-1 · Identified\n"
                "Rolled back 4.2; refunds paused.",
            },
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Posted by <@U1>"}]},
    ]


def test_a_long_hostile_status_update_fits_and_never_pings():
    blocks = update_blocks(author="U1", text=HOSTILE * 200, view=VIEW)
    assert_valid_blocks(blocks)
    assert_never_pings(blocks)
    assert blocks[0]["text"]["text"].startswith(":mega: *Status update* · SEV-1 · Identified\n")


def test_customer_update():
    blocks = customer_update_blocks(author="U2", text="We are investigating.", view=VIEW)
    assert_valid_blocks(blocks)
    assert blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":speech_balloon: *Customer update* · SEV-1\nWe are investigating.",
            },
        },
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "Approved for customers by <@U2>"}],
        },
    ]


def test_a_long_hostile_customer_update_fits_and_never_pings():
    blocks = customer_update_blocks(author="U2", text=HOSTILE * 200, view=VIEW)
    assert_valid_blocks(blocks)
    assert_never_pings(blocks)


def test_help_lists_the_alert_rules_as_guidance_for_choosing_a_severity():
    text = help_text(
        severities=["p0"], roles=[], guidance=["P0: Payment success rate < 95% for 10m"]
    )
    assert text.endswith(
        "*Choosing a severity* (this pack's examples and alert rules)\n"
        "• P0: Payment success rate &lt; 95% for 10m"
    )
    assert "Choosing a severity" not in help_text(severities=["p0"], roles=[])
