"""The declare modal, and reading its submitted values back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.blocks.basic_components import DispatchActionConfig
from slack_sdk.models.views import View

from bot.blocks.format import user_text
from bot.blocks.ids import NO_PLAYBOOK, SUGGEST, ActionId, BlockId, CallbackId
from bot.domain.text import clip

TITLE_MAX = 150
DESCRIPTION_MAX = 2900


@dataclass(frozen=True)
class SeverityChoice:
    """A severity as offered in the select."""

    id: str
    name: str
    description: str = ""


def declare_modal_view(
    severities: Sequence[SeverityChoice],
    *,
    declarer: str,
    playbooks: Sequence[tuple[str, str]] = (),
    private_metadata: str = "",
    suggested: str | None = None,
    guidance: Sequence[str] = (),
    title: str = "",
    description: str = "",
    private: bool = False,
) -> dict[str, Any]:
    """The modal `/incident declare` opens when given no text; playbooks are (id, title).

    As the title is typed the bot re-renders the modal with `suggested`, the playbook that
    best matches it, pre-selected. The playbook block then gets a new block ID, because
    Slack keeps a select's old value when its block ID stays the same; the other inputs keep
    their IDs so what the user typed is kept. `guidance` (the pack's alert rules, one line
    each) is shown under the severity. `private` ticks the private checkbox.
    """
    view = View(
        type="modal",
        callback_id=CallbackId.DECLARE,
        title="Declare an incident",
        submit="Declare",
        close="Cancel",
        private_metadata=private_metadata,
        blocks=[
            _title_block(title),
            _severity_block(severities),
            *_guidance_blocks(guidance),
            _description_block(description),
            _playbook_block(playbooks, suggested=suggested),
            _commander_block(declarer),
            _private_block(private),
        ],
    )
    return view.to_dict()


def _guidance_blocks(guidance: Sequence[str]) -> list[ContextBlock]:
    """The alert rules, as a reminder of which severity a measurement calls for."""
    if not guidance:
        return []
    lines = "\n".join(f"• {user_text(line, 150)}" for line in guidance[:18])
    return [ContextBlock(elements=[MarkdownTextObject(text=clip(lines, 1900))])]


def _title_block(initial: str = "") -> InputBlock:
    """The title input, which tells the bot as it is typed (to suggest a playbook)."""
    return InputBlock(
        block_id=BlockId.TITLE,
        label="Title",
        hint="What is broken, in a few words, e.g. “Refunds executed twice”.",
        dispatch_action=True,
        element=PlainTextInputElement(
            action_id=ActionId.TITLE,
            max_length=TITLE_MAX,
            initial_value=clip(initial, TITLE_MAX) or None,
            dispatch_action_config=DispatchActionConfig(
                trigger_actions_on=["on_enter_pressed", "on_character_entered"]
            ),
        ),
    )


def _severity_block(severities: Sequence[SeverityChoice]) -> InputBlock:
    """The severity select, with each severity's description."""
    options = [
        Option(
            value=s.id,
            text=clip(s.name, 75),
            description=clip(s.description, 75) if s.description else None,
        )
        for s in severities[:100]
    ]
    return InputBlock(
        block_id=BlockId.SEVERITY,
        label="Severity",
        element=StaticSelectElement(
            action_id=ActionId.SEVERITY, placeholder="Choose a severity", options=options
        ),
    )


def _description_block(initial: str = "") -> InputBlock:
    """The optional free-text description."""
    return InputBlock(
        block_id=BlockId.DESCRIPTION,
        label="Description",
        optional=True,
        element=PlainTextInputElement(
            action_id=ActionId.DESCRIPTION,
            multiline=True,
            max_length=DESCRIPTION_MAX,
            initial_value=clip(initial, DESCRIPTION_MAX) or None,
        ),
    )


def _playbook_block(playbooks: Sequence[tuple[str, str]], *, suggested: str | None) -> InputBlock:
    """The playbook select, `suggested` pre-selected under a block ID of its own."""
    options = [
        Option(value=SUGGEST, text="✨ Best match for the title"),
        Option(value=NO_PLAYBOOK, text="None"),
        *(Option(value=pid, text=clip(title, 75)) for pid, title in playbooks[:98]),
    ]
    chosen = next((o for o in options if suggested and o.value == suggested), None)
    return InputBlock(
        block_id=f"{BlockId.PLAYBOOK}.{chosen.value}" if chosen else BlockId.PLAYBOOK,
        label="Playbook",
        hint="Pre-selected from the title's keywords; “Best match” decides at submit.",
        element=StaticSelectElement(
            action_id=ActionId.PLAYBOOK,
            options=options,
            initial_option=chosen or options[0],
        ),
    )


def _commander_block(declarer: str) -> InputBlock:
    """The commander select, the declarer by default."""
    return InputBlock(
        block_id=BlockId.COMMANDER,
        label="Incident commander",
        hint="Defaults to you. There is always exactly one commander.",
        element=UserSelectElement(action_id=ActionId.COMMANDER, initial_user=declarer),
    )


_PRIVATE_OPTION = Option(
    value="private",
    text="Private incident",
    description="A private channel; the announcement leaves out the title",
)


def _private_block(ticked: bool) -> InputBlock:
    """The private checkbox: packs may make a severity or playbook private anyway."""
    return InputBlock(
        block_id=BlockId.PRIVATE,
        label="Visibility",
        optional=True,
        hint="Security and other sensitive incidents; the pack may make some private anyway.",
        element=CheckboxesElement(
            action_id=ActionId.PRIVATE,
            options=[_PRIVATE_OPTION],
            initial_options=[_PRIVATE_OPTION] if ticked else None,
        ),
    )


@dataclass(frozen=True)
class DeclareForm:
    """The raw values a declare modal was submitted with."""

    title: str
    severity: str | None
    description: str
    commander: str | None
    playbook: str = SUGGEST
    private: bool = False


def read_declare_form(state_values: dict[str, Any]) -> DeclareForm:
    """Pull the declare modal's values out of `view.state.values`, tolerating missing keys."""

    def action(block: str, action_id: ActionId) -> dict[str, Any]:
        block_values = state_values.get(block)
        value = block_values.get(action_id) if isinstance(block_values, dict) else None
        return value if isinstance(value, dict) else {}

    selected = action(BlockId.SEVERITY, ActionId.SEVERITY).get("selected_option") or {}
    playbook_block = next(
        (b for b in state_values if b == BlockId.PLAYBOOK or b.startswith(f"{BlockId.PLAYBOOK}.")),
        BlockId.PLAYBOOK,
    )
    chosen = action(playbook_block, ActionId.PLAYBOOK).get("selected_option") or {}
    return DeclareForm(
        title=str(action(BlockId.TITLE, ActionId.TITLE).get("value") or "").strip(),
        severity=selected.get("value") if isinstance(selected, dict) else None,
        description=str(action(BlockId.DESCRIPTION, ActionId.DESCRIPTION).get("value") or ""),
        commander=action(BlockId.COMMANDER, ActionId.COMMANDER).get("selected_user"),
        playbook=str(chosen.get("value") or SUGGEST) if isinstance(chosen, dict) else SUGGEST,
        private=bool(action(BlockId.PRIVATE, ActionId.PRIVATE).get("selected_options")),
    )
