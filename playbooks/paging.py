"""Phases longer than one Slack message are paged into parts, never cut.

A phase message holds two blocks per step plus a header, a rules line and a footer, and
Slack allows 50 blocks in a message: so at most 23 steps. A longer phase becomes parts
named "Recover (1/2)", "Recover (2/2)", with the same deadline and rules; the loader pages
every pack after checking it, so problems still point at the phases as written.
"""

from __future__ import annotations

from playbooks.model import Pack, Phase, Playbook

STEPS_PER_MESSAGE = 23


def page_phases(pack: Pack, size: int = STEPS_PER_MESSAGE) -> Pack:
    """The pack with every phase of more than `size` steps split into parts."""
    if all(len(ph.steps) <= size for pb in pack.playbooks for ph in pb.phases):
        return pack
    return pack.model_copy(update={"playbooks": tuple(_paged(pb, size) for pb in pack.playbooks)})


def _paged(playbook: Playbook, size: int) -> Playbook:
    phases: list[Phase] = []
    for phase in playbook.phases:
        if len(phase.steps) <= size:
            phases.append(phase)
            continue
        chunks = [phase.steps[start : start + size] for start in range(0, len(phase.steps), size)]
        phases += [
            phase.model_copy(update={"name": f"{phase.name} ({n}/{len(chunks)})", "steps": part})
            for n, part in enumerate(chunks, start=1)
        ]
    return playbook.model_copy(update={"phases": tuple(phases)})
