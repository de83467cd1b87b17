"""The pinned incident card, the channel topic and the announcement."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot.blocks.format import (
    HEADER_LIMIT,
    SECTION_LIMIT,
    channel,
    slack_date,
    user,
    user_text,
    users,
    utc,
)
from bot.blocks.ids import ActionId
from bot.blocks.view import PRIVATE_INCIDENT, IncidentView
from bot.domain.text import clip, plain

TOPIC_LIMIT = 250
CARD_ACTIONS_BLOCK = "card_actions"
STATUS_EMOJI = {
    "investigating": ":mag:",
    "identified": ":dart:",
    "monitoring": ":eyes:",
    "resolved": ":white_check_mark:",
}


def topic_text(view: IncidentView) -> str:
    """`SEV-1 · Investigating · Commander: @alice` (mentions render in topics)."""
    return clip(
        f"{view.severity_name} · {view.status_label} · Commander: <@{view.commander}>", TOPIC_LIMIT
    )


def _fields(view: IncidentView) -> list[MarkdownTextObject]:
    fields = [
        f"*ID*\n{view.id}",
        f"*Severity*\n{view.severity_name}",
        f"*Status*\n{STATUS_EMOJI.get(view.status, '')} {view.status_label}",
        f"*Commander*\n{user(view.commander)}",
    ]
    fields += [f"*{role.name}*\n{users(role.holders)}" for role in view.roles]
    fields.append(f"*Started*\n{slack_date(view.declared_at)}")
    if view.resolved_at:
        fields.append(f"*Resolved*\n{slack_date(view.resolved_at)}")
    # A section holds at most 10 fields.
    return [MarkdownTextObject(text=clip(f, 2000)) for f in fields[:10]]


def _resolution_text(view: IncidentView) -> str:
    """Resolution, root cause and preventive actions, each under its own heading."""
    parts = []
    if view.summary:
        parts.append(f"*Resolution*\n{user_text(view.summary, 1000)}")
    if view.root_cause:
        parts.append(f"*Root cause*\n{user_text(view.root_cause, 1000)}")
    if view.prevention:
        actions = "\n".join(f"• {user_text(a, 300)}" for a in view.prevention[:10])
        parts.append(f"*Preventive actions*\n{actions}")
    return clip("\n".join(parts), SECTION_LIMIT)


def incident_card_blocks(view: IncidentView) -> list[dict[str, Any]]:
    """The summary card pinned in the incident channel; edited in place on every change."""
    blocks: list[Any] = [
        HeaderBlock(text=clip(f"{view.severity_name}: {plain(view.title)}", HEADER_LIMIT)),
        SectionBlock(fields=_fields(view)),
    ]
    if view.description:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=user_text(view.description))))
    if view.summary or view.root_cause or view.prevention:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_resolution_text(view))))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"Declared by {user(view.declared_by)} · `/incident help` for commands"
                )
            ]
        )
    )
    if view.status != "resolved":  # reopening is a command; nothing else fits a closed one
        blocks.append(card_actions(view))
    return [b.to_dict() for b in blocks]


def card_actions(view: IncidentView) -> ActionsBlock:
    """Post update, Change severity (the other severities), Take a role (the free ones),
    Resolve: each does what its `/incident` command does."""
    elements: list[Any] = [
        ButtonElement(text="Post update", action_id=ActionId.CARD_POST_UPDATE, value=view.id)
    ]
    severities = [
        Option(value=sid, text=clip(name, 75))
        for sid, name in view.severities[:100]
        if sid != view.severity
    ]
    if severities:
        elements.append(
            StaticSelectElement(
                action_id=ActionId.CARD_SEVERITY, placeholder="Change severity", options=severities
            )
        )
    free = [Option(value=r.role_id, text=clip(r.name, 75)) for r in view.roles if r.free]
    if free:
        elements.append(
            StaticSelectElement(
                action_id=ActionId.CARD_TAKE_ROLE, placeholder="Take a role", options=free[:100]
            )
        )
    elements.append(
        ButtonElement(text="Add follow-up", action_id=ActionId.CARD_FOLLOW_UP, value=view.id)
    )
    elements.append(
        ButtonElement(
            text="Resolve", action_id=ActionId.CARD_RESOLVE, value=view.id, style="primary"
        )
    )
    return ActionsBlock(block_id=CARD_ACTIONS_BLOCK, elements=elements)


def incident_card_text(view: IncidentView) -> str:
    """Notification fallback for the card."""
    return clip(f"{view.id} · {view.severity_name} · {view.status_label}: {plain(view.title)}", 300)


def announcement_text(view: IncidentView) -> str:
    """Notification fallback for the announcement: a private incident's has no title."""
    if view.private:
        return f"{view.id} · {view.severity_name} · {view.status_label}: {PRIVATE_INCIDENT}"
    return incident_card_text(view)


def announcement_blocks(view: IncidentView) -> list[dict[str, Any]]:
    """The post in the announcement channel, kept current like the card; a private
    incident's names its severity and commander, not its title or channel."""
    emoji = ":white_check_mark:" if view.status == "resolved" else ":rotating_light:"
    if view.private:
        lines = (
            f"{emoji} *{view.severity_name} · {view.status_label}* · {view.id}\n"
            f":lock: {PRIVATE_INCIDENT.capitalize()} · Commander: {user(view.commander)} · "
            f"Started {utc(view.declared_at)}"
        )
        return [SectionBlock(text=MarkdownTextObject(text=lines)).to_dict()]
    lines = (
        f"{emoji} *{view.severity_name} · {view.status_label}* · {view.id}\n"
        f"*{user_text(view.title, 500)}*\n"
        f"Channel: {channel(view.channel_id)} · Commander: {user(view.commander)} · "
        f"Started {utc(view.declared_at)}"
    )
    return [SectionBlock(text=MarkdownTextObject(text=lines)).to_dict()]
