"""The incident-log form (`/incident log edit`): one text input per field a person fills in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
)
from slack_sdk.models.views import View

from bot.blocks.ids import ActionId, CallbackId
from bot.domain.text import clip

FIELD_MAX = 2800
_BLOCK_PREFIX = "log_field|"


@dataclass(frozen=True)
class LogFieldInput:
    """One input: the field's key, the pack's label for it, its current value and a hint."""

    key: str
    label: str
    value: str = ""
    hint: str = ""


def log_field_block_id(key: str) -> str:
    """The block ID of a field's input: `log_field|<key>`."""
    return f"{_BLOCK_PREFIX}{key}"


def log_edit_view(
    fields: Sequence[LogFieldInput], *, incident_id: str, private_metadata: str
) -> dict[str, Any]:
    """The modal, each input pre-filled with the field's current value."""
    note = (
        f"*{incident_id}* · What you write here replaces the field's value in the log. "
        "Only fields you change are saved; empty one to clear it."
    )
    inputs = [
        InputBlock(
            block_id=log_field_block_id(f.key),
            label=clip(f.label, 2000),
            optional=True,
            hint=clip(f.hint, 2000) if f.hint else None,
            element=PlainTextInputElement(
                action_id=ActionId.LOG_FIELD,
                multiline=True,
                max_length=FIELD_MAX,
                initial_value=clip(f.value, FIELD_MAX) if f.value else None,
            ),
        )
        for f in fields[:99]
    ]
    view = View(
        type="modal",
        callback_id=CallbackId.LOG_EDIT,
        title="Fill in the incident log",
        submit="Save",
        close="Cancel",
        private_metadata=private_metadata,
        blocks=[ContextBlock(elements=[MarkdownTextObject(text=note)]), *inputs],
    )
    return view.to_dict()


def read_log_edit_form(state_values: dict[str, Any]) -> dict[str, str]:
    """Field key → submitted text (empty when left blank), from `view.state.values`."""
    found: dict[str, str] = {}
    for block_id, actions in state_values.items():
        if not block_id.startswith(_BLOCK_PREFIX) or not isinstance(actions, dict):
            continue
        value = actions.get(ActionId.LOG_FIELD)
        text = value.get("value") if isinstance(value, dict) else None
        found[block_id[len(_BLOCK_PREFIX) :]] = str(text or "")
    return found
