"""Settings that adjust the active pack: `CHECKLIST_TIMES` moves a daily checklist's time.

A source may say "daily, before peak usage" without a time; the pack then gives a default,
and each team sets its own peak here instead of editing the pack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import time

from playbooks.model import Pack


def at_times(pack: Pack, times: Mapping[str, time]) -> Pack:
    """The pack with each named recurring checklist posted at its given local time; a name
    the pack does not have, or an on_resolve checklist, is a ValueError saying which."""
    if not times:
        return pack
    recurring = {c.id for c in pack.checklists if c.schedule.is_recurring}
    for name in times:
        if name not in recurring:
            known = ", ".join(sorted(recurring)) or "none"
            raise ValueError(
                f"the {pack.id} pack has no daily or weekday checklist {name!r} "
                f"(its scheduled checklists: {known})"
            )
    checklists = tuple(
        c.model_copy(update={"schedule": replace(c.schedule, at=times[c.id])})
        if c.id in times
        else c
        for c in pack.checklists
    )
    return pack.model_copy(update={"checklists": checklists})
