from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.domain.errors import BadCommand
from bot.domain.log_fields import (
    FillableField,
    digest,
    edited,
    fillable_fields,
    latest_values,
    parse_log_set,
)
from playbooks.loader import load_pack
from playbooks.logfields import LogField

PROD = fillable_fields(load_pack("prod-100k").incident_log)


@dataclass
class Event:
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


def test_fillable_fields_keep_the_template_order_and_labels():
    assert PROD == [
        FillableField(LogField.DETECTION_METHOD, "Detection Method"),
        FillableField(LogField.AFFECTED_SERVICES, "Affected Services"),
        FillableField(LogField.IMPACT, "User Impact"),
        FillableField(LogField.INITIAL_RESPONSE, "Initial Response"),
        FillableField(LogField.LESSONS_LEARNED, "Lessons Learned"),
    ]
    assert fillable_fields(load_pack("defcon").incident_log) == []


@pytest.mark.parametrize(
    ("rest", "field", "text"),
    [
        ("user impact: 40 buyers", LogField.IMPACT, "40 buyers"),
        ("USERS IMPACTED:40 buyers: all in EU", LogField.IMPACT, "40 buyers: all in EU"),
        ("impact: 40 buyers", LogField.IMPACT, "40 buyers"),
        ("Lessons learned retry budgets", LogField.LESSONS_LEARNED, "retry budgets"),
        ("detection method: User Report", LogField.DETECTION_METHOD, "User Report"),
    ],
)
def test_parse_log_set(rest: str, field: LogField, text: str):
    found, value = parse_log_set(rest, PROD)
    assert (found.field, value) == (field, text)


def test_an_unknown_field_lists_the_fields_this_log_has():
    with pytest.raises(BadCommand) as error:
        parse_log_set("weather: sunny", PROD)
    assert str(error.value) == (
        "`weather` is not a field of this incident log. Fields you can fill in: "
        "`Detection Method`, `Affected Services`, `User Impact`, `Initial Response`, "
        "`Lessons Learned`. Usage: `/incident log set <field>: <text>`."
    )


def test_a_field_of_another_template_is_unknown_here():
    quickmela = fillable_fields(load_pack("quickmela").incident_log)
    with pytest.raises(BadCommand, match="Fields you can fill in: `Users Impacted`"):
        parse_log_set("lessons learned: x", quickmela)


@pytest.mark.parametrize("rest", ["impact:", "impact:   ", "user impact"])
def test_an_empty_text_is_refused(rest: str):
    with pytest.raises(BadCommand, match=r"Give the text for User Impact"):
        parse_log_set(rest, PROD)


def test_a_template_with_nothing_to_fill_says_so():
    with pytest.raises(BadCommand, match="no fields to fill in by hand"):
        parse_log_set("impact: x", [])


def test_latest_values_take_the_last_and_drop_cleared_and_unknown_fields():
    events = [
        Event("log_field_set", {"field": "impact", "text": "a"}),
        Event("note_added", {"field": "impact", "text": "not a log field"}),
        Event("log_field_set", {"field": "lessons_learned", "text": "b"}),
        Event("log_field_set", {"field": "impact", "text": "c"}),
        Event("log_field_set", {"field": "lessons_learned", "text": ""}),
        Event("log_field_set", {"field": "no_such_field", "text": "d"}),
    ]
    assert latest_values(events) == {LogField.IMPACT: "c"}


def test_edited_keeps_only_what_the_form_changed():
    shown = {"impact": digest("40 buyers"), "lessons_learned": digest("")}
    submitted = {
        LogField.IMPACT: "40 buyers ",  # unchanged but for a space
        LogField.LESSONS_LEARNED: "Alert sooner",
        LogField.INITIAL_RESPONSE: "",  # not shown, left empty
        LogField.AFFECTED_SERVICES: "checkout",  # not shown (e.g. an old form): a change
    }
    assert edited(shown, submitted) == {
        LogField.LESSONS_LEARNED: "Alert sooner",
        LogField.AFFECTED_SERVICES: "checkout",
    }
    assert edited({"impact": digest("40 buyers")}, {LogField.IMPACT: ""}) == {LogField.IMPACT: ""}
