"""The incident state machine: statuses, transitions and severity changes."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.errors import BadCommand, InvalidTransition


class Status(StrEnum):
    """Where an incident stands; `resolved` is the only closed state."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        """Human label, e.g. `Investigating`."""
        return self.value.capitalize()

    @property
    def is_open(self) -> bool:
        """True for every status but resolved."""
        return self is not Status.RESOLVED


def parse_status(text: str) -> Status:
    """Parse a status word, or raise with the valid choices."""
    try:
        return Status(text.strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in Status)
        raise BadCommand(f"Unknown status `{text}`. Use one of: {choices}.") from None


def check_status_change(current: Status, new: Status) -> None:
    """Allow any move between open statuses, and resolving; reopening has its own command."""
    if current == new:
        raise InvalidTransition(f"The incident is already {current.label}.")
    if current is Status.RESOLVED:
        raise InvalidTransition(
            "The incident is resolved. Reopen it with `/incident reopen` before changing status."
        )


def check_open(current: Status, action: str) -> None:
    """Refuse changes to a resolved incident."""
    if current is Status.RESOLVED:
        raise InvalidTransition(
            f"The incident is resolved, so you can't {action}. Reopen it with `/incident reopen`."
        )


def check_reopen(current: Status) -> None:
    """Only a resolved incident can be reopened."""
    if current is not Status.RESOLVED:
        raise InvalidTransition(f"The incident is still open ({current.label}).")


def check_severity_change(current: str, new: str) -> None:
    """A severity change must change something."""
    if current == new:
        raise InvalidTransition("The incident already has that severity.")
