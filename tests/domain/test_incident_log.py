from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.incident_log import (
    LogEvent,
    LogInput,
    format_duration,
    parse_resolution,
    render_incident_log,
    severity_history,
)
from playbooks.loader import builtin_pack_ids, load_pack

QUICKMELA_FIELDS = [
    "Incident ID",
    "Start Time",
    "Detected By",
    "Severity",
    "Features Disabled",
    "Users Impacted",
    "Resolution",
    "Root Cause",
    "Preventive Action",
]
SEVERITIES = {"sev1": "SEV-1", "sev2": "SEV-2", "sev3": "SEV-3"}


def at(hour: int, minute: int, second: int = 0, day: int = 22) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def resolved_incident(**changes: object) -> LogInput:
    events = [
        LogEvent(
            at(14, 2, 5),
            "U1",
            "declared",
            "Refunds executed twice",
            {"severity": "sev2", "commander": "U1"},
        ),
        LogEvent(
            at(14, 10), "U1", "severity_changed", "SEV-2 → SEV-1", {"old": "sev2", "new": "sev1"}
        ),
        LogEvent(at(14, 12), "U2", "role_assigned", "Scribe: <@U2>", {}),
        LogEvent(at(14, 20), None, "reminder_sent", "Update due", {}),
        LogEvent(at(15, 7), "U1", "resolved", "Rolled back deploy 42", {}),
    ]
    data = LogInput(
        incident_id="INC-42",
        title="Refunds executed twice",
        status="resolved",
        declared_at=at(14, 2, 5),
        declared_by="U9",
        resolved_at=at(15, 7, 5),
        commander="U1",
        roles=[("Scribe", ["U2"]), ("Support Lead", [])],
        severity_names=SEVERITIES,
        current_severity="sev1",
        events=events,
        features_disabled=["refunds_enabled", "live_auction"],
        resolution="Rolled back deploy 42",
        root_cause="Missing idempotency key",
        preventive_actions=["Add a guard", "Alert on duplicate refunds"],
        pack_title="QuickMela",
        now=at(16, 0),
        commander_role="Incident Commander",
    )
    return replace(data, **changes)  # type: ignore[arg-type]


def open_incident() -> LogInput:
    data = resolved_incident()
    return replace(
        data,
        status="investigating",
        resolved_at=None,
        events=data.events[:-1],
        resolution=None,
        root_cause=None,
        preventive_actions=[],
    )


# --- parse_resolution -------------------------------------------------------------------------


def test_parse_resolution_with_all_labelled_parts():
    text = (
        "Rolled back deploy 42 | root cause: missing idempotency key"
        " | prevent: add a guard, alert on dupes"
    )
    assert parse_resolution(text) == (
        "Rolled back deploy 42",
        "missing idempotency key",
        ["add a guard", "alert on dupes"],
    )


def test_parse_resolution_plain_text_is_the_resolution():
    assert parse_resolution("  Restarted the worker; queue drained  ") == (
        "Restarted the worker; queue drained",
        None,
        [],
    )


def test_parse_resolution_empty():
    assert parse_resolution("") == ("", None, [])
    assert parse_resolution("   \n ") == ("", None, [])


@pytest.mark.parametrize(
    "label",
    ["prevent:", "Preventive action:", "PREVENTIVE ACTIONS:", "prevention:", "Action items:"],
)
def test_parse_resolution_prevent_labels(label: str):
    assert parse_resolution(f"fixed | {label} a,  b ,, c")[2] == ["a", "b", "c"]


@pytest.mark.parametrize("label", ["root cause:", "RC:", "Root Cause :"])
def test_parse_resolution_root_cause_labels(label: str):
    assert parse_resolution(f"fixed | {label} bad config")[1] == "bad config"


def test_parse_resolution_newlines_and_order_do_not_matter():
    text = "rc: cache stampede\nRaised the TTL\nprevent: jitter TTLs\nwarmed the cache"
    assert parse_resolution(text) == (
        "Raised the TTL warmed the cache",
        "cache stampede",
        ["jitter TTLs"],
    )


def test_parse_resolution_semicolons_and_link_pipes_are_prose():
    text = "Flag off; see <https://x.io/pr/1|PR 1> | rc: race; two workers"
    assert parse_resolution(text) == (
        "Flag off; see <https://x.io/pr/1|PR 1>",
        "race; two workers",
        [],
    )


