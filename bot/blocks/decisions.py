"""The ask for a level's decision maker to take command (packs name one per severity)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock, UserSelectElement

from bot.blocks.format import user, user_text
from bot.blocks.ids import ActionId


def decision_maker_text(*, line: str, severity: str, decision_maker: str, commander: str) -> str:
    """The severity line, then who decides at this level and how to hand over to them."""
    return (
        f"{line}\n:scales: At {user_text(severity, 75)} the decision maker is "
        f"*{user_text(decision_maker, 200)}*. {user(commander)}, if that is not you, hand "
        "over command to them."
    )


def decision_maker_blocks(
    *, line: str, severity: str, decision_maker: str, commander: str
) -> list[dict[str, Any]]:
    """That text, with a person picker that hands command over (the commander or an admin)."""
    text = decision_maker_text(
        line=line, severity=severity, decision_maker=decision_maker, commander=commander
    )
    block = SectionBlock(
        block_id="decision_maker",
        text=MarkdownTextObject(text=text),
        accessory=UserSelectElement(action_id=ActionId.HAND_OVER_TO, placeholder="Hand over to…"),
    )
    return [block.to_dict()]
