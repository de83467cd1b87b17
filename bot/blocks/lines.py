"""The short lines posted in an incident channel when something changes."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.format import user, user_text


def commander_changed_line(*, actor: str, old: str, new: str) -> str:
    """Command handed over."""
    return f":crown: {user(actor)} handed command from {user(old)} to {user(new)}."


def severity_changed_line(*, actor: str, old: str, new: str) -> str:
    """Severity changed."""
    return f":rotating_light: {user(actor)} changed severity {old} → *{new}*."


def status_changed_line(*, actor: str, old: str, new: str) -> str:
    """Status changed."""
    return f":arrows_counterclockwise: {user(actor)} changed status {old} → *{new}*."


def role_assigned_line(*, actor: str, role: str, assignee: str, previous: str | None) -> str:
    """A role assigned or passed on."""
    was = f" (was {user(previous)})" if previous else ""
    return f":bust_in_silhouette: {user(actor)} made {user(assignee)} *{role}*{was}."


def note_line(*, actor: str, text: str) -> str:
    """A note added to the timeline."""
    return f":memo: Note from {user(actor)}: {user_text(text, 2900)}"


def log_fields_line(*, actor: str, changes: Sequence[tuple[str, str]]) -> str:
    """Fields of the incident log filled in, as (label, text); an empty text was cleared."""
    items = [
        f"• *{user_text(label, 100)}*: {user_text(text, 500) if text else '_cleared_'}"
        for label, text in changes
    ]
    return "\n".join([f":memo: {user(actor)} filled in the incident log:", *items])


def resolved_line(*, actor: str, summary: str | None, final_update: bool = False) -> str:
    """Resolved, with the summary if given; at a level with customer updates, a reminder
    to post the last one."""
    tail = f"\n*Summary:* {user_text(summary, 2800)}" if summary else ""
    if final_update:
        tail += "\n:loudspeaker: Tell customers it is resolved: `/incident update --customer …`."
    return f":white_check_mark: {user(actor)} resolved the incident.{tail}"


def reopened_line(*, actor: str) -> str:
    """Reopened."""
    return f":leftwards_arrow_with_hook: {user(actor)} reopened the incident."


PRIVATE_NOW = (  # said when an open incident becomes private (a level, a playbook)
    "\n:lock: This incident is private from now on: it is listed and shown only to "
    "the people it involves. Slack does not let the bot make this public channel private, "
    "so keep sensitive details out of it, or declare a private incident for them."
)
