from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.incident_log import (
    LogEvent,
    LogInput,
    LogStyle,
    compose_resolution,
    format_duration,
    markdown_text,
    parse_resolution,
    people_in,
    render_incident_log,
    severity_history,
)
from bot.domain.log_fields import fillable_fields
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
        names={"U1": "Alice Ng", "U2": "Bob Li", "U9": "Carol Diaz"},
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


def test_a_resolution_given_in_parts_is_parsed_back_into_the_same_parts():
    text = compose_resolution(
        "Rolled back\n4.2", "retry storm | after deploy", ["idempotency keys", "", "alerts"]
    )
    assert text == (
        "Rolled back / 4.2\nroot cause: retry storm / after deploy\n"
        "prevent: idempotency keys, alerts"
    )
    assert parse_resolution(text) == (
        "Rolled back / 4.2",
        "retry storm / after deploy",
        ["idempotency keys", "alerts"],
    )
    assert compose_resolution("Fixed") == "Fixed"


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
    assert "**Detected By:** Carol Diaz" in lines
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
    assert "- 14:02:05 · Alice Ng · Declared: Refunds executed twice" in lines
    assert "- 14:10:00 · Alice Ng · Severity changed: SEV-2 → SEV-1" in lines
    assert "- 14:12:00 · Bob Li · Role assigned: Scribe: Bob Li" in lines
    assert "- 14:20:00 · bot · Reminder sent: Update due" in lines
    assert out.endswith("- 15:07:00 · Alice Ng · Resolved: Rolled back deploy 42\n")
    assert "<@" not in out


def test_render_known_fields_of_the_default_style_pack():
    fields = ["Title", "Roles", "End Time", "Duration"]
    lines = render_incident_log(fields, resolved_incident()).splitlines()
    assert "**Title:** Refunds executed twice" in lines
    assert "**Roles:** Incident Commander: Alice Ng; Scribe: Bob Li; Support Lead: —" in lines
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
    assert "- 2026-11-22 14:02:05 · Alice Ng · Declared: Refunds executed twice" in out
    assert "- 2026-11-23 01:30:00 · Alice Ng · Reopened" in out.splitlines()


def test_render_multiline_event_text_stays_in_its_list_item():
    events = [LogEvent(at(14, 30), "U1", "update_posted", "Status: mitigated\nNext: monitor", {})]
    out = render_incident_log([], resolved_incident(events=events))
    assert "- 14:30:00 · Alice Ng · Update posted: Status: mitigated\n  Next: monitor" in out


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
    posted = render_incident_log(fields, data, LogStyle.MRKDWN)
    assert "<!" not in posted and "<@" not in posted  # nobody is paged, nobody pinged
    assert "*Title:* &lt;!channel&gt; refunds" in posted
    assert "• 14:30:00 · Alice Ng · Note added: ping &lt;!here&gt; and &lt;!everyone&gt;" in posted
    # The export is read outside Slack: the same words, as plain text.
    exported = render_incident_log(fields, data)
    assert "<!" not in exported
    assert "**Title:** @channel refunds" in exported
    assert "- 14:30:00 · Alice Ng · Note added: ping @here and @everyone" in exported


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
    # No names known (the CLI export has no Slack to ask): bare user IDs, never mentions.
    assert "**Detection Method:** Manual (declared in Slack by U_ALICE)" in text
    [resolved_by] = [line for line in text.splitlines() if line.startswith("**Resolved By")]
    assert resolved_by == "**Resolved By:** U_BOB"  # the last resolve


# --- two styles, names, and fields a person filled in ------------------------------------------

PROD_FIELDS = ["Incident ID", "Detection Method", "User Impact", "Lessons Learned", "Timeline"]


def filled_in(*sets: tuple[str, str, str]) -> LogInput:
    """A short incident with `log_field_set` events (field, text, by), a minute apart."""
    events = [LogEvent(at(14, 0), "U9", "declared", "Checkout down", {"severity": "sev1"})]
    events += [
        LogEvent(at(14, 1 + n), by, "log_field_set", f"{f}: {t}", {"field": f, "text": t, "by": by})
        for n, (f, t, by) in enumerate(sets)
    ]
    return resolved_incident(
        title="Checkout down", events=events, pack_title="Prod", declared_by="U9"
    )


