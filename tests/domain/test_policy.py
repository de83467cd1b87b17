"""bot.domain.policy: who may do what, and refusals that say what to do instead."""

from dataclasses import FrozenInstanceError

import pytest

from bot.domain.errors import DomainError, NotAllowed
from bot.domain.policy import (
    COMMANDER_ONLY_ACTIONS,
    SLACKBOT,
    Person,
    check_can_hold,
    is_in_command,
    require_command_authority,
    require_role_authority,
    require_step_authority,
)

COMMANDER = "UCMD"
ADMIN = "UADMIN"
ADMINS = frozenset({ADMIN})
BOT = "UBOT"


def refusal(call, *args, **kwargs) -> str:
    """The message of the NotAllowed that `call` raises."""
    with pytest.raises(NotAllowed) as refused:
        call(*args, **kwargs)
    assert isinstance(refused.value, DomainError)
    return str(refused.value)


# --- command authority ---------------------------------------------------------------------


def test_the_commander_and_admins_are_in_command_nobody_else():
    assert is_in_command(COMMANDER, COMMANDER, ADMINS) is True
    assert is_in_command(ADMIN, COMMANDER, ADMINS) is True
    assert is_in_command("U2", COMMANDER, ADMINS) is False
    assert is_in_command("U2", COMMANDER, ()) is False


def test_commander_only_actions_and_how_refusals_name_them():
    assert COMMANDER_ONLY_ACTIONS == {
        "hand_over": "hand over command",
        "severity": "change the severity",
        "resolve": "resolve the incident",
        "reopen": "reopen the incident",
    }


@pytest.mark.parametrize("action", sorted(COMMANDER_ONLY_ACTIONS))
@pytest.mark.parametrize("actor", [COMMANDER, ADMIN])
def test_commander_and_admins_may_do_every_commander_only_action(action, actor):
    require_command_authority(action, actor=actor, commander=COMMANDER, admins=ADMINS)


@pytest.mark.parametrize(("action", "what"), sorted(COMMANDER_ONLY_ACTIONS.items()))
def test_others_are_refused_with_the_commander_named_and_how_to_get_command(action, what):
    message = refusal(
        require_command_authority, action, actor="U2", commander=COMMANDER, admins=ADMINS
    )
    assert f"Only the incident commander (<@{COMMANDER}>) or an incident admin can {what}." in (
        message
    )
    assert f"Ask <@{COMMANDER}> to do it" in message
    assert "hand over with `/incident commander <@U2>`" in message


def test_hand_over_refusal_in_full():
    message = refusal(require_command_authority, "hand_over", actor="U2", commander="U1", admins=())
    assert message == (
        "Only the incident commander (<@U1>) or an incident admin can hand over command. "
        "Ask <@U1> to do it, or to hand over with `/incident commander <@U2>`."
    )


def test_an_action_without_a_description_is_named_as_given():
    message = refusal(
        require_command_authority,
        "archive the channel",
        actor="U2",
        commander=COMMANDER,
        admins=ADMINS,
    )
    assert "can archive the channel." in message


# --- role authority ------------------------------------------------------------------------


def role(actor: str, assignee: str, holder: str | None) -> None:
    require_role_authority(
        "Scribe", actor=actor, assignee=assignee, holder=holder, commander=COMMANDER, admins=ADMINS
    )


@pytest.mark.parametrize("holder", [None, "U4"])
@pytest.mark.parametrize("actor", [COMMANDER, ADMIN])
def test_commander_and_admins_assign_any_role_held_or_free(actor, holder):
    role(actor, "U5", holder)


def test_anyone_may_take_a_role_nobody_holds():
    role("U5", "U5", None)


def test_the_holder_may_pass_their_role_on():
    role("U4", "U6", "U4")


def test_the_holder_may_reassign_their_role_to_themselves():
    role("U4", "U4", "U4")


