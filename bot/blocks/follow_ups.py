"""Follow-up messages: the post in the incident channel and the private list, with buttons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.format import user, user_text, utc
from bot.blocks.ids import ActionId

LIST_LIMIT = 45  # a message holds 50 blocks: the heading, the follow-ups and a tail line


@dataclass(frozen=True)
class FollowUpView:
    """What a follow-up message shows."""

    id: int
    text: str
    owner: str
    due_on: date | None
    state: str
    done_by: str | None = None
    done_at: datetime | None = None


def follow_up_line(f: FollowUpView) -> str:
    """`*Add an alert* · owner @bob · due 2026-03-06` and, once done, who did it and when."""
    due = f" · due {f.due_on.isoformat()}" if f.due_on else " · no due date"
    line = f"*{user_text(f.text, 1500)}* · owner {user(f.owner)}{due}"
    if f.state == "done":
        when = f" at {utc(f.done_at)}" if f.done_at else ""
        return f":white_check_mark: ~{line}~ · done by {user(f.done_by)}{when}"
    return f":spiral_note_pad: {line}"


def follow_up_text(f: FollowUpView) -> str:
    """The message's fallback text."""
    return f"Follow-up: {follow_up_line(f)}"


def _button(f: FollowUpView, action: ActionId) -> ButtonElement:
    label = "Done" if action is ActionId.FOLLOW_UP_DONE else "Reopen"
    return ButtonElement(
        text=label,
        action_id=action,
        value=str(f.id),
        style="primary" if action is ActionId.FOLLOW_UP_DONE else None,
    )


def follow_up_blocks(f: FollowUpView) -> list[dict[str, Any]]:
    """The post in the incident channel: the follow-up, **Done** and **Reopen**."""
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f"*Follow-up*\n{follow_up_line(f)}")),
        ActionsBlock(
            block_id=f"follow_up|{f.id}",
            elements=[_button(f, ActionId.FOLLOW_UP_DONE), _button(f, ActionId.FOLLOW_UP_REOPEN)],
        ),
    ]
    return [b.to_dict() for b in blocks]


def follow_up_list_blocks(incident_id: str, items: Sequence[FollowUpView]) -> list[dict[str, Any]]:
    """The incident's follow-ups (open first), each with the button it needs next."""
    open_count = sum(1 for f in items if f.state == "open")
    head = f"*Follow-ups of {incident_id}* · {open_count} open of {len(items)}"
    if not items:
        head += "\nNone yet: add one with `/incident follow-up <text> [@owner] [due <date>]`."
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=head))]
    for f in items[:LIST_LIMIT]:
        action = ActionId.FOLLOW_UP_DONE if f.state == "open" else ActionId.FOLLOW_UP_REOPEN
        blocks.append(
            SectionBlock(
                block_id=f"follow_up_list|{f.id}",
                text=MarkdownTextObject(text=follow_up_line(f)),
                accessory=_button(f, action),
            )
        )
    if len(items) > LIST_LIMIT:
        more = f"…and {len(items) - LIST_LIMIT} more."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    return [b.to_dict() for b in blocks]


def follow_up_list_text(incident_id: str, items: Sequence[FollowUpView]) -> str:
    """The list's fallback text."""
    return f"Follow-ups of {incident_id}: {sum(1 for f in items if f.state == 'open')} open"


def follow_up_due_text(*, owner: str, text: str) -> str:
    """🗓 The owner's reminder on the due date."""
    return f":spiral_calendar_pad: {user(owner)}, follow-up due today: {user_text(text, 1500)}"
