"""A checklist message: checkboxes for the items and who ticked each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    CheckboxesElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
)

from bot.blocks.format import user, user_text
from bot.blocks.ids import ActionId
from bot.domain.text import clip

PER_GROUP = 10  # Slack allows 10 options in one checkboxes element
# A message holds 50 blocks: the title, the ticks and 48 groups (packs allow 480 items).
MAX_GROUPS = 48


def checklist_block_id(run_id: str, group: int) -> str:
    """`checklist|<run>|<group>`."""
    return f"checklist|{run_id}|{group}"


def parse_checklist_block_id(block_id: str) -> tuple[str, int] | None:
    """Undo `checklist_block_id`."""
    parts = block_id.split("|")
    if len(parts) != 3 or parts[0] != "checklist" or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2])


def checklist_blocks(
    *, run_id: str, title: str, items: Sequence[str], ticks: Mapping[int, tuple[str, datetime]]
) -> list[dict[str, Any]]:
    """The checklist with each item's box ticked per `ticks` (item → who, when)."""
    blocks: list[Any] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f":ballot_box_with_check: *{user_text(title, 200)}* "
                f"· {len(ticks)}/{len(items)}"
            )
        )
    ]
    for group in range(0, min(len(items), MAX_GROUPS * PER_GROUP), PER_GROUP):
        options = [
            Option(value=str(i), text=MarkdownTextObject(text=clip(items[i], 75)))
            for i in range(group, min(group + PER_GROUP, len(items)))
        ]
        initial = [o for o in options if int(o.value) in ticks]
        blocks.append(
            ActionsBlock(
                block_id=checklist_block_id(run_id, group // PER_GROUP),
                elements=[
                    CheckboxesElement(
                        action_id=ActionId.CHECKLIST_TICK,
                        options=options,
                        initial_options=initial or None,
                    )
                ],
            )
        )
    if ticks:
        done = "\n".join(
            f"☑ {i + 1}. {user(who)} at {at:%H:%M} UTC" for i, (who, at) in sorted(ticks.items())
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(done, 2900))]))
    return [b.to_dict() for b in blocks]
