"""Playbooks whose phases must be worked in order: which earlier steps are still open. Pure."""

from __future__ import annotations

from collections.abc import Mapping


def waiting_on(
    phase: int, statuses: Mapping[tuple[int, int], str], *, ordered: bool
) -> list[tuple[int, int]]:
    """The (phase, step) positions before `phase` still open, when the phases are ordered."""
    if not ordered:
        return []
    return sorted(
        where for where, status in statuses.items() if where[0] < phase and status == "open"
    )
