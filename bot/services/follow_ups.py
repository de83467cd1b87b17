"""Follow-ups: add one (with its due reminder), list them, mark one done or reopen it.

Follow-ups are post-incident work: they outlive resolve, and so does their reminder
(`bot.services.timers.stop_for_resolve` spares it). Done and reopen are conditional
UPDATEs, so a second click on **Done** is told it is already done.
"""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks.follow_ups import FollowUpView, follow_up_blocks, follow_up_text
from bot.blocks.format import user, utc
from bot.clock import Clock
from bot.domain.errors import BadCommand, Conflict
from bot.domain.follow_ups import FollowUpArgs, in_order, reminder_at
from bot.domain.text import clip, unescape
from bot.replica import Replica
from bot.services import outbox, people, timers
from bot.services.unit import unit_of_work
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from storage import follow_ups, repo
from storage.db import Database
from storage.models import Event, FollowUp, Incident

log = logging.getLogger(__name__)
TEXT_LIMIT = 1500


def view_of(found: FollowUp) -> FollowUpView:
    """What the follow-up's messages show."""
    assert found.id is not None
    return FollowUpView(
        id=found.id,
        text=found.text,
        owner=found.owner_id,
        due_on=found.due_on,
        state=found.state,
        done_by=found.done_by,
        done_at=found.done_at,
    )


async def add_follow_up(
    incident: Incident,
    *,
    actor: str,
    args: FollowUpArgs,
    db: Database,
    slack: SlackGateway,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> FollowUp:
    """Record a follow-up with its timeline event and due reminder, then post it with
    **Done** and **Reopen**."""
    if args.owner != actor:
        await people.require_person(args.owner, "the owner of a follow-up", slack=slack)
    now = clock()
    async with unit_of_work(db) as session:
        found = await follow_ups.add(
            session=session,
            follow_up=FollowUp(
                incident_id=incident.id,
                text=clip(unescape(args.text).strip(), TEXT_LIMIT),
                owner_id=args.owner,
                due_on=args.due,
                created_by=actor,
                created_at=now,
            ),
        )
        view = view_of(found)
        repo.add_event(session=session, event=_added_event(incident, found, actor=actor))
        if args.due is not None:
            due = max(reminder_at(args.due, settings.tz), now)
            await timers.arm_follow_up(session, incident, view.id, due)
        post = outbox.owe(
            session, incident, follow_up_text(view), follow_up_blocks(view), clock=clock
        )
        await session.flush()
        found.post_id = post.id
    await outbox.deliver([post], db=db, slack=slack, replica=replica)
    return found


def _added_event(incident: Incident, found: FollowUp, *, actor: str) -> Event:
    due = found.due_on.isoformat() if found.due_on else None
    words = f" · due {due}" if due else ""
    return repo.new_event(
        incident=incident.id,
        at=found.created_at,
        actor=actor,
        kind="follow_up_added",
        text=f"{found.text} · owner {user(found.owner_id)}{words}",
        follow_up=found.id,
        owner=found.owner_id,
        due=due,
    )


async def list_follow_ups(incident: Incident, *, db: Database) -> list[FollowUpView]:
    """The incident's follow-ups, open first (soonest due first)."""
    async with db.reader() as session:
        found = await follow_ups.for_incident(session=session, incident=incident.id)
    return [view_of(f) for f in in_order(found)]


async def mark_done(
    incident: Incident,
    follow_up: int,
    *,
    actor: str,
    db: Database,
    slack: SlackGateway,
    clock: Clock,
) -> FollowUpView:
    """Mark a follow-up done (who and when), then redraw its post; done already: Conflict."""
    now = clock()
    async with unit_of_work(db) as session:
        found = await _belonging(session, incident, follow_up)
        if not await follow_ups.mark_done_if_open(
            session=session, follow_up=follow_up, actor=actor, now=now
        ):
            when = f" at {utc(found.done_at)}" if found.done_at else ""
            raise Conflict(
                f"That follow-up is already done (by {user(found.done_by)}{when}). "
                "*Reopen* it if it needs more work."
            )
        repo.add_event(
            session=session,
            event=repo.new_event(
                incident=incident.id,
                at=now,
                actor=actor,
                kind="follow_up_done",
                text=found.text,
                follow_up=follow_up,
            ),
        )
    return await _redraw(incident, follow_up, db=db, slack=slack)


async def reopen(
    incident: Incident,
    follow_up: int,
    *,
    actor: str,
    db: Database,
    slack: SlackGateway,
    clock: Clock,
) -> FollowUpView:
    """Open a done follow-up again (who and when go to the timeline); open already: Conflict."""
    async with unit_of_work(db) as session:
        found = await _belonging(session, incident, follow_up)
        if not await follow_ups.reopen_if_done(session=session, follow_up=follow_up):
            raise Conflict("That follow-up is already open.")
        repo.add_event(
            session=session,
            event=repo.new_event(
                incident=incident.id,
                at=clock(),
                actor=actor,
                kind="follow_up_reopened",
                text=found.text,
                follow_up=follow_up,
            ),
        )
    return await _redraw(incident, follow_up, db=db, slack=slack)


async def _belonging(session: AsyncSession, incident: Incident, follow_up: int) -> FollowUp:
    """The follow-up, if it belongs to this channel's incident."""
    found = await follow_ups.get(session=session, follow_up=follow_up)
    if found is None or found.incident_id != incident.id:
        raise BadCommand("That follow-up belongs to another incident; nothing was changed.")
    return found


async def _redraw(
    incident: Incident, follow_up: int, *, db: Database, slack: SlackGateway
) -> FollowUpView:
    """Show the follow-up's new state in its post in the channel (once it is posted)."""
    async with db.reader() as session:
        found = await follow_ups.get(session=session, follow_up=follow_up)
        assert found is not None
        where = await follow_ups.shown_at(session=session, post=found.post_id)
    view = view_of(found)
    channel = (where[0] or incident.channel_id) if where else None
    if where is not None and channel:
        try:
            await slack.client.chat_update(
                channel=channel,
                ts=where[1],
                text=follow_up_text(view),
                blocks=follow_up_blocks(view),
            )
        except Exception as error:  # noqa: BLE001 - recorded; the list shows the truth
            log.warning("could not redraw follow-up %s: %r", follow_up, error)
    return view
