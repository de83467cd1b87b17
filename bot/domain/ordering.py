"""Steps that wait for others: ordered playbooks (every earlier phase) and a step's `after`
(named earlier steps). Which of them are still open. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def waiting_on(
    phase: int, statuses: Mapping[tuple[int, int], str], *, ordered: bool
) -> list[tuple[int, int]]:
    """The (phase, step) positions before `phase` still open, when the phases are ordered."""
    if not ordered:
        return []
    return sorted(
        where for where, status in statuses.items() if where[0] < phase and status == "open"
    )


def waiting_for(
    phase: int,
    step: int,
    statuses: Mapping[tuple[int, int], str],
    *,
    ordered: bool,
    after: Iterable[tuple[int, int]] = (),
) -> list[tuple[int, int]]:
    """The (phase, step) positions this step waits for that are still open: every step of
    an earlier phase when the playbook is ordered, and the steps its `after` names."""
    waiting = set(waiting_on(phase, statuses, ordered=ordered))
    waiting |= {
        where for where in after if statuses.get(where) == "open" and where != (phase, step)
    }
    return sorted(waiting)
