"""bot.domain.setup: which steps of a channel setup remain, from those recorded as done."""

from __future__ import annotations

import pytest

from bot.domain.setup import (
    ALL,
    TOGETHER,
    Plan,
    Step,
    can_pin,
    can_post_playbook,
    complete,
    plan,
    read_done,
    write_done,
)

S = Step


def test_the_steps_and_the_independent_ones():
    assert [step.value for step in Step] == [
        "invited",
        "topic",
        "card",
        "announced",
        "pinned",
        "playbook",
        "briefed",
        "notified",
    ]
    assert frozenset(Step) == ALL
    assert TOGETHER == (S.INVITED, S.TOPIC, S.CARD, S.ANNOUNCED, S.NOTIFIED)


# --- setup_done ----------------------------------------------------------------------------


def test_write_done_is_sorted_and_comma_separated():
    assert write_done({S.PLAYBOOK, S.CARD, S.INVITED}) == "card,invited,playbook"
    assert write_done(set()) == ""
    assert write_done(set(ALL)) == "announced,briefed,card,invited,notified,pinned,playbook,topic"


@pytest.mark.parametrize(
    "done",
    [set(), {S.CARD}, {S.PINNED, S.TOPIC}, set(ALL), {S.INVITED, S.ANNOUNCED, S.PLAYBOOK}],
)
def test_read_done_reads_back_what_write_done_wrote(done):
    assert read_done(write_done(done)) == done


def test_read_done_ignores_unknown_names_and_empty_parts():
    assert read_done("") == set()
    assert read_done("card,,pinned") == {S.CARD, S.PINNED}
    assert read_done("card,channel,retro,playbook") == {S.CARD, S.PLAYBOOK}
    assert read_done("CARD, pinned") == set()  # names are exact: no case folding or spaces
    assert read_done("card,card") == {S.CARD}


def test_read_done_returns_steps():
    (step,) = read_done("topic")
    assert step is Step.TOPIC


# --- plan ----------------------------------------------------------------------------------


def test_a_fresh_setup_does_everything():
    assert plan(set(), has_card=False) == Plan(
        together=(S.INVITED, S.TOPIC, S.CARD, S.ANNOUNCED, S.NOTIFIED),
        pin=True,
        playbook=True,
        brief=True,
    )


def test_a_card_already_posted_counts_as_done_whatever_was_recorded():
    assert plan(set(), has_card=True) == Plan(
        together=(S.INVITED, S.TOPIC, S.ANNOUNCED, S.NOTIFIED), pin=True, playbook=True, brief=True
    )
    assert plan({S.CARD}, has_card=False) == plan(set(), has_card=True)


def test_a_resumed_setup_does_only_what_remains_in_order():
    assert plan({S.INVITED, S.CARD, S.ANNOUNCED, S.NOTIFIED}, has_card=True) == Plan(
        together=(S.TOPIC,), pin=True, playbook=True, brief=True
    )
    assert plan(set(TOGETHER), has_card=True) == Plan(
        together=(), pin=True, playbook=True, brief=True
    )
    assert plan(set(TOGETHER) | {S.PINNED}, has_card=True) == Plan(
        together=(), pin=False, playbook=True, brief=True
    )


def test_a_complete_setup_plans_nothing():
    assert plan(set(ALL), has_card=True) == Plan(together=(), pin=False, playbook=False)
    assert plan(set(ALL), has_card=False) == Plan(together=(), pin=False, playbook=False)


def test_plan_does_not_change_the_set_it_is_given():
    done = {S.TOPIC}
    plan(done, has_card=True)
    assert done == {S.TOPIC}


# --- what each later step needs -------------------------------------------------------------


@pytest.mark.parametrize(
    ("done", "expected"),
    [
        (set(), False),
        ({S.INVITED, S.TOPIC, S.ANNOUNCED, S.PINNED}, False),
        ({S.CARD}, True),
        (set(ALL), True),
    ],
)
def test_pinning_needs_the_card(done, expected):
    assert can_pin(done) is expected


@pytest.mark.parametrize(
    ("done", "expected"),
    [
        (set(), False),
        ({S.CARD}, False),
        ({S.PINNED}, False),
        ({S.CARD, S.PINNED}, True),
        ({S.INVITED, S.TOPIC, S.ANNOUNCED, S.PINNED}, False),
    ],
)
def test_the_playbook_needs_the_card_posted_and_pinned(done, expected):
    assert can_post_playbook(done) is expected


def test_complete_needs_every_step():
    assert complete(set(ALL)) is True
    assert complete(set()) is False
    for missing in Step:
        assert complete(set(ALL) - {missing}) is False, missing


def test_the_commander_is_briefed_once_invited():
    from bot.domain.setup import can_brief

    assert not can_brief(set())
    assert can_brief({S.INVITED})
    assert plan(set(ALL) - {S.BRIEFED}, has_card=True).brief
    assert not plan(set(ALL), has_card=True).brief
