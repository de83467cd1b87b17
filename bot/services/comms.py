"""Customer updates: checked against the pack's words to avoid, held until the author decides."""

from __future__ import annotations

import secrets

from bot.blocks.messages import customer_update_blocks
from bot.domain.errors import Conflict
from bot.domain.text import clip, unescape
from bot.domain.timers import TimerKind
from bot.runtime import Runtime
from bot.services import timers
from bot.services.views import load_view
from playbooks.wording import find_avoided_phrases
from storage import repo, steps
from storage.models import Draft, Incident

TEXT_LIMIT = 2800


async def submit_customer_update(
    rt: Runtime, incident: Incident, *, actor: str, text: str
) -> Draft | None:
    """Post a clean update at once; hold one with avoided words and return the draft."""
    text = clip(unescape(text).strip(), TEXT_LIMIT)
    found = find_avoided_phrases(text, rt.pack.comms.avoid)
    if not found:
        await _record_and_post(rt, incident, actor=actor, text=text, overridden=[])
        return None
    draft = Draft(
        id=secrets.token_hex(8),
        incident_id=incident.id,
        author=actor,
        text=text,
        found="\n".join(found),
        created_at=rt.clock(),
    )
    async with rt.db.session() as session:
        await steps.add_draft(session=session, draft=draft)
    return draft


async def settle_draft(
    rt: Runtime, incident: Incident, *, actor: str, draft_id: str, post: bool
) -> Draft:
    """Post the held update anyway, or cancel it; a second click changes nothing."""
    async with rt.db.session() as session:
        draft = await steps.settle_draft(
            session=session, draft_id=draft_id, state="posted" if post else "cancelled", event=None
        )
    if draft is None:
        raise Conflict("That customer update was already posted or cancelled.")
    if post:
        await _record_and_post(
            rt, incident, actor=actor, text=draft.text, overridden=draft.found.splitlines()
        )
    return draft


async def _record_and_post(
    rt: Runtime, incident: Incident, *, actor: str, text: str, overridden: list[str]
) -> None:
    now = rt.clock()
    async with rt.db.session() as session:
        await repo.add_event(
            session=session,
            then=lambda s: timers.reset_update_timer(
                s, rt.pack, incident, TimerKind.CUSTOMER_UPDATE, now
            ),
            event=repo.new_event(
                incident=incident.id,
                at=now,
                actor=actor,
                kind="customer_update_posted",
                text=text,
                audience="customer",
                overridden=overridden,
            ),
        )
    _, view = await load_view(rt, incident.id)
    if incident.channel_id:
        await rt.client.chat_postMessage(
            channel=incident.channel_id,
            text=clip(f"Customer update: {text}", 300),
            blocks=customer_update_blocks(author=actor, text=text, view=view),
        )
