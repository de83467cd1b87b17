"""The one-commander rule's pure half: who may hand over, and to whom."""

import pytest

from bot.domain.commander import check_hand_over, lost_race
from bot.domain.errors import Conflict, InvalidTransition, NotAllowed


def test_the_commander_hands_over_to_someone_else():
    check_hand_over(actor="U1", commander="U1", new="U2", status="investigating", admins=())


def test_an_admin_may_hand_over_for_the_commander():
    check_hand_over(actor="UA", commander="U1", new="U2", status="identified", admins=("UA",))


def test_anyone_else_is_refused_and_told_whom_to_ask():
    with pytest.raises(NotAllowed) as refused:
        check_hand_over(actor="U3", commander="U1", new="U3", status="investigating", admins=())
    assert "<@U1>" in str(refused.value) and "/incident commander <@U3>" in str(refused.value)


def test_handing_over_to_the_current_commander_is_refused():
    with pytest.raises(InvalidTransition, match="already the incident commander"):
        check_hand_over(actor="U1", commander="U1", new="U1", status="monitoring", admins=())


def test_a_resolved_incident_keeps_its_commander():
    with pytest.raises(InvalidTransition):
        check_hand_over(actor="U1", commander="U1", new="U2", status="resolved", admins=())


def test_the_loser_of_a_race_is_told_who_holds_command():
    error = lost_race("U9")
    assert isinstance(error, Conflict)
    assert str(error) == (
        "Command changed hands meanwhile: <@U9> is now the commander. Nothing was changed."
    )
