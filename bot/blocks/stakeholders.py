"""What people outside the incident channel see: replies under the announcement, the
archive notice, and `/incident stats`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.blocks.format import user, user_text
from bot.domain.stats import SeverityStats
from bot.domain.timers import human


def thread_update_line(*, label: str, author: str, text: str) -> str:
    """An update as replied under the incident's announcement in INCIDENTS_CHANNEL."""
    return f":mega: *{label}* from {user(author)}:\n{user_text(text, 2900)}"


def archive_notice_text(*, on: datetime) -> str:
    """A resolved incident's channel will be archived on `on`, unless someone speaks."""
    return (
        f":file_cabinet: This channel will be archived on {on:%Y-%m-%d %H:%M} UTC; "
        "any message postpones it."
    )


def archived_line() -> str:
    """The timeline's words when the bot archived the channel."""
    return "Channel archived after a quiet period."


def _span(value: timedelta | None) -> str:
    return human(value) if value is not None else "—"


def stats_text(rows: Sequence[SeverityStats], *, days: int, names: Mapping[str, str]) -> str:
    """`/incident stats`: one line per severity, for the incidents of the last `days`."""
    if not rows:
        return f"No incidents declared in the last {days} days."
    lines = [f"*Incidents of the last {days} days*"]
    for row in rows:
        kept = f"{row.cadence_kept:.0%}" if row.cadence_kept is not None else "—"
        lines.append(
            f"• *{user_text(names.get(row.severity, row.severity), 80)}*: {row.incidents} · "
            f"first response median {_span(row.response_median)}, "
            f"p90 {_span(row.response_p90)} · "
            f"resolved median {_span(row.resolution_median)}, p90 {_span(row.resolution_p90)} · "
            f"update cadence kept {kept}"
        )
    return "\n".join(lines)
