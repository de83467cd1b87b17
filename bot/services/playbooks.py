"""Running a playbook: attach it (or suggest one), post each phase, and redraw a phase."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk.errors import SlackApiError

from bot.blocks.choices import playbook_suggestion_blocks
from bot.blocks.lines import PRIVATE_NOW
from bot.blocks.steps import PhaseView, StepLine, phase_blocks, phase_text
from bot.clock import Clock
from bot.domain import incident as rules
from bot.domain.errors import BadCommand, InvalidTransition
from bot.domain.text import plain
from bot.domain.timers import human
from bot.replica import Replica
from bot.services import leasing, outbox, posts, timers
from bot.services.unit import unit_of_work
from bot.slack_gateway import SlackGateway
from playbooks.business_calendar import BusinessCalendar
from playbooks.model import Pack, Playbook, Step
from storage import repo, steps
from storage.db import Database
from storage.models import Incident, OutboxPost, PhasePost, StepState

log = logging.getLogger(__name__)


PHASE_LEASE = timedelta(seconds=60)


def find_playbook(playbook_id: str, *, pack: Pack) -> Playbook:
    """The pack's playbook with this ID, or an error listing the valid IDs."""
    found = pack.playbook(playbook_id.strip())
    if found is None:
        valid = ", ".join(f"`{p.id}`" for p in pack.playbooks) or "none"
        raise BadCommand(
            f"`{playbook_id}` is not a playbook in the {pack.id} pack. Valid playbooks: {valid}."
        )
    return found


async def attach_playbook(
    incident: Incident,
    *,
    actor: str,
    playbook_id: str,
    resuming: bool = False,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    replica: Replica,
    calendar: BusinessCalendar,
) -> None:
    """Record the playbook's steps as open, then post one message per phase.

    Phase deadlines in business days or hours are counted on `calendar`. Attaching a
    playbook that is already running posts any phase message still missing (a crash may
    have stopped the posting) and then says it is running.
    """
    playbook = find_playbook(playbook_id, pack=pack)
    rules.check_open(rules.Status(incident.status), "attach a playbook")
    attached, owed = await _record_attachment(
        incident, playbook, actor=actor, db=db, clock=clock, calendar=calendar
    )
    if owed:  # it became private: said in the channel
        await outbox.deliver(owed, db=db, slack=slack, replica=replica)
    await post_phases(
        incident,
        look_first=resuming or not attached,
        db=db,
        slack=slack,
        pack=pack,
        clock=clock,
        replica=replica,
    )
    if not attached:
        raise InvalidTransition(f"The {playbook.title} playbook is already running here.")


async def _record_attachment(
    incident: Incident,
    playbook: Playbook,
    *,
    actor: str,
    db: Database,
    clock: Clock,
    calendar: BusinessCalendar,
) -> tuple[bool, list[OutboxPost]]:
    """Record the playbook's steps as open, with its event and phase deadlines, in one unit
    of work; False when it is already attached. A private playbook makes the incident
    private (the posts that say so are returned, owed)."""
    owed: list[OutboxPost] = []
    phases = [
        (len(p.steps), p.within.add_to(incident.declared_at, calendar) if p.within else None)
        for p in playbook.phases
    ]
    event = repo.new_event(
        incident=incident.id,
        at=clock(),
        actor=actor,
        kind="playbook_attached",
        text=playbook.title,
        playbook=playbook.id,
    )
    async with unit_of_work(db) as session:
        attached = await steps.attach_steps(
            session=session,
            incident=incident.id,
            playbook=playbook.id,
            phases=phases,
            event=event,
        )
        if attached:
            await timers.arm_phase_deadlines(
                session, incident, playbook.id, [due for _, due in phases]
            )
            await timers.arm_step_deadlines(
                session, incident, playbook, incident.declared_at, calendar
            )
            if not incident.playbook_id:
                await repo.save_setup(session=session, incident=incident, playbook_id=playbook.id)
            if playbook.private and not incident.private:  # e.g. a security breach
                await repo.save_setup(session=session, incident=incident, private=True)
                owed.append(outbox.owe(session, incident, PRIVATE_NOW, clock=clock))
    return attached, owed


async def suggest_playbook(
    incident: Incident, *, resuming: bool = False, slack: SlackGateway, pack: Pack
) -> None:
    """Offer the playbook whose keywords match the title, with a button to run it."""
    suggested = pack.suggest_playbook(incident.title)
    if suggested is not None and incident.channel_id:
        await posts.post_once(
            slack.client,
            channel=incident.channel_id,
            incident_id=incident.id,
            kind="playbook-suggestion",
            text=f"Suggested playbook: {plain(suggested.title)}",
            blocks=playbook_suggestion_blocks(
                suggested.id, suggested.title, suggested.signals, suggested.description
            ),
            look_first=resuming,
            since=incident.declared_at.timestamp() - 60,
        )


