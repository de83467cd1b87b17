"""Messages: help, the incident list, the timeline, change lines and status updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.blocks.format import SECTION_LIMIT, channel, user, user_text, utc
from bot.blocks.view import IncidentView
from bot.domain.text import clip

HELP_TEXT = """*`/incident` commands*
*Anywhere*
• `declare` — open the declare form
• `declare <severity> <title>` — declare at once, e.g. `declare {example} Refunds executed twice`
• `declare --playbook <id> <title>` — declare at that playbook's severity and run it
• `list` — open incidents · `help` — this text
• `stats [days]` — per severity: response and resolution times, update cadence kept
• `declare … --private` — a private incident: a private channel, announced without its title
*Inside an incident channel*
• `commander @user` — hand over command (commander or admin)
• `role <role> @user` — assign a role ({roles})
• `severity <severity>` — {severities}
• `status <investigating|identified|monitoring|resolved>`
• `update <text>` — post a status update
• `update --customer [--to <audience>] <text>` — a customer update
• `note <text>` — add a note to the timeline · `timeline` — the timeline so far
• `escalate` — the conditions that escalate, with buttons · `escalate <number>` — confirm one
• `page <level>` — page the level's PagerDuty/Opsgenie targets (once) · `page @user` — page a person
• `playbook [id]` — list the playbooks, or run one · `log` — post the incident log
• `log set <field>: <text>` — fill in a field of the log · `log edit` — fill them in a form
• `resolve [summary]` · `reopen`
• `follow-up <text> [@owner] [due <date>]` — post-incident work · `follow-ups` — the list"""


def help_text(
    *, severities: Sequence[str], roles: Sequence[str], guidance: Sequence[str] = ()
) -> str:
    """The help text, listing this pack's severities and roles, and its alert rules (as
    `P0: Payment success rate < 95% for 10m` lines) as guidance for choosing a severity."""
    text = HELP_TEXT.format(
        example=severities[0] if severities else "sev1",
        severities=", ".join(f"`{s}`" for s in severities),
        roles=", ".join(roles),
    )
    if guidance:
        text += "\n*Choosing a severity* (this pack's examples and alert rules)\n" + "\n".join(
            f"• {user_text(line, 200)}" for line in guidance[:20]
        )
    return clip(text, SECTION_LIMIT)


def incident_list_text(views: Sequence[IncidentView]) -> str:
    """The open incidents, one line each, with channel links."""
    if not views:
        return "No open incidents. :tada:"
    lines = [
        f"• *{v.id}* {v.severity_name} · {v.status_label} · {channel(v.channel_id)} · "
        f"{user_text(v.title, 200)} · commander {user(v.commander)}"
        for v in views
    ]
    return _fit(["*Open incidents*", *lines])


def timeline_blocks(
    incident: str, lines: Sequence[tuple[datetime, str | None, str]]
) -> list[dict[str, Any]]:
    """The timeline as sections of `time · actor · details` lines, oldest first."""
    rendered = [
        f"`{utc(at)}` {user(actor) if actor else 'bot'} · {user_text(text, 2900)}"
        for at, actor, text in lines
    ]
    chunks: list[str] = []
    current = f"*Timeline of {incident}*"
    for line in rendered:
        line = line[: SECTION_LIMIT - 10]
        if len(current) + len(line) + 1 > SECTION_LIMIT:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}"
    chunks.append(current)
    if len(chunks) > 49:
        omitted = len(chunks) - 48
        chunks = [
            chunks[0],
            f"_… {omitted} earlier sections omitted; export the log for all._",
            *chunks[-47:],
        ]
    return [SectionBlock(text=MarkdownTextObject(text=c)).to_dict() for c in chunks]


def update_text(label: str, text: str) -> str:
    """The notification text of an update: `Status update: …`, escaped and short."""
    return user_text(f"{label}: {text}", 300)


def update_blocks(*, author: str, text: str, view: IncidentView) -> list[dict[str, Any]]:
    """A formatted status update as posted in the channel."""
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=user_text(
                    f":mega: *Status update* · {view.severity_name} · {view.status_label}\n{text}"
                )
            )
        ).to_dict(),
        ContextBlock(elements=[MarkdownTextObject(text=f"Posted by {user(author)}")]).to_dict(),
    ]


def _fit(lines: list[str]) -> str:
    text = "\n".join(lines)
    return text if len(text) <= 39000 else text[:38999] + "…"


def customer_update_blocks(
    *, author: str, text: str, view: IncidentView, audience: str | None = None
) -> list[dict[str, Any]]:
    """A customer-facing update as recorded in the incident channel (`audience`: the pack's
    name for whom it is for, e.g. Buyers)."""
    label = f"Customer update ({audience})" if audience else "Customer update"
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=user_text(f":speech_balloon: *{label}* · {view.severity_name}\n{text}")
            )
        ).to_dict(),
        ContextBlock(
            elements=[MarkdownTextObject(text=f"Approved for customers by {user(author)}")]
        ).to_dict(),
    ]