def test_markdown_and_mrkdwn_are_the_same_log_in_two_styles():
    data = filled_in(("impact", "Buyers saw *errors* <@U2|bob>", "U1"))
    assert render_incident_log(PROD_FIELDS, data) == (
        "# Incident log: INC-42 — Checkout down\n\n"
        "_Prod template · generated 2026-11-22 16:00 UTC_\n\n"
        "**Incident ID:** INC-42\n\n"
        "**Detection Method:** Manual (declared in Slack by Carol Diaz)\n\n"
        "**User Impact:** Buyers saw *errors* Bob Li\n\n"
        "**Lessons Learned:** _(fill in)_\n\n"
        "## Timeline (UTC)\n\n"
        "- 14:00:00 · Carol Diaz · Declared: Checkout down\n"
        "- 14:01:00 · Alice Ng · Log field set: impact: Buyers saw *errors* Bob Li\n"
    )
    assert render_incident_log(PROD_FIELDS, data, LogStyle.MRKDWN) == (
        "*Incident log: INC-42 — Checkout down*\n\n"
        "_Prod template · generated 2026-11-22 16:00 UTC_\n\n"
        "_Fill in the blanks with `/incident log edit`, or "
        "`/incident log set &lt;field&gt;: &lt;text&gt;`._\n\n"
        "*Incident ID:* INC-42\n\n"
        "*Detection Method:* Manual (declared in Slack by Carol Diaz)\n\n"
        "*User Impact:* Buyers saw *errors* Bob Li\n\n"
        "*Lessons Learned:* _(fill in)_\n\n"
        "*Timeline (UTC)*\n\n"
        "• 14:00:00 · Carol Diaz · Declared: Checkout down\n"
        "• 14:01:00 · Alice Ng · Log field set: impact: Buyers saw *errors* Bob Li\n"
    )


def test_the_latest_value_of_a_field_wins_and_an_empty_one_clears_it():
    data = filled_in(
        ("impact", "unknown yet", "U1"),
        ("lessons_learned", "Alert on refunds", "U2"),
        ("impact", "40 buyers charged twice", "U2"),
        ("lessons_learned", "", "U1"),
    )
    lines = render_incident_log(PROD_FIELDS, data).splitlines()
    assert "**User Impact:** 40 buyers charged twice" in lines
    assert "**Lessons Learned:** _(fill in)_" in lines


def test_detection_method_set_by_a_person_replaces_the_default():
    data = filled_in(("detection_method", "User Report", "U1"))
    lines = render_incident_log(PROD_FIELDS, data).splitlines()
    assert "**Detection Method:** User Report" in lines


def test_a_multiline_value_starts_on_its_own_line():
    data = filled_in(("lessons_learned", "Alert sooner\nPractise rollback", "U1"))
    out = render_incident_log(PROD_FIELDS, data)
    assert "**Lessons Learned:**\nAlert sooner\nPractise rollback\n\n" in out


def test_every_fill_in_label_of_the_builtin_packs_can_be_filled():
    texts = {
        f.field.value: f"{f.label} text"
        for pack_id in builtin_pack_ids()
        for f in fillable_fields(load_pack(pack_id).incident_log)
    }
    data = filled_in(*((field, text, "U1") for field, text in texts.items()))
    for pack_id in builtin_pack_ids():
        out = render_incident_log(load_pack(pack_id).incident_log, data)
        assert "_(fill in)_" not in out, pack_id


def test_names_without_a_known_name_fall_back_to_the_label_then_the_id():
    events = [LogEvent(at(14, 5), "U7", "note_added", "asked <@U8|dan> and <@W5>", {})]
    out = render_incident_log([], resolved_incident(events=events, names={"U8": "Dan <b>"}))
    assert "- 14:05:00 · U7 · Note added: asked Dan b and W5" in out


@pytest.mark.parametrize(
    ("slack", "markdown"),
    [
        ("see <https://x.io/1|PR 1>", "see [PR 1](https://x.io/1)"),
        ("see <https://x.io/1>", "see <https://x.io/1>"),
        ("in <#C123|ops> and <#C9>", "in #ops and #C9"),
        ("<!subteam^S1|@oncall> <!subteam^S2>", "@oncall @S2"),
        ("<!here> <!channel|channel>", "@here @channel"),
        ("<!date^1700000000^{date}|Nov 14>", "Nov 14"),
        ("a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"),
    ],
)
def test_slack_markup_in_the_export_reads_as_markdown(slack: str, markdown: str):
    assert markdown_text(slack) == markdown


def test_people_in_the_log_are_every_person_it_names():
    events = [LogEvent(at(14, 5), "U7", "note_added", "asked <@U8|dan>", {})]
    data = resolved_incident(events=events, root_cause="<@W5> typo")
    assert people_in(data) == {"U1", "U2", "U7", "U8", "U9", "W5"}


