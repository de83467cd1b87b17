"""Domain errors. Each carries the message a person sees; one error handler shows it."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal or bad input; `str(error)` is the user-facing explanation."""


class BadCommand(DomainError):
    """The command text could not be understood."""


class NotInIncidentChannel(DomainError):
    """An incident-scoped subcommand was used outside an incident channel."""

    def __init__(self, subcommand: str) -> None:
        super().__init__(
            f"`/incident {subcommand}` only works inside an incident channel. "
            "Run it in the incident's channel (see `/incident list`)."
        )


class UnknownIncident(DomainError):
    """No incident has the given ID."""


class NotAllowed(DomainError):
    """The actor may not do this; the message names the rule and who can act."""


class Conflict(DomainError):
    """Someone else changed the same thing first; nothing was changed."""


class InvalidTransition(DomainError):
    """The incident cannot move to the requested state."""


class NotShown(DomainError):
    """A change was saved, but Slack has not shown all of it yet (it is retried)."""


class OutOfOrder(DomainError):
    """A step ticked while steps it comes after are still open (earlier phases of an
    ordered playbook, or the steps its `after` names); `waiting` names them (text, in
    order). Ticking it anyway needs a confirmation."""

    def __init__(self, step: str, waiting: list[str]) -> None:
        super().__init__(f"“{step}” comes after steps still open.")
        self.step = step
        self.waiting = waiting
