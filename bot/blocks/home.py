"""The App Home tab: open incidents by severity, mine, my follow-ups, recently resolved.

Built from plain values (`HomeView`); a home tab holds at most 100 blocks, so the open
incidents take what the fixed sections leave and the rest is counted in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.format import SECTION_LIMIT, channel, slack_date, user, user_text
from bot.blocks.ids import ActionId
from bot.domain.text import clip

HOME_BLOCKS = 100
LINE_TITLE = 120  # a title in a one-line listing (my incidents, resolved)


@dataclass(frozen=True)
class HomeIncident:
    """One incident as the Home tab shows it."""

    id: str
    title: str
    severity_name: str
    rank: int  # the pack's position of the severity, 0 = most severe
    declared_at: datetime
    commander: str
    status: str
    channel_id: str | None
    last_update: datetime | None = None
    next_reminder: datetime | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class HomeFollowUp:
    """One open follow-up of the user's."""

    text: str
    incident_id: str
    channel_id: str | None
    due_on: date | None


@dataclass(frozen=True)
class HomeView:
    """Everything one user's Home tab shows."""

    user: str
    open: tuple[HomeIncident, ...] = ()
    mine: tuple[str, ...] = ()  # IDs of open incidents where the user commands or holds a role
    follow_ups: tuple[HomeFollowUp, ...] = ()
    resolved: tuple[HomeIncident, ...] = ()


def by_severity_then_age(incidents: tuple[HomeIncident, ...]) -> list[HomeIncident]:
    """Most severe first; within a severity, the oldest first."""
    return sorted(incidents, key=lambda i: (i.rank, i.declared_at, i.id))


def age_text(since: datetime, now: datetime) -> str:
    """`2 h 5 min`, `3 d 4 h`, `<1 min`: how long ago, to the minute."""
    minutes = max(0, int((now - since) / timedelta(minutes=1)))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min" if mins else "<1 min"


def open_incident_text(incident: HomeIncident, now: datetime) -> str:
    """The section of one open incident: severity, title, channel, then its facts."""
    last = slack_date(incident.last_update) if incident.last_update else "none yet"
    reminder = slack_date(incident.next_reminder) if incident.next_reminder else "—"
    return clip(
        f"*{incident.severity_name}* · *{user_text(incident.title, 500)}* · "
        f"{channel(incident.channel_id)}\n"
        f"{incident.id} · {incident.status} · open {age_text(incident.declared_at, now)} · "
        f"commander {user(incident.commander)}\n"
        f"Last update: {last} · next reminder: {reminder}",
        SECTION_LIMIT,
    )


def home_view(home: HomeView, *, now: datetime) -> dict[str, Any]:
    """The `views.publish` view of one user's Home tab (at most 100 blocks)."""
    tail = _tail_blocks(home)
    head: list[Block] = [
        HeaderBlock(text="Incidents"),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Declare incident",
                    action_id=ActionId.HOME_DECLARE.value,
                    value="declare",
                    style="danger",
                )
            ]
        ),
        _section(f"*Open incidents* ({len(home.open)})"),
    ]
    room = HOME_BLOCKS - len(head) - len(tail) - 1  # one line for those that do not fit
    shown = by_severity_then_age(home.open)
    blocks = head + [_section(open_incident_text(i, now)) for i in shown[:room]]
    if len(shown) > room:
        blocks.append(_context(f"…and {len(shown) - room} more open incidents (`/incident list`)."))
    elif not shown:
        blocks.append(_context("No open incidents."))
    return {"type": "home", "blocks": [b.to_dict() for b in blocks + tail]}


def _tail_blocks(home: HomeView) -> list[Block]:
    """My incidents, my open follow-ups and recently resolved: one section each."""
    by_id = {i.id: i for i in home.open}
    mine = [by_id[i] for i in home.mine if i in by_id]
    return [
        DividerBlock(),
        _section(_listing("*My incidents*", [_short_line(i) for i in mine], "None.")),
        _section(
            _listing("*My open follow-ups*", [_follow_up_line(f) for f in home.follow_ups], "None.")
        ),
        _section(
            _listing(
                "*Resolved in the last 7 days*",
                [_resolved_line(i) for i in home.resolved],
                "None.",
            )
        ),
    ]


def _listing(title: str, lines: list[str], empty: str) -> str:
    """A title and its lines, cut to whole lines that fit in one section."""
    text = title
    for count, line in enumerate(lines):
        more = f"\n…and {len(lines) - count} more"
        if len(text) + 1 + len(line) + len(more) > SECTION_LIMIT:
            return text + more
        text += "\n" + line
    return text if lines else f"{title}\n{empty}"


def _short_line(i: HomeIncident) -> str:
    title = user_text(i.title, LINE_TITLE)
    return f"• *{i.severity_name}* {title} · {channel(i.channel_id)} · {i.status}"


def _follow_up_line(f: HomeFollowUp) -> str:
    due = f"due {f.due_on.isoformat()}" if f.due_on else "no due date"
    where = f" {channel(f.channel_id)}" if f.channel_id else ""
    return f"• {user_text(f.text, 300)} · {f.incident_id}{where} · {due}"


def _resolved_line(i: HomeIncident) -> str:
    when = slack_date(i.resolved_at) if i.resolved_at else "—"
    title = user_text(i.title, LINE_TITLE)
    return f"• *{i.severity_name}* {title} · {channel(i.channel_id)} · resolved {when}"


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])