def test_parse_resolution_bullets_continue_a_label():
    text = "Rolled back\nprevent:\n- add a guard\n- alert on dupes"
    assert parse_resolution(text) == ("Rolled back", None, ["add a guard", "alert on dupes"])


def test_parse_resolution_empty_labels_are_not_recorded():
    assert parse_resolution("done | rc: | prevent: ") == ("done", None, [])


# --- severity history and durations -----------------------------------------------------------


def test_severity_history_starts_at_declaration():
    assert severity_history(resolved_incident()) == [
        (at(14, 2, 5), "SEV-2"),
        (at(14, 10), "SEV-1"),
    ]


def test_severity_history_without_changes_or_declared_event():
    data = resolved_incident(events=[], current_severity="sev3")
    assert severity_history(data) == [(at(14, 2, 5), "SEV-3")]


def test_severity_history_falls_back_to_first_change_and_raw_ids():
    events = [LogEvent(at(14, 30), "U1", "severity_changed", "", {"old": "p9", "new": "sev1"})]
    data = resolved_incident(events=events)
    assert severity_history(data) == [(at(14, 2, 5), "p9"), (at(14, 30), "SEV-1")]


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=45), "45s"),
        (timedelta(0), "0s"),
        (timedelta(minutes=12, seconds=3), "12m 03s"),
        (timedelta(hours=1, minutes=5, seconds=59), "1h 05m"),
        (timedelta(days=2, hours=3, minutes=10), "2d 3h 10m"),
        (timedelta(days=1), "1d 0h 00m"),
        (timedelta(seconds=-30), "0s"),
    ],
)
def test_format_duration(delta: timedelta, expected: str):
    start = at(14, 0)
    assert format_duration(start, start + delta) == expected


# --- rendering --------------------------------------------------------------------------------


def test_render_quickmela_fields():
    out = render_incident_log(QUICKMELA_FIELDS, resolved_incident())
    lines = out.splitlines()
    assert lines[0] == "# Incident log: INC-42 — Refunds executed twice"
    assert "_QuickMela template · generated 2026-11-22 16:00 UTC_" in lines
    assert "**Incident ID:** INC-42" in lines
    assert "**Start Time:** 2026-11-22 14:02 UTC" in lines
    assert "**Detected By:** <@U9>" in lines
    assert "**Severity:** SEV-2 (14:02 UTC) → SEV-1 (14:10 UTC)" in lines
    assert "**Features Disabled:** `refunds_enabled`, `live_auction`" in lines
    assert "**Users Impacted:** _(fill in)_" in lines
    assert "**Resolution:** Rolled back deploy 42" in lines
    assert "**Root Cause:** Missing idempotency key" in lines
    actions = out.index("**Preventive Action:**\n- Add a guard\n- Alert on duplicate refunds")
    timeline = out.index("## Timeline (UTC)")
    assert actions < timeline
    # Fields keep the pack's order.
    positions = [out.index(f"**{label}:**") for label in QUICKMELA_FIELDS]
    assert positions == sorted(positions)
    assert "- 14:02:05 · <@U1> · Declared: Refunds executed twice" in lines
    assert "- 14:10:00 · <@U1> · Severity changed: SEV-2 → SEV-1" in lines
    assert "- 14:20:00 · bot · Reminder sent: Update due" in lines
    assert out.endswith("- 15:07:00 · <@U1> · Resolved: Rolled back deploy 42\n")


def test_render_known_fields_of_the_default_style_pack():
    fields = ["Title", "Roles", "End Time", "Duration"]
    lines = render_incident_log(fields, resolved_incident()).splitlines()
    assert "**Title:** Refunds executed twice" in lines
    assert "**Roles:** Incident Commander: <@U1>; Scribe: <@U2>; Support Lead: —" in lines
    assert "**End Time:** 2026-11-22 15:07 UTC" in lines
    assert "**Duration:** 1h 05m" in lines


def test_render_timeline_inside_the_field_list_and_unknown_labels():
    fields = ["Incident ID", "Timeline", "Lessons Learned", "Root Cause"]
    out = render_incident_log(fields, resolved_incident())
    assert out.count("## Timeline (UTC)") == 1
    assert "**Lessons Learned:** _(fill in)_" in out.splitlines()
    assert out.index("**Incident ID:**") < out.index("## Timeline (UTC)")
    assert out.index("## Timeline (UTC)") < out.index("**Lessons Learned:**")
    assert out.index("**Lessons Learned:**") < out.index("**Root Cause:**")
    assert out.rstrip().endswith("**Root Cause:** Missing idempotency key")


