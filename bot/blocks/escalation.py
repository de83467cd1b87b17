"""`/incident escalate`: the conditions a person confirms to reach a level, with buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ButtonElement, MarkdownTextObject, SectionBlock

from bot.blocks.format import user_text
from bot.blocks.ids import ActionId

MENU_LIMIT = 40  # Slack allows 50 blocks in a message; leave room for the header


def condition_line(number: int, condition: str, level: int, level_name: str) -> str:
    """`3. Data integrity is in doubt → level 3, Pilot Coordinator`."""
    return f"{number}. {user_text(condition, 300)} → level {level}, *{user_text(level_name, 200)}*"


def escalation_menu(
    conditions: Sequence[tuple[str, int, str, str]],
) -> tuple[str, list[dict[str, Any]]]:
    """(text, blocks) listing each (key, level, level name, condition) with an Escalate
    button; the text alone names the command for each."""
    if not conditions:
        text = (
            "This pack names no conditions to confirm: escalation follows its clocks "
            "(response and resolution targets, and each level's criteria)."
        )
        return text, []
    lines = [
        condition_line(number, condition, level, name)
        for number, (_, level, name, condition) in enumerate(conditions, start=1)
    ]
    text = (
        "*Escalate when one of these holds.* Press its button, or type "
        "`/incident escalate <number>`:\n" + "\n".join(lines)
    )
    blocks = [SectionBlock(text=MarkdownTextObject(text="*Escalate when one of these holds:*"))]
    for (key, *_), line in zip(conditions[:MENU_LIMIT], lines, strict=False):
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=line),
                accessory=ButtonElement(
                    text="Escalate", action_id=ActionId.ESCALATE, value=key, style="danger"
                ),
            )
        )
    return text, [block.to_dict() for block in blocks]
