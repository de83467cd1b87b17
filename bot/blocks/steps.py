"""Playbook phases as messages with a Done / Skip / Assign / Undo row per step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
    UserSelectElement,
)

from bot.blocks.format import user, user_text, users, utc
from bot.blocks.ids import ActionId, step_block_id
from playbooks.paging import STEPS_PER_MESSAGE

# The loader pages longer phases (playbooks.paging); the cut below only guards a view
# built some other way.
MAX_STEPS_PER_MESSAGE = STEPS_PER_MESSAGE
STATUS_ICON = {
    "open": ":white_large_square:",
    "done": ":white_check_mark:",
    "skipped": ":fast_forward:",
}


@dataclass(frozen=True)
class StepLine:
    """One step as shown: its text, who should do it and where it stands."""

    index: int
    text: str
    kind: str = "action"
    role_name: str | None = None
    role_holders: tuple[str, ...] = ()
    audience: str | None = None
    status: str = "open"
    actor: str | None = None
    at: datetime | None = None
    assignee: str | None = None
    note: str | None = None
    due_at: datetime | None = None  # the step's own deadline
    monitor: str | None = None  # its monitoring window, in words (`5 min`)
    after: tuple[str, ...] = ()  # the steps it waits for (their texts)


@dataclass(frozen=True)
class PhaseView:
    """One phase of one playbook in one incident."""

    playbook_id: str
    playbook_title: str
    phase: int
    phase_count: int
    name: str
    steps: tuple[StepLine, ...]
    due_at: datetime | None = None
    within: str | None = None
    rules: tuple[str, ...] = ()
    after: str | None = None  # ordered playbooks: the phase this one waits for


def _step_text(step: StepLine) -> str:
    kind = {"message": ":speech_balloon: ", "check": ":mag: "}.get(step.kind, "")
    audience = f"*{step.audience}:* " if step.audience else ""
    body = f"{STATUS_ICON.get(step.status, '')} {step.index + 1}. {kind}{audience}{step.text}"
    details: list[str] = []
    if step.due_at and step.status == "open":
        details.append(f"⏰ due by {utc(step.due_at)}")
    if step.monitor:
        details.append(f"👀 monitor for {step.monitor}")
    if step.after and step.status == "open":
        details.append("after: " + "; ".join(user_text(text, 80) for text in step.after[:3]))
    if step.role_name:
        details.append(f"{step.role_name}: {users(step.role_holders)}")
    if step.assignee:
        details.append(f"assigned to {user(step.assignee)}")
    if step.status == "done" and step.at:
        details.append(f"✅ done by {user(step.actor)} at {step.at:%H:%M} UTC")
    elif step.status == "skipped" and step.at:
        details.append(
            f"⏭️ skipped by {user(step.actor)} at {step.at:%H:%M} UTC"
            f" ({step.note or 'not applicable'})"
        )
    tail = "\n_" + " · ".join(details) + "_" if details else ""
    return user_text(body, 2400) + tail


def _step_actions(view: PhaseView, step: StepLine) -> ActionsBlock:
    value = f"{view.playbook_id}|{view.phase}|{step.index}"
    if step.status == "open":
        scripted = step.kind == "message"  # Send posts the wording and ticks the step
        done_style = None if scripted else "primary"  # one primary button per row
        elements: list[Any] = [
            ButtonElement(text="Done", action_id=ActionId.STEP_DONE, value=value, style=done_style),
            ButtonElement(text="Skip (n/a)", action_id=ActionId.STEP_SKIP, value=value),
            ButtonElement(text="Assign to me", action_id=ActionId.STEP_ASSIGN_ME, value=value),
            UserSelectElement(action_id=ActionId.STEP_ASSIGN, placeholder="Assign to…"),
        ]
        if scripted:
            send = ButtonElement(
                text="Send", action_id=ActionId.STEP_SEND, value=value, style="primary"
            )
            elements.insert(0, send)
        if step.monitor:
            watch = ButtonElement(
                text=f"Start monitoring ({step.monitor})"[:75],
                action_id=ActionId.STEP_MONITOR,
                value=value,
            )
            elements.insert(0, watch)
    else:
        elements = [ButtonElement(text="Undo", action_id=ActionId.STEP_UNDO, value=value)]
    return ActionsBlock(
        block_id=step_block_id(view.playbook_id, view.phase, step.index), elements=elements
    )


def phase_header(view: PhaseView) -> str:
    """`*Refund executed incorrectly* · phase 1/3: Immediate action · due by 14:04 UTC`."""
    due = ""
    if view.due_at:
        due = f" · :alarm_clock: due by {utc(view.due_at)}"
        if view.within:
            due += f" (within {view.within} of declaration)"
    done = sum(s.status != "open" for s in view.steps)
    waits = f" · after *{user_text(view.after, 200)}*" if view.after else ""
    return (
        f":clipboard: *{user_text(view.playbook_title, 200)}* · phase {view.phase + 1}/"
        f"{view.phase_count}: *{user_text(view.name, 200)}*{due}{waits} · "
        f"{done}/{len(view.steps)}"
    )


def phase_blocks(view: PhaseView) -> list[dict[str, Any]]:
    """The phase message: a header, then each step with its buttons."""
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=phase_header(view)))]
    if view.rules:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=rules_line(view.rules))]))
    for step in view.steps[:MAX_STEPS_PER_MESSAGE]:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_step_text(step))))
        blocks.append(_step_actions(view, step))
    if len(view.steps) > MAX_STEPS_PER_MESSAGE:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"{len(view.steps) - MAX_STEPS_PER_MESSAGE} more steps: see the pack."
                    )
                ]
            )
        )
    return [b.to_dict() for b in blocks]


def rules_line(rules: Sequence[str]) -> str:
    """`⚖️ Rules here: Disable first, fix second · Never retry blindly` (at most 2,900 chars)."""
    text = ":scales: *Rules here:* " + " · ".join(user_text(rule, 300) for rule in rules[:10])
    return text[:2900]


def phase_text(view: PhaseView) -> str:
    """Notification fallback for a phase message."""
    return f"{view.playbook_title}: phase {view.phase + 1}/{view.phase_count} {view.name}"[:300]


def out_of_order_blocks(
    *, step: str, waiting: Sequence[str], block_id: str, value: str
) -> list[dict[str, Any]]:
    """The private question before a step is ticked ahead of open earlier steps."""
    listed = "\n".join(f"• {user_text(text, 200)}" for text in waiting[:10])
    more = f"\n…and {len(waiting) - 10} more" if len(waiting) > 10 else ""
    text = (
        f":warning: “{user_text(step, 200)}” comes after steps still open:\n{listed}{more}\n"
        "Tick it anyway?"
    )
    return [
        SectionBlock(text=MarkdownTextObject(text=text)).to_dict(),
        ActionsBlock(
            block_id=block_id,
            elements=[
                ButtonElement(
                    text="Done anyway",
                    action_id=ActionId.STEP_DONE_ANYWAY,
                    value=value,
                    style="danger",
                )
            ],
        ).to_dict(),
    ]
