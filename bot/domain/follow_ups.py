"""Follow-ups: post-incident work with an owner and a due date. Pure; `now` and `tz` passed in.

`/incident follow-up <text> [@owner] [due <date>]` is parsed here. Due dates are calendar
days in the local time zone (`TZ`), so "tomorrow" at 23:30 UTC in Auckland is two UTC days
later; the owner is reminded at 09:00 local on that day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot.domain.commands import parse_user
from bot.domain.errors import BadCommand

USAGE = "/incident follow-up <text> [@owner] [due <date>]"
DATE_FORMS = (
    "`YYYY-MM-DD`, `today`, `tomorrow`, `in 3 days`, `in 2 weeks` or a weekday such as `friday`"
)
REMIND_AT = time(9, 0)  # local time on the due date
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_IN = re.compile(r"^in\s+(\d{1,3})\s+(day|days|week|weeks)$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# `due <date>` ends the command: at most three words (`in 3 days`) that start like a date
# (a digit, `in`, `today`, `next`, a weekday…), so text that merely contains the word
# ("review the due diligence process") stays text, and `due next week` is a bad date.
_DUE = re.compile(
    r"(?:^|\s)due\s+((?:\d|in\s|today|tomorrow|next\s|this\s|mon|tue|wed|thu|fri|sat|sun)"
    r"\S*(?:\s+\S+){0,2})\s*$",
    re.IGNORECASE,
)
_MENTION_AT_END = re.compile(r"(?:^|\s)(<@[UW][A-Z0-9_]+(?:\|[^>]*)?>)\s*$")


@dataclass(frozen=True)
class FollowUpArgs:
    """What `/incident follow-up` asked for."""

    text: str
    owner: str
    due: date | None


def local_today(now: datetime, tz: str) -> date:
    """Today's date in `tz`."""
    return now.astimezone(ZoneInfo(tz)).date()


def parse_due(words: str, now: datetime, tz: str) -> date:
    """A due date from `2026-03-06`, `today`, `tomorrow`, `in 3 days`, `in 2 weeks` or a
    weekday (the next one after today), counted in `tz`; else a BadCommand naming the forms."""
    said = " ".join(words.lower().split())
    today = local_today(now, tz)
    found: date | None = None
    if said == "today":
        found = today
    elif said == "tomorrow":
        found = today + timedelta(days=1)
    elif (match := _IN.match(said)) is not None:
        count = int(match.group(1))
        found = today + timedelta(days=count * (7 if match.group(2).startswith("week") else 1))
    elif said in WEEKDAYS or said in (w[:3] for w in WEEKDAYS):
        wanted = next(i for i, w in enumerate(WEEKDAYS) if w.startswith(said))
        found = today + timedelta(days=(wanted - today.weekday() - 1) % 7 + 1)
    elif _ISO.match(said):
        found = _iso_date(said)
    if found is None:
        raise BadCommand(f"I can't read the due date `{words}`. Say it as {DATE_FORMS}.")
    if found < today:
        raise BadCommand(f"The due date {found.isoformat()} is in the past. Give a later date.")
    return found


def _iso_date(said: str) -> date | None:
    try:
        return date.fromisoformat(said)
    except ValueError:
        return None


def parse_follow_up(rest: str, *, author: str, now: datetime, tz: str) -> FollowUpArgs:
    """Parse `<text> [@owner] [due <date>]`; the owner defaults to whoever typed it."""
    rest = rest.strip()
    due: date | None = None
    match = _DUE.search(rest)
    if match is not None:
        due = parse_due(match.group(1), now, tz)
        rest = rest[: match.start()].strip()
    owner = author
    mention = _MENTION_AT_END.search(rest)
    if mention is not None:
        owner = parse_user(mention.group(1))
        rest = rest[: mention.start()].strip()
    if not rest:
        raise BadCommand(
            f"Say what needs doing: `{USAGE}`, e.g. `follow-up Add an alert on "
            "duplicate refunds @bob due friday`."
        )
    return FollowUpArgs(text=rest, owner=owner, due=due)


def reminder_at(due: date, tz: str) -> datetime:
    """When the owner is reminded: 09:00 local time on the due date (an aware datetime)."""
    return datetime.combine(due, REMIND_AT, tzinfo=ZoneInfo(tz))


class FollowUpFacts(Protocol):
    """A follow-up as the decisions and builders see it."""

    @property
    def state(self) -> str: ...
    @property
    def due_on(self) -> date | None: ...


F = TypeVar("F", bound=FollowUpFacts)


def in_order(follow_ups: Iterable[F]) -> list[F]:
    """Open ones first, soonest due first (undated last), else in the order given (the
    order added: the sort is stable)."""
    return sorted(
        follow_ups, key=lambda f: (f.state != "open", f.due_on is None, f.due_on or date.max)
    )


def open_ones(follow_ups: Sequence[F]) -> list[F]:
    """The follow-ups still open, in order."""
    return [f for f in in_order(follow_ups) if f.state == "open"]
