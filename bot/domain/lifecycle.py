"""A resolved incident's channel: when it is archived, when that is announced, and which
messages in it postpone it. Pure; `now` passed in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

NOTICE_AHEAD = timedelta(days=1)
# Message subtypes a person makes; every other subtype (joins, edits, deletions, the
# channel's own archive notices, bot messages) is Slack or a bot speaking.
HUMAN_SUBTYPES = frozenset({"", "file_share", "thread_broadcast", "me_message"})


@dataclass(frozen=True)
class ArchivePlan:
    """When the notice is posted and when the channel is archived."""

    notice_at: datetime
    archive_at: datetime


def archive_after(days: int) -> timedelta | None:
    """The ARCHIVE_AFTER_DAYS setting as a delay; None (0 days) turns archiving off."""
    return timedelta(days=days) if days > 0 else None


def plan_archive(
    quiet_since: datetime, after: timedelta, *, reminders: Sequence[datetime] = ()
) -> ArchivePlan:
    """Archive `after` the last sign of life (resolving, or a person's message); tell the
    channel a day before (at once when `after` is a day or less).

    Never before a day after the last reminder still to be posted there (the retrospective,
    the reviews): archived, the channel could not take it."""
    archive_at = max([quiet_since + after, *(at + NOTICE_AHEAD for at in reminders)])
    return ArchivePlan(notice_at=max(quiet_since, archive_at - NOTICE_AHEAD), archive_at=archive_at)


def by_a_person(event: Mapping[str, object], *, bot_user: str | None) -> bool:
    """A `message` event a person posted (not a bot, not Slack's own channel messages)."""
    if event.get("bot_id") or event.get("bot_profile"):
        return False
    user = event.get("user")
    if not isinstance(user, str) or not user or user == bot_user:
        return False
    subtype = event.get("subtype") or ""
    return isinstance(subtype, str) and subtype in HUMAN_SUBTYPES