async def post_phases(
    incident: Incident,
    *,
    look_first: bool = False,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    replica: Replica,
) -> None:
    """Post every phase message not posted yet (resumable), in order.

    One process posts an incident's phases at a time (a lease), so two playbooks attached
    at once, or a resumed setup and a click, never post the same phase twice; the holder
    looks again after it is done, for phases attached meanwhile.
    """
    if not incident.channel_id:
        return
    while True:
        async with leasing.held(
            f"phases:{incident.id}", PHASE_LEASE, db=db, clock=clock, replica=replica
        ) as ours:
            if not ours:
                return  # another process is posting them, and looks again when done
            async with db.reader() as session:
                missing = [
                    p
                    for p in await steps.phase_posts(session=session, incident=incident.id)
                    if not p.ts
                ]
            for post in missing:
                await _post_phase(
                    incident, post, look_first=look_first, db=db, slack=slack, pack=pack
                )
        if not missing:
            return
        look_first = False


async def _post_phase(
    incident: Incident,
    post: PhasePost,
    *,
    look_first: bool,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
) -> None:
    view = await phase_view(incident, post, db=db, pack=pack)
    _, ts = await posts.post_once(
        slack.client,
        channel=incident.channel_id or "",
        incident_id=incident.id,
        kind=f"phase:{post.playbook_id}:{post.phase}",
        text=phase_text(view),
        blocks=phase_blocks(view),
        look_first=look_first,
        since=incident.declared_at.timestamp() - 60,
    )
    async with db.transaction() as session:
        await steps.save_phase_ts(
            session=session,
            incident=incident.id,
            playbook=post.playbook_id,
            phase=post.phase,
            ts=ts,
        )


async def phase_view(incident: Incident, post: PhasePost, *, db: Database, pack: Pack) -> PhaseView:
    """Build the phase's view from the pack and the current step states."""
    playbook = find_playbook(post.playbook_id, pack=pack)
    phase = playbook.phases[post.phase]
    async with db.reader() as session:
        states = await steps.step_states(
            session=session, incident=incident.id, playbook=playbook.id
        )
        holders = await repo.role_holders(session=session, incident=incident.id)
    holders = {**holders, "commander": [incident.commander_id]}
    lines = [
        _step_line(
            incident,
            playbook,
            step,
            index,
            states.get((post.phase, index))
            or StepState(
                incident_id=incident.id, playbook_id=playbook.id, phase=post.phase, step=index
            ),
            holders=holders,
            pack=pack,
        )
        for index, step in enumerate(phase.steps)
    ]
    return PhaseView(
        playbook_id=playbook.id,
        playbook_title=playbook.title,
        phase=post.phase,
        phase_count=len(playbook.phases),
        name=phase.name,
        steps=tuple(lines),
        due_at=post.due_at,
        within=str(phase.within) if phase.within else None,
        rules=phase.rules,
        after=playbook.phases[post.phase - 1].name if playbook.ordered and post.phase else None,
    )


def _step_line(
    incident: Incident,
    playbook: Playbook,
    step: Step,
    index: int,
    state: StepState,
    *,
    holders: dict[str, list[str]],
    pack: Pack,
) -> StepLine:
    """One step as its phase message shows it."""
    role = pack.role(step.role) if step.role else None
    audience = pack.comms.audience(step.audience) if step.audience else None
    elapsed = step.within is not None and not step.within.is_business
    watched = step.monitor is not None and not step.monitor.is_business
    return StepLine(
        index=index,
        text=step.text,
        kind=step.kind,
        role_name=role.name if role else None,
        role_holders=tuple(holders.get(role.id, ())) if role else (),
        audience=audience.name if audience else None,
        status=state.status,
        actor=state.actor,
        at=state.at,
        assignee=state.assignee,
        note=state.note,
        # Shown when it is elapsed time; a business-calendar one still has its nudge.
        due_at=step.within.add_to(incident.declared_at) if step.within and elapsed else None,
        after=tuple(
            playbook.phases[p].steps[s].text
            for p, s in (playbook.step_ids[name] for name in step.after)
        ),
        monitor=human(step.monitor.as_timedelta()) if step.monitor and watched else None,
    )


async def refresh_phase(
    incident: Incident,
    playbook_id: str,
    phase: int,
    *,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    replica: Replica,
) -> None:
    """Re-render one phase message from the database (never from the click that caused it)."""
    async with replica.display_locks[incident.id]:
        async with db.reader() as session:
            posts = await steps.phase_posts(session=session, incident=incident.id)
        post = next((p for p in posts if p.playbook_id == playbook_id and p.phase == phase), None)
        if post is None or not post.ts or not incident.channel_id:
            return
        view = await phase_view(incident, post, db=db, pack=pack)
        try:
            await slack.client.chat_update(
                channel=incident.channel_id,
                ts=post.ts,
                text=phase_text(view),
                blocks=phase_blocks(view),
            )
        except SlackApiError as error:
            log.warning(
                "could not refresh phase %s/%s: %s", playbook_id, phase, error.response.get("error")
            )
