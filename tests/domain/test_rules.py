import pytest

from bot.domain.errors import BadCommand, InvalidTransition, NotAllowed
from bot.domain.incident import (
    Status,
    check_open,
    check_reopen,
    check_severity_change,
    check_status_change,
    parse_status,
)
from bot.domain.policy import require_command_authority, require_role_authority


def test_commander_and_admins_hold_command():
    require_command_authority("hand_over", actor="U1", commander="U1", admins=set())
    require_command_authority("resolve", actor="UADMIN", commander="U1", admins={"UADMIN"})


def test_others_are_refused_with_the_commander_named_and_how_to_ask():
    with pytest.raises(NotAllowed) as refused:
        require_command_authority("hand_over", actor="U2", commander="U1", admins={"U9"})
    message = str(refused.value)
    assert "<@U1>" in message
    assert "hand over command" in message
    assert "/incident commander <@U2>" in message


def test_role_rules():
    kwargs = {"commander": "UC", "admins": {"UA"}}
    require_role_authority("Scribe", actor="UC", assignee="U5", holder="U4", **kwargs)
    require_role_authority("Scribe", actor="U5", assignee="U5", holder=None, **kwargs)
    require_role_authority("Scribe", actor="U4", assignee="U6", holder="U4", **kwargs)
    with pytest.raises(NotAllowed, match="<@U4>"):
        require_role_authority("Scribe", actor="U5", assignee="U5", holder="U4", **kwargs)
    with pytest.raises(NotAllowed):
        require_role_authority("Scribe", actor="U5", assignee="U6", holder=None, **kwargs)


def test_status_parsing():
    assert parse_status(" Identified ") is Status.IDENTIFIED
    with pytest.raises(BadCommand, match="investigating, identified, monitoring, resolved"):
        parse_status("fixed")


@pytest.mark.parametrize("old", [Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING])
@pytest.mark.parametrize("new", list(Status))
def test_open_statuses_move_anywhere_but_to_themselves(old, new):
    if old == new:
        with pytest.raises(InvalidTransition, match="already"):
            check_status_change(old, new)
    else:
        check_status_change(old, new)


def test_resolved_is_closed_until_reopened():
    with pytest.raises(InvalidTransition, match="reopen"):
        check_status_change(Status.RESOLVED, Status.MONITORING)
    with pytest.raises(InvalidTransition, match="reopen"):
        check_open(Status.RESOLVED, "change its severity")
    check_reopen(Status.RESOLVED)
    with pytest.raises(InvalidTransition, match="still open"):
        check_reopen(Status.MONITORING)


def test_severity_change_must_change():
    check_severity_change("sev2", "sev1")
    with pytest.raises(InvalidTransition):
        check_severity_change("sev1", "sev1")


def test_step_rules():
    from bot.domain.policy import require_step_authority

    base = {"commander": "UC", "admins": {"UA"}}
    require_step_authority(None, single=False, holder=None, actor="U1", **base)
    require_step_authority("Scribe", single=True, holder=None, actor="U1", **base)
    require_step_authority("Scribe", single=True, holder="U1", actor="U1", **base)
    require_step_authority("Scribe", single=True, holder="U1", actor="UC", **base)
    require_step_authority("Scribe", single=False, holder="U1", actor="U2", **base)
    with pytest.raises(NotAllowed) as refused:
        require_step_authority("Scribe", single=True, holder="U1", actor="U2", **base)
    assert "Scribe" in str(refused.value) and "<@U1>" in str(refused.value)
    assert "<@UC>" in str(refused.value)


def test_business_day_thresholds_count_from_the_declaration():
    from datetime import UTC, datetime, timedelta

    from bot.services.timers import cadence_of
    from playbooks.business_calendar import BusinessCalendar
    from playbooks.loader import load_pack

    pack = load_pack("default")
    friday = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    without = dict(cadence_of(pack, "sev4").thresholds)
    assert "respond_within" not in without
    thresholds = dict(
        cadence_of(pack, "sev4", since=friday, calendar=BusinessCalendar()).thresholds
    )
    assert thresholds["respond_within"] == timedelta(days=3)  # Friday → Monday
