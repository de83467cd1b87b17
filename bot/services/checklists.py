"""Checklists: daily ones on their schedule, recovery ones on resolve; ticks are recorded."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import datetime

from bot.blocks.checklist import PER_GROUP, checklist_blocks
from bot.clock import Clock
from bot.domain.cadence import next_checklist_run
from bot.domain.errors import BadCommand
from bot.domain.timers import TimerKind, timer_id
from bot.services import posts
from bot.services.unit import unit_of_work
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Checklist, Pack
from storage import checklists, repo, timers
from storage.db import Database
from storage.models import ChecklistRun, ChecklistTick, Event, Incident


async def plan_checklists(*, db: Database, pack: Pack, clock: Clock, settings: Settings) -> None:
    """Arm each scheduled checklist's timer unless it is armed already (e.g. by a replica)."""
    now = clock()
    async with db.transaction() as session:
        for checklist in pack.checklists:
            due = next_checklist_run(checklist, now, settings.tz)
            if due is None:
                continue
            await timers.arm_if_idle(
                session=session,
                timer=timer_id("global", TimerKind.CHECKLIST, checklist.id),
                kind=TimerKind.CHECKLIST,
                key=checklist.id,
                due=due,
            )


async def post_checklist(
    checklist: Checklist,
    *,
    channel: str,
    incident: Incident | None = None,
    db: Database,
    slack: SlackGateway,
    clock: Clock,
) -> str:
    """Record a run, then post it with a checkbox per item; returns the run ID."""
    run = ChecklistRun(
        id=secrets.token_hex(8),
        checklist_id=checklist.id,
        incident_id=incident.id if incident else None,
        posted_at=clock(),
    )
    async with db.transaction() as session:
        checklists.add_run(session=session, run=run)
    posted_in, ts = await posts.post_once(
        slack.client,
        channel=channel,
        incident_id=incident.id if incident else "",
        kind=f"checklist:{run.id}",
        text=checklist.title,
        blocks=checklist_blocks(
            run_id=run.id, title=checklist.title, items=checklist.items, ticks={}
        ),
    )
    async with db.transaction() as session:
        await checklists.save_run_ts(session=session, run=run.id, channel=posted_in, ts=ts)
    return run.id


async def post_on_resolve(
    incident: Incident, *, db: Database, slack: SlackGateway, pack: Pack, clock: Clock
) -> None:
    """Post the pack's on-resolve checklists in the channel, and its on-monitoring ones
    (e.g. recovery validation) if the incident never was in monitoring."""
    await _post_for(
        incident, ("on_resolve", "on_monitoring"), db=db, slack=slack, pack=pack, clock=clock
    )


async def post_on_monitoring(
    incident: Incident, *, db: Database, slack: SlackGateway, pack: Pack, clock: Clock
) -> None:
    """Post the pack's on-monitoring checklists (e.g. recovery validation) in the channel,
    once per incident: while the fix is watched, not after every clock has stopped."""
    await _post_for(incident, ("on_monitoring",), db=db, slack=slack, pack=pack, clock=clock)


async def _post_for(
    incident: Incident,
    kinds: tuple[str, ...],
    *,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
) -> None:
    if not incident.channel_id:
        return
    async with db.reader() as session:
        posted = await checklists.posted_for(session=session, incident=incident.id)
    for checklist in pack.checklists:
        kind = checklist.schedule.kind
        if kind in kinds and not (kind == "on_monitoring" and checklist.id in posted):
            await post_checklist(
                checklist,
                channel=incident.channel_id,
                incident=incident,
                db=db,
                slack=slack,
                clock=clock,
            )


async def tick(
    *,
    run_id: str,
    group: int,
    selected: Collection[int],
    actor: str,
    channel_id: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
) -> None:
    """Record what this click ticked or unticked in one group, then re-render the run.

    The click must come from the message that shows the run: checkboxes naming another
    channel's run change nothing.
    """
    async with unit_of_work(db) as session:
        run = await checklists.get_run(session=session, run=run_id)
        if run is None or run.channel_id != channel_id:
            raise BadCommand("Those checkboxes belong to another checklist; nothing was ticked.")
        checklist = pack.checklist(run.checklist_id)
        if checklist is None:
            return
        before = await checklists.ticked(session=session, run=run_id)
        rows, events = _changed_ticks(
            run, checklist, group=group, selected=selected, before=before, actor=actor, now=clock()
        )
        checklists.add_ticks(session=session, ticks=rows, events=events)
        state = await checklists.ticked(session=session, run=run_id)
    if run.channel_id and run.ts:
        await slack.client.chat_update(
            channel=run.channel_id,
            ts=run.ts,
            text=checklist.title,
            blocks=checklist_blocks(
                run_id=run_id, title=checklist.title, items=checklist.items, ticks=state
            ),
        )


def _changed_ticks(
    run: ChecklistRun,
    checklist: Checklist,
    *,
    group: int,
    selected: Collection[int],
    before: Collection[int],
    actor: str,
    now: datetime,
) -> tuple[list[ChecklistTick], list[Event]]:
    """The ticks, and their timeline events, of the items in this group the click changed."""
    group_items = range(group * PER_GROUP, min((group + 1) * PER_GROUP, len(checklist.items)))
    rows, events = [], []
    for item in group_items:
        checked = item in selected
        if checked == (item in before):
            continue
        rows.append(ChecklistTick(run_id=run.id, item=item, user_id=actor, checked=checked, at=now))
        if run.incident_id:
            events.append(
                repo.new_event(
                    incident=run.incident_id,
                    at=now,
                    actor=actor,
                    kind="checklist_ticked" if checked else "checklist_unticked",
                    text=f"{checklist.title}: {checklist.items[item]}",
                    checklist=checklist.id,
                    item=item,
                )
            )
    return rows, events
