"""bot.domain.incident: statuses, the transitions between them and severity changes."""

import pytest

from bot.domain.errors import BadCommand, DomainError, InvalidTransition
from bot.domain.incident import (
    Status,
    check_open,
    check_reopen,
    check_severity_change,
    check_status_change,
    parse_status,
)

OPEN = [Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING]


def test_statuses_in_order_with_their_stored_values_and_labels():
    assert [(s, s.value, s.label) for s in Status] == [
        (Status.INVESTIGATING, "investigating", "Investigating"),
        (Status.IDENTIFIED, "identified", "Identified"),
        (Status.MONITORING, "monitoring", "Monitoring"),
        (Status.RESOLVED, "resolved", "Resolved"),
    ]


def test_resolved_is_the_only_closed_status():
    assert [s for s in Status if s.is_open] == OPEN
    assert Status.RESOLVED.is_open is False


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("investigating", Status.INVESTIGATING),
        ("Identified", Status.IDENTIFIED),
        ("  MONITORING\n", Status.MONITORING),
        ("resolved", Status.RESOLVED),
    ],
)
def test_status_words_parse_ignoring_case_and_surrounding_space(text, status):
    assert parse_status(text) is status


@pytest.mark.parametrize("text", ["fixed", "", "resolve", "in progress"])
def test_unknown_status_words_are_refused_with_the_valid_choices(text):
    with pytest.raises(BadCommand) as refused:
        parse_status(text)
    assert str(refused.value) == (
        f"Unknown status `{text}`. Use one of: investigating, identified, monitoring, resolved."
    )


# --- status changes ------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "new"), [(c, n) for c in OPEN for n in Status if n is not c])
def test_an_open_incident_moves_to_any_other_status_including_resolved(current, new):
    check_status_change(current, new)


@pytest.mark.parametrize("status", list(Status))
def test_a_move_to_the_current_status_is_refused(status):
    with pytest.raises(InvalidTransition) as refused:
        check_status_change(status, status)
    assert str(refused.value) == f"The incident is already {status.label}."


@pytest.mark.parametrize("new", OPEN)
def test_a_resolved_incident_changes_status_only_after_reopening(new):
    with pytest.raises(InvalidTransition) as refused:
        check_status_change(Status.RESOLVED, new)
    assert str(refused.value) == (
        "The incident is resolved. Reopen it with `/incident reopen` before changing status."
    )


@pytest.mark.parametrize("status", OPEN)
def test_changes_to_an_open_incident_are_allowed(status):
    check_open(status, "change its severity")


def test_changes_to_a_resolved_incident_are_refused_naming_the_change_and_the_way_back():
    with pytest.raises(InvalidTransition) as refused:
        check_open(Status.RESOLVED, "assign roles")
    assert str(refused.value) == (
        "The incident is resolved, so you can't assign roles. Reopen it with `/incident reopen`."
    )


def test_only_a_resolved_incident_can_be_reopened():
    check_reopen(Status.RESOLVED)


@pytest.mark.parametrize("status", OPEN)
def test_reopening_an_open_incident_is_refused_naming_its_status(status):
    with pytest.raises(InvalidTransition) as refused:
        check_reopen(status)
    assert str(refused.value) == f"The incident is still open ({status.label})."


# --- severity ------------------------------------------------------------------------------


def test_a_severity_change_must_change_the_severity():
    check_severity_change("sev2", "sev1")
    with pytest.raises(InvalidTransition) as refused:
        check_severity_change("sev1", "sev1")
    assert str(refused.value) == "The incident already has that severity."


def test_every_refusal_is_a_domain_error_the_one_error_handler_shows():
    assert issubclass(InvalidTransition, DomainError)
    assert issubclass(BadCommand, DomainError)
