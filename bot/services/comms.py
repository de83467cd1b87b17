"""Customer updates: checked against the pack's words to avoid, held until the author decides."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks.messages import customer_update_blocks, update_text
from bot.clock import Clock
from bot.domain.errors import BadCommand, Conflict
from bot.domain.text import clip, unescape
from bot.domain.timers import TimerKind
from bot.replica import Replica
from bot.services import outbox, stakeholders, statuspage, timers
from bot.services.unit import unit_of_work
from bot.services.views import incident_view
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from playbooks.wording import find_avoided_phrases
from storage import repo, steps
from storage.db import Database
from storage.models import Draft, Event, Incident, OutboxPost

log = logging.getLogger(__name__)
TEXT_LIMIT = 2800


async def submit_customer_update(
    incident: Incident,
    *,
    actor: str,
    text: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    replica: Replica,
    audience: str | None = None,
) -> Draft | None:
    """Post a clean update at once (to one of the pack's audiences, or customers in
    general); hold one with avoided words and return the draft."""
    text = clip(unescape(text).strip(), TEXT_LIMIT)
    found = find_avoided_phrases(text, pack.comms.avoid)
    if not found:
        await _record_and_post(
            incident,
            actor=actor,
            text=text,
            audience=audience,
            db=db,
            slack=slack,
            pack=pack,
            clock=clock,
            replica=replica,
        )
        return None
    draft = Draft(
        id=secrets.token_hex(8),
        incident_id=incident.id,
        author=actor,
        text=text,
        found="\n".join(found),
        audience=audience,
        created_at=clock(),
    )
    async with unit_of_work(db) as session:
        steps.add_draft(session=session, draft=draft)
    return draft


def find_audience(pack: Pack, text: str) -> str:
    """The id of the pack's audience that `--to <audience>` names (id or name, any case),
    or an error listing them."""
    wanted = text.strip().casefold()
    for audience in pack.comms.audiences:
        if wanted in (audience.id.casefold(), audience.name.casefold()):
            return audience.id
    known = ", ".join(f"`{a.id}`" for a in pack.comms.audiences) or "none in this pack"
    raise BadCommand(f"`{text}` is not an audience. Audiences: {known}.")


async def settle_draft(
    incident: Incident,
    *,
    actor: str,
    draft_id: str,
    post: bool,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    replica: Replica,
) -> Draft:
    """Post the held update anyway, or cancel it; a second click changes nothing.

    Only a draft of this channel's incident can be settled here: a button carrying another
    incident's draft ID is refused.
    """
    async with db.reader() as session:
        held = await steps.get_draft(session=session, draft_id=draft_id)
    if held is None or held.incident_id != incident.id:
        raise Conflict(
            f"That customer update is not one of {incident.id}'s drafts; nothing was posted."
        )
    now = clock()
    async with unit_of_work(db) as session:
        draft = await steps.settle_draft(
            session=session,
            draft_id=draft_id,
            incident=incident.id,
            state="posted" if post else "cancelled",
        )
        if draft is None:
            raise Conflict("That customer update was already posted or cancelled.")
        owed = []
        if post:
            owed = await record_customer_update(
                session,
                incident,
                actor=actor,
                text=draft.text,
                now=now,
                overridden=draft.found,
                audience=draft.audience,
                pack=pack,
                clock=clock,
                named_channels=slack.named_channels,
            )
    await deliver_update(owed, db=db, slack=slack, replica=replica)
    return draft


async def deliver_update(
    owed: Sequence[OutboxPost], *, db: Database, slack: SlackGateway, replica: Replica
) -> None:
    """Deliver a customer update's posts: an audience's channel that is gone is logged,
    and does not fail the update (the incident's own channel being gone does)."""
    elsewhere = [post for post in owed if post.incident_id is None]
    own = [post for post in owed if post.incident_id is not None]
    try:
        await outbox.deliver(own, db=db, slack=slack, replica=replica)
    finally:
        for error in await outbox.deliver_groups([elsewhere], db=db, slack=slack, replica=replica):
            log.warning("an audience's channel is gone: %s", error.response.get("error", ""))


def _customer_update(
    incident: Incident,
    *,
    actor: str,
    text: str,
    now: datetime,
    overridden: str,
    audience: str | None = None,
) -> Event:
    """The timeline event of a posted customer update (`overridden`: the avoided words)."""
    return repo.new_event(
        incident=incident.id,
        at=now,
        actor=actor,
        kind="customer_update_posted",
        text=text,
        audience=audience or "customer",
        overridden=overridden.splitlines(),
    )


async def _record_and_post(
    incident: Incident,
    *,
    actor: str,
    text: str,
    audience: str | None,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    replica: Replica,
) -> None:
    async with unit_of_work(db) as session:
        owed = await record_customer_update(
            session,
            incident,
            actor=actor,
            text=text,
            now=clock(),
            overridden="",
            audience=audience,
            pack=pack,
            clock=clock,
            named_channels=slack.named_channels,
        )
    await deliver_update(owed, db=db, slack=slack, replica=replica)


async def record_customer_update(
    session: AsyncSession,
    incident: Incident,
    *,
    actor: str,
    text: str,
    now: datetime,
    overridden: str,
    audience: str | None = None,
    pack: Pack,
    clock: Clock,
    named_channels: Mapping[str, str] | None = None,
) -> list[OutboxPost]:
    """The update's event, its restarted countdown and the posts it owes, in one unit: in
    the channel, and in the Slack channel of each audience it goes to (all, without one;
    `named_channels` are the IDs of those found); owes the Statuspage mirror if asked."""
    named_channels = named_channels or {}
    repo.add_event(
        session=session,
        event=_customer_update(
            incident, actor=actor, text=text, now=now, overridden=overridden, audience=audience
        ),
    )
    await timers.reset_update_timer(session, pack, incident, TimerKind.CUSTOMER_UPDATE, now)
    view = incident_view(incident, {}, pack)
    name = next((a.name for a in pack.comms.audiences if a.id == audience), audience)
    label = f"Customer update ({name})" if name else "Customer update"
    thread = stakeholders.owe_thread_update(
        session, incident, label=label, author=actor, text=text, pack=pack, clock=clock
    )
    blocks = customer_update_blocks(author=actor, text=text, view=view, audience=name)
    owed = [outbox.owe(session, incident, update_text(label, text), blocks, clock=clock)]
    owed += thread
    targets = [a for a in pack.comms.audiences if audience in (None, a.id)]
    for channel in dict.fromkeys(a.slack_channel for a in targets if a.slack_channel):
        where = named_channels.get(channel.lstrip("#"), channel.lstrip("#"))
        text_there = update_text(f"{label} · {incident.id}", text)
        owed.append(outbox.owe_elsewhere(session, where, text_there, blocks, clock=clock))
    if any(a.statuspage for a in targets):
        await statuspage.owe_update(session, incident, text, pack=pack, now=now)
    return owed
