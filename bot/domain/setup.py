"""Setting up an incident's channel, as a plan: which steps remain, from those done. Pure.

Setup is resumable: every pass records the steps it finished (in `setup_done`), and the
next pass, on this process or another replica, does only what remains. Steps that do not
depend on each other run together; pinning needs the card, and the playbook is posted
after the card is pinned (so its phases come under the card in the channel); the
commander is briefed once invited.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Step(StrEnum):
    """One step of channel setup (the channel itself is created before any of these)."""

    INVITED = "invited"
    TOPIC = "topic"
    CARD = "card"
    ANNOUNCED = "announced"
    PINNED = "pinned"
    PLAYBOOK = "playbook"
    BRIEFED = "briefed"  # the commander has the pack's instructions for the role
    NOTIFIED = "notified"  # the channels the pack names for this severity are told


ALL = frozenset(Step)
# Independent of each other: run together.
TOGETHER = (Step.INVITED, Step.TOPIC, Step.CARD, Step.ANNOUNCED, Step.NOTIFIED)


def read_done(text: str) -> set[Step]:
    """The steps recorded as done (`setup_done`, comma-separated); unknown names ignored."""
    return {Step(name) for name in text.split(",") if name in ALL}


def write_done(done: set[Step]) -> str:
    """`setup_done` for these steps, in a stable order."""
    return ",".join(sorted(done))


@dataclass(frozen=True)
class Plan:
    """What one pass does, in order: the independent steps together, then pin, then the
    playbook (each of the last two only once what it needs is done)."""

    together: tuple[Step, ...]
    pin: bool
    playbook: bool
    brief: bool = False


def plan(done: set[Step], *, has_card: bool) -> Plan:
    """The steps that remain. A card already posted counts as done whatever was recorded."""
    done = done | ({Step.CARD} if has_card else set())
    return Plan(
        together=tuple(step for step in TOGETHER if step not in done),
        pin=Step.PINNED not in done,
        playbook=Step.PLAYBOOK not in done,
        brief=Step.BRIEFED not in done,
    )


def can_pin(done: set[Step]) -> bool:
    """Pinning needs the card."""
    return Step.CARD in done


def can_post_playbook(done: set[Step]) -> bool:
    """The playbook comes after the card is posted and pinned."""
    return {Step.CARD, Step.PINNED} <= done


def can_brief(done: set[Step]) -> bool:
    """The commander's instructions are shown to them in the channel, once they are in it."""
    return Step.INVITED in done


def complete(done: set[Step]) -> bool:
    """Every step is done: the incident is ready."""
    return ALL <= done