def test_taking_a_role_someone_holds_is_refused_naming_the_holder_and_the_commander():
    message = refusal(role, "U5", "U5", "U4")
    assert message == (
        f"Only <@U4> (who holds it), the incident commander (<@{COMMANDER}>) or an incident "
        "admin can assign Scribe. You can take a role nobody holds with "
        "`/incident role <role> <@U5>`."
    )


def test_giving_a_free_role_to_someone_else_is_refused_with_how_to_take_one():
    message = refusal(role, "U5", "U6", None)
    assert "who holds it" not in message
    assert f"the incident commander (<@{COMMANDER}>)" in message
    assert "can assign Scribe" in message
    assert "`/incident role <role> <@U5>`" in message


# --- step authority ------------------------------------------------------------------------


def step(actor: str, *, single: bool = True, holder: str | None = "U4") -> None:
    require_step_authority(
        "Comms lead",
        single=single,
        holder=holder,
        actor=actor,
        commander=COMMANDER,
        admins=ADMINS,
    )


def test_anyone_may_click_a_step_not_tied_to_a_single_role():
    step("U9", single=False)


def test_anyone_may_click_a_single_role_step_while_the_role_is_free():
    step("U9", holder=None)


@pytest.mark.parametrize("actor", ["U4", COMMANDER, ADMIN])
def test_the_holder_commander_and_admins_may_click_a_single_role_step(actor):
    step(actor)


def test_others_are_refused_a_single_role_step_naming_who_can_change_it():
    message = refusal(step, "U9")
    assert message == (
        f"This step belongs to the Comms lead (<@U4>). Only they, the incident commander "
        f"(<@{COMMANDER}>) or an incident admin can change it."
    )


# --- who can hold a role -------------------------------------------------------------------


def test_a_person_is_found_active_and_human_by_default():
    person = Person("U1")
    assert (person.found, person.deleted, person.is_bot) == (True, False, False)
    with pytest.raises(FrozenInstanceError):
        person.deleted = True  # type: ignore[misc]


def test_an_active_human_can_hold_a_role():
    check_can_hold(Person("U1"), "the incident commander", bot_user=BOT)
    check_can_hold(Person("U1"), "the incident commander", bot_user=None)


def test_the_bot_refuses_a_role_for_itself():
    message = refusal(check_can_hold, Person(BOT), "the incident commander", bot_user=BOT)
    assert message == "I can't be the incident commander myself. Pick a person."


def test_the_bot_refuses_itself_even_though_slack_flags_it_as_a_bot():
    message = refusal(check_can_hold, Person(BOT, is_bot=True), "Scribe", bot_user=BOT)
    assert "myself" in message
    assert "Pick a person" in message


def test_an_unknown_user_is_refused():
    message = refusal(
        check_can_hold, Person("UGONE", found=False), "the incident commander", bot_user=BOT
    )
    assert message == (
        "I can't find <@UGONE> in this workspace, so they can't be the incident commander. "
        "Pick someone from this workspace."
    )


def test_an_unknown_user_refusal_says_what_to_do_next():
    message = refusal(check_can_hold, Person("UGONE", found=False), "Scribe", bot_user=BOT)
    assert "Pick" in message


def test_a_deactivated_user_is_refused_with_pick_someone_else():
    message = refusal(
        check_can_hold, Person("UOLD", deleted=True), "the incident commander", bot_user=BOT
    )
    assert message == (
        "<@UOLD> is deactivated, so they can't be the incident commander. Pick someone else."
    )


def test_another_bot_is_refused_with_pick_a_person():
    message = refusal(check_can_hold, Person("UOTHERBOT", is_bot=True), "Scribe", bot_user=BOT)
    assert message == "<@UOTHERBOT> is a bot, so it can't be Scribe. Pick a person."


def test_slackbot_is_refused_although_slack_does_not_flag_it_as_a_bot():
    assert SLACKBOT == "USLACKBOT"
    message = refusal(check_can_hold, Person(SLACKBOT), "Scribe", bot_user=BOT)
    assert message == "<@USLACKBOT> is a bot, so it can't be Scribe. Pick a person."
