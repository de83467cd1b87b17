"""bot.domain.follow_ups: `/incident follow-up` parsing, due dates in TZ, the reminder time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import pytest

from bot.domain.errors import BadCommand
from bot.domain.firings import STOP, Context, Firing, FollowUpDue, FollowUpFacts, Snapshot, decide
from bot.domain.follow_ups import FollowUpArgs, in_order, parse_due, parse_follow_up, reminder_at
from playbooks.loader import load_pack

WED_2230_UTC = datetime(2026, 3, 4, 22, 30, tzinfo=UTC)  # Wednesday in UTC…
AUCKLAND = "Pacific/Auckland"  # …but already Thursday 11:30 there (UTC+13)


@pytest.mark.parametrize(
    ("words", "tz", "expected"),
    [
        ("2026-03-20", "UTC", date(2026, 3, 20)),
        ("today", "UTC", date(2026, 3, 4)),
        ("tomorrow", "UTC", date(2026, 3, 5)),
        ("Tomorrow", AUCKLAND, date(2026, 3, 6)),
        ("in 3 days", "UTC", date(2026, 3, 7)),
        ("in 3 days", AUCKLAND, date(2026, 3, 8)),
        ("in 1 week", "UTC", date(2026, 3, 11)),
        ("friday", "UTC", date(2026, 3, 6)),
        ("fri", AUCKLAND, date(2026, 3, 6)),
        ("wednesday", "UTC", date(2026, 3, 11)),  # today is Wednesday: the next one
        ("thursday", AUCKLAND, date(2026, 3, 12)),  # today is Thursday there
    ],
)
def test_due_dates_are_local_days_from_now(words, tz, expected):
    assert parse_due(words, WED_2230_UTC, tz) == expected


@pytest.mark.parametrize("words", ["next week", "2026-02-30", "someday", "in three days"])
def test_a_date_it_cannot_read_names_the_accepted_forms(words):
    with pytest.raises(BadCommand) as error:
        parse_due(words, WED_2230_UTC, "UTC")
    assert str(error.value) == (
        f"I can't read the due date `{words}`. Say it as `YYYY-MM-DD`, `today`, `tomorrow`, "
        "`in 3 days`, `in 2 weeks` or a weekday such as `friday`."
    )


def test_a_date_in_the_past_is_refused():
    with pytest.raises(BadCommand, match="2026-03-01 is in the past"):
        parse_due("2026-03-01", WED_2230_UTC, "UTC")


def test_text_owner_and_due_date():
    args = parse_follow_up(
        "Add an alert on duplicate refunds <@U_BOB|bob> due friday",
        author="U_ALICE",
        now=WED_2230_UTC,
        tz="UTC",
    )
    assert args == FollowUpArgs("Add an alert on duplicate refunds", "U_BOB", date(2026, 3, 6))


def test_the_owner_defaults_to_the_author_and_the_date_is_optional():
    args = parse_follow_up(
        "Review the due diligence process", author="U_ALICE", now=WED_2230_UTC, tz="UTC"
    )
    assert args == FollowUpArgs("Review the due diligence process", "U_ALICE", None)
    assert parse_follow_up(
        "Ask <@U_BOB> about it due in 2 days", author="U_ALICE", now=WED_2230_UTC, tz="UTC"
    ) == FollowUpArgs("Ask <@U_BOB> about it", "U_ALICE", date(2026, 3, 6))


@pytest.mark.parametrize("rest", ["", "  ", "<@U_BOB>", "due tomorrow", "<@U_BOB> due friday"])
def test_no_text_gives_the_usage(rest):
    with pytest.raises(BadCommand, match=r"/incident follow-up <text> \[@owner\] \[due <date>\]"):
        parse_follow_up(rest, author="U_ALICE", now=WED_2230_UTC, tz="UTC")


def test_the_reminder_is_at_nine_local_on_the_due_date():
    assert reminder_at(date(2026, 3, 6), AUCKLAND).astimezone(UTC) == datetime(
        2026, 3, 5, 20, 0, tzinfo=UTC
    )
    assert reminder_at(date(2026, 3, 6), "UTC") == datetime(2026, 3, 6, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class F:
    name: str
    state: str
    due_on: date | None


def test_open_first_soonest_due_first_undated_last():
    items = [
        F("a", "done", date(2026, 3, 1)),
        F("b", "open", None),
        F("c", "open", date(2026, 3, 9)),
        F("d", "open", date(2026, 3, 5)),
        F("e", "open", None),
    ]
    assert [f.name for f in in_order(items)] == ["d", "c", "b", "e", "a"]


def test_a_due_clause_it_cannot_read_is_refused_not_taken_as_text():
    with pytest.raises(BadCommand, match="can't read the due date `next week`"):
        parse_follow_up("Fix it due next week", author="U_A", now=WED_2230_UTC, tz="UTC")


@dataclass(frozen=True)
class Due:
    kind: str = "follow_up"
    key: str = "7"
    due_at: datetime = WED_2230_UTC


@dataclass(frozen=True)
class Inc:
    status: str = "resolved"
    severity: str = "sev1"
    commander_id: str = "U_ALICE"
    declared_at: datetime = WED_2230_UTC


def test_a_due_follow_up_reminds_its_owner_even_after_resolve_unless_done():
    ctx = Context(pack=load_pack("default"))
    facts = FollowUpFacts(state="open", owner="U_BOB", text="Add an alert")
    fired = decide(Due(), Snapshot(incident=Inc(), follow_up=facts), WED_2230_UTC, ctx)
    assert fired == Firing(
        next_due=None,
        kind="follow_up_reminded",
        notice=FollowUpDue(owner="U_BOB", text="Add an alert"),
        data={"follow_up": "7", "owner": "U_BOB"},
    )
    done = replace(facts, state="done")
    assert decide(Due(), Snapshot(incident=Inc(), follow_up=done), WED_2230_UTC, ctx) == STOP
    assert decide(Due(), Snapshot(incident=Inc()), WED_2230_UTC, ctx) == STOP