def test_each_customer_update_in_the_timeline_names_its_audience():
    events = [
        LogEvent(
            at(14, 30), "U1", "customer_update_posted", "Refund delayed.", {"audience": "buyer"}
        ),
        LogEvent(
            at(14, 31), "U1", "customer_update_posted", "Payout held.", {"audience": "seller"}
        ),
        LogEvent(
            at(14, 40), "U1", "customer_update_posted", "We are on it.", {"audience": "customer"}
        ),
    ]
    data = resolved_incident(events=events, audiences={"buyer": "Buyers", "seller": "Sellers"})
    text = render_incident_log(["Timeline"], data)
    assert "14:30:00 · Alice Ng · Customer update (Buyers): Refund delayed." in text
    assert "14:31:00 · Alice Ng · Customer update (Sellers): Payout held." in text
    assert "14:40:00 · Alice Ng · Customer update posted: We are on it." in text


def test_initial_response_is_the_first_action_a_person_took_unless_someone_wrote_one():
    events = [
        LogEvent(at(14, 2), "U1", "declared", "Payments down", {}),
        LogEvent(at(14, 3), None, "escalated", "Paging on-call", {}),
        LogEvent(at(14, 4), "U2", "step_completed", "Activate the circuit breakers", {}),
        LogEvent(at(14, 9), "U1", "update_posted", "Breakers on", {}),
    ]
    text = render_incident_log(["Initial Response"], resolved_incident(events=events))
    assert "**Initial Response:** 14:04 UTC · Bob Li · Step completed: Activate the circuit" in text
    written = LogEvent(
        at(14, 30),
        "U1",
        "log_field_set",
        "Initial Response: Breakers, then backup processor",
        {"field": "initial_response", "text": "Breakers, then backup processor"},
    )
    text = render_incident_log(["Initial Response"], resolved_incident(events=[*events, written]))
    assert "**Initial Response:** Breakers, then backup processor" in text
    nothing = render_incident_log(["Initial Response"], resolved_incident(events=events[:2]))
    assert "**Initial Response:** _(fill in)_" in nothing


def test_a_description_can_be_written_after_an_inline_declaration():
    written = LogEvent(
        at(14, 30),
        "U1",
        "log_field_set",
        "Description: Refunds ran twice for 40 orders",
        {"field": "description", "text": "Refunds ran twice for 40 orders"},
    )
    data = resolved_incident(description="")
    assert "**Description:** Refunds ran twice for 40 orders" in render_incident_log(
        ["Description"], replace(data, events=[*data.events, written])
    )
    recorded = render_incident_log(["Description"], resolved_incident(description="From the form"))
    assert "**Description:** From the form" in recorded


def test_an_incident_an_alert_declared_is_detected_automatically():
    declared = at(14, 2, 5)
    fired = LogEvent(
        declared,
        None,
        "alert_fired",
        "Payment success rate low",
        {"source": "alertmanager", "fingerprint": "f1"},
    )
    data = resolved_incident(events=[fired])
    assert (
        "**Detection Method:** Automated (alert from alertmanager: Payment success rate low)"
        in render_incident_log(["Detection Method"], data)
    )
    # An alert that joined later does not make a person's declaration automatic.
    late = LogEvent(at(15, 0), None, "alert_fired", "Late", {"source": "grafana"})
    text = render_incident_log(["Detection Method"], resolved_incident(events=[late]))
    assert "**Detection Method:** Manual (declared in Slack by Carol Diaz)" in text


@pytest.mark.parametrize("label", ["Action Items", "Follow-up actions", "Preventive Actions"])
def test_open_follow_ups_follow_the_preventive_actions_in_both_styles(label: str):
    data = resolved_incident(
        follow_ups=[("Add an alert", "U2", date(2026, 11, 27)), ("Write the runbook", "U7", None)]
    )
    markdown = render_incident_log([label], data)
    assert (
        f"**{label}:**\n"
        + "\n".join(
            [
                "- Add a guard",
                "- Alert on duplicate refunds",
                "- Add an alert (follow-up, open · owner Bob Li · due 2026-11-27)",
                "- Write the runbook (follow-up, open · owner U7)",
            ]
        )
        in markdown
    )
    mrkdwn = render_incident_log([label], data, LogStyle.MRKDWN)
    assert "\n• Add an alert (follow-up, open · owner Bob Li · due 2026-11-27)\n" in mrkdwn
    assert "U7" in people_in(data)
