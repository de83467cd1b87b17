"""Quick changes to one incident are shown with fewer redraws than changes: the latest wins."""

from __future__ import annotations

import asyncio

from bot.services import display
from storage import repo

CHANGES = 8


def showing(bot):
    """What redrawing displays needs, taken from the running bot."""
    d = bot.deps
    return dict(db=d.db, slack=d.slack, pack=d.pack, clock=d.clock, replica=d.replica)


def redraws(fake) -> tuple[int, int]:
    return len(fake.calls_to("conversations.setTopic")), len(fake.calls_to("chat.update"))


async def incident_of(bot, channel):
    async with bot.db.reader() as session:
        return await repo.get_by_channel(session=session, channel_id=channel.id)


async def test_changes_committed_while_waiting_are_drawn_once(bot):
    channel = await bot.declare()
    incident = await incident_of(bot, channel)
    topics, updates = redraws(bot.fake)
    for _ in range(CHANGES):  # eight changes committed, each then asks for a redraw at once
        async with bot.db.transaction() as session:
            await repo.bump_revision(session=session, incident=incident.id)
    failed = await asyncio.gather(
        *(display.refresh_display(incident.id, **showing(bot)) for _ in range(CHANGES))
    )
    assert failed == [[]] * CHANGES
    # One redraw of the newest state: the topic, the pinned card and the announcement.
    assert redraws(bot.fake) == (topics + 1, updates + 2)
    shown = await incident_of(bot, channel)
    assert shown.shown_revision == shown.revision == incident.revision + CHANGES


async def test_a_change_after_a_redraw_is_drawn_again(bot):
    channel = await bot.declare()
    incident = await incident_of(bot, channel)
    topics, updates = redraws(bot.fake)
    await display.refresh_display(incident.id, **showing(bot))
    assert redraws(bot.fake) == (topics, updates)  # nothing changed: nothing redrawn
    async with bot.db.transaction() as session:
        await repo.bump_revision(session=session, incident=incident.id)
    await display.refresh_display(incident.id, **showing(bot))
    assert redraws(bot.fake) == (topics + 1, updates + 2)