def test_render_still_open_incident():
    fields = ["End Time", "Duration", "Resolution", "Root Cause", "Preventive Actions"]
    lines = render_incident_log(fields, open_incident()).splitlines()
    assert "**End Time:** — (still open)" in lines
    assert "**Duration:** 1h 57m (ongoing)" in lines
    assert "**Resolution:** _(not recorded)_" in lines
    assert "**Root Cause:** _(not recorded)_" in lines
    assert "**Preventive Actions:** _(not recorded)_" in lines


def test_render_empty_values():
    data = replace(
        open_incident(), events=[], features_disabled=[], roles=[], commander="", resolution=" "
    )
    lines = render_incident_log(["Features Disabled", "Roles", "Resolution"], data).splitlines()
    assert "**Features Disabled:** none recorded" in lines
    assert "**Roles:** —" in lines
    assert "**Resolution:** _(not recorded)_" in lines
    assert "_(no events recorded)_" in lines


def test_render_uses_dates_when_the_incident_spans_days():
    data = resolved_incident(resolved_at=at(1, 30, day=23))
    events = [*data.events, LogEvent(at(1, 30, day=23), "U1", "reopened", "", {})]
    out = render_incident_log(["Severity"], replace(data, events=events))
    assert "**Severity:** SEV-2 (2026-11-22 14:02 UTC) → SEV-1 (2026-11-22 14:10 UTC)" in out
    assert "- 2026-11-22 14:02:05 · <@U1> · Declared: Refunds executed twice" in out
    assert "- 2026-11-23 01:30:00 · <@U1> · Reopened" in out.splitlines()


def test_render_multiline_event_text_stays_in_its_list_item():
    events = [LogEvent(at(14, 30), "U1", "update_posted", "Status: mitigated\nNext: monitor", {})]
    out = render_incident_log([], resolved_incident(events=events))
    assert "- 14:30:00 · <@U1> · Update posted: Status: mitigated\n  Next: monitor" in out


def test_render_never_pages_a_channel():
    events = [LogEvent(at(14, 30), "U1", "note_added", "ping <!here> and <!everyone>", {})]
    data = resolved_incident(
        title="<!channel> refunds",
        resolution="told <!channel>",
        root_cause="<!here|here>",
        preventive_actions=["<!everyone> drill"],
        events=events,
    )
    fields = ["Title", "Resolution", "Root Cause", "Preventive Actions"]
    out = render_incident_log(fields, data)
    assert "<!" not in out
    assert "&lt;!channel> refunds" in out
    assert "<@U1>" in out


@pytest.mark.parametrize("pack_id", builtin_pack_ids())
def test_every_builtin_pack_renders_its_own_template(pack_id: str):
    pack = load_pack(pack_id)
    for data in (resolved_incident(pack_title=pack.title), open_incident()):
        out = render_incident_log(pack.incident_log, data)
        for label in pack.incident_log:
            if label.strip().casefold() == "timeline":
                assert "## Timeline (UTC)" in out
            else:
                assert f"**{label}:**" in out
        assert out.count("## Timeline (UTC)") == 1


def test_description_detection_method_and_resolved_by_are_filled_from_the_record():
    from datetime import UTC, datetime

    from bot.domain.incident_log import LogEvent, LogInput, render_incident_log

    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    data = LogInput(
        incident_id="INC-1",
        title="Duplicate ledger entries",
        status="resolved",
        declared_at=at,
        declared_by="U_ALICE",
        resolved_at=at,
        commander="U_BOB",
        roles=[],
        severity_names={"sev0": "SEV0"},
        current_severity="sev0",
        events=[
            LogEvent(at=at, actor="U_CAROL", kind="resolved", text="", data={}),
            LogEvent(at=at, actor="U_BOB", kind="reopened", text="", data={}),
            LogEvent(at=at, actor="U_BOB", kind="resolved", text="", data={}),
        ],
        features_disabled=[],
        resolution="Rolled back",
        root_cause=None,
        preventive_actions=[],
        pack_title="Escrow",
        now=at,
        description="Deal 42 shows two ledger entries.",
    )
    text = render_incident_log(["Description", "Detection Method", "Resolved By"], data)
    assert "Deal 42 shows two ledger entries." in text
    assert "Manual (declared in Slack by <@U_ALICE>)" in text
    [resolved_by] = [line for line in text.splitlines() if line.startswith("**Resolved By")]
    assert "<@U_BOB>" in resolved_by and "<@U_CAROL>" not in resolved_by  # the last resolve
