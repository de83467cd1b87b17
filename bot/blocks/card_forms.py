"""The modals the card's Post update and Resolve buttons open, and reading them back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.format import user_text
from bot.blocks.ids import ActionId, BlockId, CallbackId
from bot.domain.text import clip

TEXT_MAX = 2800
INTERNAL = "internal"
CUSTOMER = "customer"
_AUDIENCE_PREFIX = "audience:"


@dataclass(frozen=True)
class UpdateForm:
    """A submitted Post update form: internal, or customer (optionally to one audience)."""

    incident_id: str
    customer: bool
    audience: str | None
    text: str


@dataclass(frozen=True)
class ResolveForm:
    """A submitted Resolve form: its three fields, prevention one action per line."""

    incident_id: str
    summary: str
    root_cause: str
    prevention: tuple[str, ...]


def _text_input(
    block: BlockId, label: str, *, optional: bool = False, hint: str | None = None
) -> InputBlock:
    return InputBlock(
        block_id=block,
        label=label,
        optional=optional,
        hint=clip(hint, 2000) if hint else None,
        element=PlainTextInputElement(
            action_id=ActionId.CARD_FORM_FIELD, multiline=True, max_length=TEXT_MAX
        ),
    )


def update_form_view(
    *, incident_id: str, audiences: Sequence[tuple[str, str]], template: str = ""
) -> dict[str, Any]:
    """Audience (internal, customers, or one of the pack's audiences) and the update text."""
    internal = Option(value=INTERNAL, text="Internal update")
    options = [
        internal,
        Option(value=CUSTOMER, text="Customer update"),
        *(
            Option(value=f"{_AUDIENCE_PREFIX}{aid}", text=clip(f"Customer update: {name}", 75))
            for aid, name in audiences[:98]
        ),
    ]
    hint = f"Customer updates can start from: {template}" if template else None
    view = View(
        type="modal",
        callback_id=CallbackId.CARD_UPDATE,
        title="Post update",
        submit="Post",
        close="Cancel",
        private_metadata=json.dumps({"incident": incident_id}),
        blocks=[
            ContextBlock(elements=[MarkdownTextObject(text=f"*{user_text(incident_id, 100)}*")]),
            InputBlock(
                block_id=BlockId.UPDATE_AUDIENCE,
                label="Audience",
                element=StaticSelectElement(
                    action_id=ActionId.CARD_FORM_FIELD, options=options, initial_option=internal
                ),
            ),
            _text_input(BlockId.UPDATE_TEXT, "Update", hint=hint),
        ],
    )
    return view.to_dict()


def resolve_form_view(*, incident_id: str) -> dict[str, Any]:
    """Resolution, root cause and prevention, each its own field."""
    view = View(
        type="modal",
        callback_id=CallbackId.CARD_RESOLVE,
        title="Resolve incident",
        submit="Resolve",
        close="Cancel",
        private_metadata=json.dumps({"incident": incident_id}),
        blocks=[
            ContextBlock(elements=[MarkdownTextObject(text=f"*{user_text(incident_id, 100)}*")]),
            _text_input(BlockId.RESOLUTION, "Resolution", hint="What fixed it."),
            _text_input(BlockId.ROOT_CAUSE, "Root cause", optional=True),
            _text_input(
                BlockId.PREVENTION,
                "Prevention",
                optional=True,
                hint="One preventive action per line.",
            ),
        ],
    )
    return view.to_dict()


def _value(values: dict[str, Any], block: BlockId) -> str:
    field = (values.get(block) or {}).get(ActionId.CARD_FORM_FIELD) or {}
    if not isinstance(field, dict):
        return ""
    chosen = field.get("selected_option")
    value = chosen.get("value") if isinstance(chosen, dict) else field.get("value")
    return str(value or "").strip()


def form_incident(private_metadata: str) -> str:
    """The incident a card form was opened for ('' when it names none)."""
    try:
        metadata = json.loads(private_metadata or "{}")
    except ValueError:
        return ""
    found = metadata.get("incident") if isinstance(metadata, dict) else None
    return found if isinstance(found, str) else ""


def read_update_form(values: dict[str, Any], private_metadata: str) -> UpdateForm:
    """The submitted update, from `view.state.values`."""
    audience = _value(values, BlockId.UPDATE_AUDIENCE) or INTERNAL
    named = audience[len(_AUDIENCE_PREFIX) :] if audience.startswith(_AUDIENCE_PREFIX) else None
    return UpdateForm(
        incident_id=form_incident(private_metadata),
        customer=audience != INTERNAL,
        audience=named,
        text=_value(values, BlockId.UPDATE_TEXT),
    )


def read_resolve_form(values: dict[str, Any], private_metadata: str) -> ResolveForm:
    """The submitted resolution, from `view.state.values`."""
    prevention = _value(values, BlockId.PREVENTION).splitlines()
    return ResolveForm(
        incident_id=form_incident(private_metadata),
        summary=_value(values, BlockId.RESOLUTION),
        root_cause=_value(values, BlockId.ROOT_CAUSE),
        prevention=tuple(line.strip(" \t-*•") for line in prevention if line.strip(" \t-*•")),
    )


@dataclass(frozen=True)
class FollowUpForm:
    """A submitted Add follow-up form: the work, its owner (None: whoever submits) and due day."""

    incident_id: str
    text: str
    owner: str | None
    due: date | None


def follow_up_form_view(*, incident_id: str) -> dict[str, Any]:
    """The work to do, who owns it and by when, as `/incident follow-up` takes them."""
    view = View(
        type="modal",
        callback_id=CallbackId.CARD_FOLLOW_UP,
        title="Add follow-up",
        submit="Add",
        close="Cancel",
        private_metadata=json.dumps({"incident": incident_id}),
        blocks=[
            ContextBlock(elements=[MarkdownTextObject(text=f"*{user_text(incident_id, 100)}*")]),
            _text_input(BlockId.FOLLOW_UP_TEXT, "What needs doing"),
            InputBlock(
                block_id=BlockId.FOLLOW_UP_OWNER,
                label="Owner",
                optional=True,
                hint="Leave empty to own it yourself.",
                element=UserSelectElement(action_id=ActionId.CARD_FORM_FIELD),
            ),
            InputBlock(
                block_id=BlockId.FOLLOW_UP_DUE,
                label="Due",
                optional=True,
                element=DatePickerElement(action_id=ActionId.CARD_FORM_FIELD),
            ),
        ],
    )
    return view.to_dict()


def read_follow_up_form(values: dict[str, Any], private_metadata: str) -> FollowUpForm:
    """The submitted follow-up, from `view.state.values` (a bad date reads as none)."""

    def field(block: BlockId) -> dict[str, Any]:
        found = (values.get(block) or {}).get(ActionId.CARD_FORM_FIELD) or {}
        return found if isinstance(found, dict) else {}

    owner = field(BlockId.FOLLOW_UP_OWNER).get("selected_user")
    picked = field(BlockId.FOLLOW_UP_DUE).get("selected_date")
    try:
        due = date.fromisoformat(picked) if isinstance(picked, str) else None
    except ValueError:
        due = None
    return FollowUpForm(
        incident_id=form_incident(private_metadata),
        text=_value(values, BlockId.FOLLOW_UP_TEXT),
        owner=owner if isinstance(owner, str) and owner else None,
        due=due,
    )
