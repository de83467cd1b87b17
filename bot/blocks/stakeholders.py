"""What people outside the incident channel see: replies under the announcement, the
archive notice, and `/incident stats`."""

from __future__ import annotations

from datetime import datetime

from bot.blocks.format import user, user_text


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
