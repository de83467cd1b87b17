"""Messages offering a choice: playbooks to run, and the customer-wording warning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, MarkdownTextObject, SectionBlock

from bot.blocks.format import user_text
from bot.blocks.ids import ActionId


def playbook_choices_text(choices: Sequence[tuple[str, str, str]], suggested: str | None) -> str:
    """`(id, title, severity name)` lines, the suggestion first and starred."""
    if not choices:
        return "This pack has no playbooks."
    ordered = sorted(choices, key=lambda c: c[0] != suggested)
    lines = [
        f"• `{pid}` — {user_text(title, 200)} ({sev})"
        + (" :star: suggested" if pid == suggested else "")
        for pid, title, sev in ordered
    ]
    return "*Playbooks* — run one with `/incident playbook <id>`\n" + "\n".join(lines)


def playbook_suggestion_blocks(
    playbook_id: str, title: str, signals: Sequence[str] = (), description: str | None = None
) -> list[dict[str, Any]]:
    """A suggestion to run the playbook that matches the title, with what it is for, the
    signals that tell it applies, and a button."""
    text = f":bulb: Suggested playbook: *{user_text(title, 200)}* (`{playbook_id}`)"
    if description:
        text += f"\n{user_text(description, 500)}"
    if signals:
        text += "\nIt fits when you see: " + "; ".join(user_text(s, 200) for s in signals[:8])
    return [
        SectionBlock(text=MarkdownTextObject(text=text)).to_dict(),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Run this playbook",
                    style="primary",
                    action_id=ActionId.ATTACH_PLAYBOOK,
                    value=playbook_id,
                )
            ]
        ).to_dict(),
    ]


def customer_warning_blocks(
    *, found: Sequence[str], template: str, text: str, draft_id: str
) -> list[dict[str, Any]]:
    """The private warning shown before a customer update with avoided wording is posted."""
    quoted = ", ".join(f"“{phrase}”" for phrase in found)
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=f":warning: This customer update uses wording the pack says to avoid: "
                f"{user_text(quoted, 1000)}. Nothing has been posted yet."
            )
        ).to_dict(),
        SectionBlock(
            text=MarkdownTextObject(text=user_text(f"*Suggested wording*\n{template}", 2900))
        ).to_dict(),
        SectionBlock(
            text=MarkdownTextObject(text=user_text(f"*Your draft*\n{text}", 2900))
        ).to_dict(),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Post anyway",
                    style="danger",
                    action_id=ActionId.POST_ANYWAY,
                    value=draft_id,
                ),
                ButtonElement(text="Cancel", action_id=ActionId.CANCEL_DRAFT, value=draft_id),
            ]
        ).to_dict(),
    ]
