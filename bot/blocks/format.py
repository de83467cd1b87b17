"""Small formatting helpers shared by the builders."""

from __future__ import annotations

from datetime import datetime

from bot.domain.text import clip, safe_mrkdwn

SECTION_LIMIT = 3000
HEADER_LIMIT = 150


def user(user_id: str | None) -> str:
    """A user mention, or an em dash when nobody is set."""
    return f"<@{user_id}>" if user_id else "—"


def users(user_ids: tuple[str, ...] | list[str]) -> str:
    """Comma-separated mentions, or an em dash."""
    return ", ".join(user(u) for u in user_ids) if user_ids else "—"


def utc(at: datetime) -> str:
    """`2026-11-22 14:02 UTC`."""
    return f"{at:%Y-%m-%d %H:%M} UTC"


def slack_date(at: datetime) -> str:
    """A Slack date token that shows in the reader's time zone, with a UTC fallback."""
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{utc(at)}>"


def user_text(text: str, limit: int = SECTION_LIMIT) -> str:
    """User text made safe for mrkdwn and clipped to fit."""
    return clip(safe_mrkdwn(text), limit)


def channel(channel_id: str | None) -> str:
    """A channel link, or an em dash."""
    return f"<#{channel_id}>" if channel_id else "—"
