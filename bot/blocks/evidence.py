"""Messages added to a timeline: the private confirmation, and the modal asking which open
incident a message from elsewhere belongs to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.format import user, user_text, utc
from bot.blocks.ids import ActionId, BlockId, CallbackId
from bot.domain.evidence import SourceMessage
from bot.domain.text import clip


def added_text(incident_id: str, message: SourceMessage, permalink: str, *, new: bool) -> str:
    """`📌 Added to the timeline of INC-…: @alice at 14:02 UTC: “…”` (or: already there)."""
    what = f"{user(message.author)}'s message of {utc(message.posted_at)}"
    link = f" <{permalink}|(link)>" if permalink else ""
    quote = f"\n> {user_text(' '.join(message.text.split()), 300)}" if message.text else ""
    files = f"\n📎 {len(message.files)} file(s) kept as links" if message.files else ""
    if not new:
        return f"📌 {what}{link} is already in the timeline of *{incident_id}*."
    return f"📌 Added {what}{link} to the timeline of *{incident_id}*.{quote}{files}"


def pick_incident_view(
    incidents: Sequence[tuple[str, str]], *, message: SourceMessage, private_metadata: str
) -> dict[str, Any]:
    """The modal asking which open incident, as (ID, title), to add the message to."""
    options = [
        Option(value=iid, text=clip(f"{iid} · {title}", 75)) for iid, title in incidents[:100]
    ]
    preview = user_text(" ".join(message.text.split()), 300) or "_(no text)_"
    view = View(
        type="modal",
        callback_id=CallbackId.PICK_INCIDENT,
        title="Add to incident timeline",
        submit="Add",
        close="Cancel",
        private_metadata=private_metadata,
        blocks=[
            ContextBlock(elements=[MarkdownTextObject(text=f"{user(message.author)}: {preview}")]),
            InputBlock(
                block_id=BlockId.INCIDENT,
                label="Incident",
                element=StaticSelectElement(
                    action_id=ActionId.PICK_INCIDENT,
                    placeholder="Choose an open incident",
                    options=options,
                    initial_option=options[0] if len(options) == 1 else None,
                ),
            ),
        ],
    )
    return view.to_dict()


def read_picked_incident(state_values: dict[str, Any]) -> str | None:
    """The incident ID chosen in `pick_incident_view`, if any."""
    block = state_values.get(BlockId.INCIDENT)
    value = block.get(ActionId.PICK_INCIDENT) if isinstance(block, dict) else None
    selected = value.get("selected_option") if isinstance(value, dict) else None
    chosen = selected.get("value") if isinstance(selected, dict) else None
    return chosen if isinstance(chosen, str) and chosen else None
