"""Ordered playbooks: the earlier steps still open before a step may be ticked."""

from bot.domain.ordering import waiting_on

STATUSES = {(0, 0): "done", (0, 1): "open", (1, 0): "skipped", (1, 1): "open", (2, 0): "open"}


def test_open_steps_of_earlier_phases_are_waited_on_in_order():
    assert waiting_on(2, STATUSES, ordered=True) == [(0, 1), (1, 1)]
    assert waiting_on(1, STATUSES, ordered=True) == [(0, 1)]


def test_the_first_phase_and_unordered_playbooks_wait_on_nothing():
    assert waiting_on(0, STATUSES, ordered=True) == []
    assert waiting_on(2, STATUSES, ordered=False) == []


def test_done_and_skipped_steps_do_not_hold_anything_back():
    assert waiting_on(2, {(0, 0): "done", (1, 0): "skipped"}, ordered=True) == []


def test_a_step_waits_for_the_steps_its_after_names_that_are_still_open():
    from bot.domain.ordering import waiting_for

    statuses = {(0, 0): "done", (0, 1): "open", (0, 2): "open", (1, 0): "open"}
    # Not ordered: only the named steps count.
    assert waiting_for(0, 2, statuses, ordered=False, after=[(0, 1)]) == [(0, 1)]
    assert waiting_for(0, 2, statuses, ordered=False, after=[(0, 0)]) == []
    # Ordered as well: earlier phases' open steps too, each once.
    assert waiting_for(1, 0, statuses, ordered=True, after=[(0, 1)]) == [(0, 1), (0, 2)]
