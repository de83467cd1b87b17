"""bot.blocks.home: the App Home tab from plain values."""

from datetime import UTC, date, datetime, timedelta

from bot.blocks.home import (
    HomeFollowUp,
    HomeIncident,
    HomeView,
    age_text,
    by_severity_then_age,
    home_view,
    open_incident_text,
)
from bot.blocks.ids import ActionId
from tests.blocks.slack_rules import HOSTILE, assert_never_pings, assert_valid_blocks

NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def incident(n: int, *, rank: int = 1, hours: float = 1.0, title: str = "Refunds") -> HomeIncident:
    return HomeIncident(
        id=f"INC-{n:03d}",
        title=title,
        severity_name=f"SEV-{rank + 1}",
        rank=rank,
        declared_at=NOW - timedelta(hours=hours),
        commander="U_ALICE",
        status="investigating",
        channel_id=f"C{n:03d}",
    )


def texts(view: dict) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


def test_sorted_by_severity_then_oldest_first():
    shown = by_severity_then_age(
        (
            incident(1, rank=1, hours=5),
            incident(2, rank=0, hours=1),
            incident(3, rank=1, hours=9),
            incident(4, rank=0, hours=3),
        )
    )
    assert [i.id for i in shown] == ["INC-004", "INC-002", "INC-003", "INC-001"]


def test_age_to_the_minute():
    assert age_text(NOW - timedelta(seconds=30), NOW) == "<1 min"
    assert age_text(NOW - timedelta(minutes=125), NOW) == "2 h 5 min"
    assert age_text(NOW - timedelta(days=3, hours=4, minutes=2), NOW) == "3 d 4 h"


def test_an_open_incident_shows_its_facts():
    shown = HomeIncident(
        **{**incident(7).__dict__, "next_reminder": NOW + timedelta(minutes=30)},
    )
    assert open_incident_text(shown, NOW) == (
        "*SEV-2* · *Refunds* · <#C007>\n"
        "INC-007 · investigating · open 1 h · commander <@U_ALICE>\n"
        "Last update: none yet · next reminder: "
        "<!date^1795361400^{date_short_pretty} {time}|2026-11-22 15:30 UTC>"
    )


def test_the_whole_home():
    home = HomeView(
        user="U_ALICE",
        open=(incident(1), incident(2, rank=0)),
        mine=("INC-001",),
        follow_ups=(HomeFollowUp("Add an alert", "INC-009", "C009", date(2026, 12, 1)),),
        resolved=(),
    )
    view = home_view(home, now=NOW)
    assert view["type"] == "home"
    assert view["blocks"][1]["elements"][0]["action_id"] == ActionId.HOME_DECLARE
    assert texts(view)[0] == "*Open incidents* (2)"
    assert texts(view)[1].startswith("*SEV-1* · *Refunds* · <#C002>")
    assert texts(view)[3:] == [
        "*My incidents*\n• *SEV-2* Refunds · <#C001> · investigating",
        "*My open follow-ups*\n• Add an alert · INC-009 <#C009> · due 2026-12-01",
        "*Resolved in the last 7 days*\nNone.",
    ]


def test_two_hundred_incidents_fit_in_a_hundred_blocks():
    many = tuple(incident(n, rank=n % 3, hours=n) for n in range(200))
    view = home_view(HomeView(user="U_ALICE", open=many, mine=tuple(i.id for i in many)), now=NOW)
    assert len(view["blocks"]) == 100
    assert_valid_blocks(view["blocks"], limit=100)
    assert view["blocks"][-5]["elements"][0]["text"] == (
        "…and 108 more open incidents (`/incident list`)."
    )
    mine = texts(view)[-3]
    assert len(mine) <= 3000 and mine.endswith(" more")


def test_hostile_titles_never_ping():
    bad = incident(1, title=HOSTILE)
    home = HomeView(
        user="U_ALICE",
        open=(bad,),
        mine=(bad.id,),
        follow_ups=(HomeFollowUp(HOSTILE, "INC-001", None, None),),
        resolved=(bad,),
    )
    view = home_view(home, now=NOW)
    assert_valid_blocks(view["blocks"], limit=100)
    assert_never_pings(view)
