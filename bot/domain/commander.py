"""Exactly one incident commander at every moment: the rule, and where it is enforced.

The guarantee has two halves:
- **Who may hand over, and to whom** is decided here, purely: the commander or an incident
  admin, on an open incident, to someone other than the current commander
  (`check_hand_over`). Whether the new commander is a real, active person is checked by
  `bot.services.people.require_person` before anything is written.
- **Two hand-overs at the same moment leave one commander**: `storage.repo.hand_over_if`
  is a conditional `UPDATE … SET commander_id = :new WHERE commander_id = :expected`. Both
  racers read the same commander; the database lets exactly one of them through, and the
  loser is told who holds command now. `commander_id` is `NOT NULL`, so there is never
  none. `bot.services.command.hand_over_command` puts the two together.
"""

from __future__ import annotations

from collections.abc import Collection

from bot.domain import incident as rules
from bot.domain.errors import Conflict, InvalidTransition
from bot.domain.policy import require_command_authority


def check_hand_over(
    *, actor: str, commander: str, new: str, status: str, admins: Collection[str]
) -> None:
    """Refuse a hand-over that the rule does not allow, saying what to do instead."""
    require_command_authority("hand_over", actor=actor, commander=commander, admins=admins)
    rules.check_open(rules.Status(status), "hand over command")
    if new == commander:
        raise InvalidTransition(f"<@{new}> is already the incident commander.")


def lost_race(current: str | None) -> Conflict:
    """The error for a hand-over that another one beat: who holds command now."""
    return Conflict(
        f"Command changed hands meanwhile: <@{current or '?'}> is now the commander. "
        "Nothing was changed."
    )
