"""The "Declare incident?" question that alerts raise, and what it becomes once answered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot.blocks.format import user, user_text
from bot.blocks.ids import ActionId

PROPOSAL_BLOCK = "alert_proposal"


def proposal_text(*, title: str, source: str, severity: str, why: str, link: str | None) -> str:
    """`:bell: Declare incident? Payment success rate low · P1 (alert rule …) · from grafana`."""
    where = f" · <{link}|source>" if link else ""
    return (
        f":bell: *Declare incident?* {user_text(title, 300)}\n"
        f"{user_text(severity, 75)} ({user_text(why, 200)}) · from {user_text(source, 64)}{where}"
    )


def proposal_blocks(
    *, proposal: str, text: str, severities: Sequence[tuple[str, str]], chosen: str
) -> list[dict[str, Any]]:
    """The question with a severity menu (the alert's pre-selected) and Declare / Dismiss."""
    options = [Option(value=sid, text=user_text(name, 75)) for sid, name in severities[:100]]
    initial = next((o for o in options if o.value == chosen), options[0] if options else None)
    return [
        SectionBlock(text=MarkdownTextObject(text=text)).to_dict(),
        ActionsBlock(
            block_id=PROPOSAL_BLOCK,
            elements=[
                StaticSelectElement(
                    action_id=ActionId.ALERT_SEVERITY, options=options, initial_option=initial
                ),
                ButtonElement(
                    text="Declare",
                    action_id=ActionId.ALERT_DECLARE,
                    value=proposal,
                    style="primary",
                ),
                ButtonElement(text="Dismiss", action_id=ActionId.ALERT_DISMISS, value=proposal),
            ],
        ).to_dict(),
    ]


def answered_text(*, text: str, actor: str, declared: str | None) -> str:
    """The question once answered: who declared (which incident) or dismissed it."""
    outcome = f"declared *{declared}*" if declared else "dismissed it"
    return f"{text}\n:white_check_mark: {user(actor)} {outcome}."
