"""Declaring an incident, and the resumable Slack setup of its channel."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks.card import (
    announcement_blocks,
    incident_card_blocks,
    incident_card_text,
    topic_text,
)
from bot.domain.errors import BadCommand
from bot.domain.naming import channel_name, with_suffix
from bot.domain.text import clip, unescape
from bot.runtime import Runtime
from bot.services import channels, timers
from bot.services.views import incident_view
from storage import repo
from storage.models import Incident, IncidentBase

log = logging.getLogger(__name__)
TITLE_LIMIT = 500
DESCRIPTION_LIMIT = 3000
NAME_ATTEMPTS = 20
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
SETUP_STEPS = frozenset({"invited", "topic", "card", "announced", "pinned"})


async def declare_incident(
    rt: Runtime,
    *,
    title: str,
    severity: str,
    declarer: str,
    commander: str | None = None,
    description: str = "",
) -> Incident:
    """Record a new incident (committed) and return it; Slack setup is a separate step."""
    found = rt.pack.severity(severity)
    if found is None:
        valid = ", ".join(s.id for s in rt.pack.severities)
        raise BadCommand(f"`{severity}` is not a severity. Use one of: {valid}.")
    title = clip(" ".join(unescape(title).split()), TITLE_LIMIT)
    if not title:
        raise BadCommand("The incident needs a title.")
    fields = IncidentBase(
        title=title,
        description=clip(unescape(description).strip(), DESCRIPTION_LIMIT),
        severity=found.id,
        commander_id=commander or declarer,
        declared_by=declarer,
        pack_id=rt.pack.id,
    )
    now = rt.clock()

    async def plan(session: AsyncSession, incident: Incident) -> None:
        await timers.plan_open_incident(session, rt.pack, incident, now, fresh=True)

    async with rt.db.session() as session:
        return await repo.create_incident(
            session=session, fields=fields, day=now.date(), now=now, then=plan
        )


async def set_up_incident(rt: Runtime, incident_id: str) -> Incident:
    """Create and fill the incident channel. Safe to run again: it resumes where it stopped."""
    async with rt.setup_locks[incident_id]:
        async with rt.db.reader() as session:
            incident = await repo.get_incident(session=session, incident=incident_id)
            holders = await repo.role_holders(session=session, incident=incident_id)
        if incident is None:
            raise LookupError(incident_id)
        if incident.setup_state == "ready":
            return incident
        updates: dict[str, Any] = {}
        resuming = bool(incident.channel_id)
        if not incident.channel_id:
            # Saved with the other results below: if the bot dies before that, the retry
            # finds the channel by name (name_taken) and adopts it, so no second channel.
            channel_id, name, adopted = await _create_channel(rt, incident)
            incident.channel_id, incident.channel_name = channel_id, name
            updates.update(channel_id=channel_id, channel_name=name)
            resuming = adopted
        if resuming and not incident.card_ts:
            # A card posted just before a crash is found again rather than posted twice.
            found = await channels.own_message(rt, incident.channel_id, incident.id)
            if found:
                incident.card_ts = found
                updates["card_ts"] = found
        done = set(filter(None, incident.setup_done.split(",")))
        view = incident_view(incident, holders, rt.pack)
        steps: dict[str, Any] = {}
        if "invited" not in done:
            steps["invited"] = channels.invite_members(
                rt, incident.channel_id or "", {incident.declared_by, incident.commander_id}
            )
        if "topic" not in done:
            steps["topic"] = rt.client.conversations_setTopic(
                channel=incident.channel_id, topic=topic_text(view)
            )
        if not incident.card_ts:
            steps["card"] = rt.client.chat_postMessage(
                channel=incident.channel_id,
                text=incident_card_text(view),
                blocks=incident_card_blocks(view),
            )
        if "announced" not in done:
            steps["announced"] = _announce(rt, view, resuming=resuming)
        results = dict(
            zip(steps, await asyncio.gather(*steps.values(), return_exceptions=True), strict=True)
        )
        for step, result in results.items():
            if isinstance(result, BaseException):
                log.warning("setup of %s: %s failed: %r", incident_id, step, result)
                continue
            done.add(step)
            if step == "card":
                updates["card_ts"] = result["ts"]
            elif step == "announced" and result is not None:
                updates["announcement_channel"], updates["announcement_ts"] = result
        card_ts = updates.get("card_ts") or incident.card_ts
        if card_ts:
            done.add("card")
        if card_ts and "pinned" not in done:
            try:
                await rt.client.pins_add(channel=incident.channel_id, timestamp=card_ts)
                done.add("pinned")
            except SlackApiError as error:
                if error.response.get("error") == "already_pinned":
                    done.add("pinned")
                else:  # keep what did work; the next pass pins it
                    log.warning("setup of %s: pin failed: %s", incident_id, error)
            except Exception as error:  # noqa: BLE001 - Slack unreachable: same as above
                log.warning("setup of %s: pin failed: %r", incident_id, error)
        complete = SETUP_STEPS <= done
        await _save(
            rt,
            incident,
            setup_done=",".join(sorted(done)),
            setup_state="ready" if complete else "channel",
            **updates,
        )
        if complete:
            log.info("incident %s is ready in #%s", incident_id, incident.channel_name)
        return incident


async def finish_pending_setups(rt: Runtime) -> int:
    """Resume every incident whose setup did not finish; returns how many are now ready."""
    async with rt.db.session() as session:
        pending = await repo.list_unfinished_setup(session=session)
    ready = 0
    for incident in pending:
        try:
            finished = await set_up_incident(rt, incident.id)
            ready += finished.setup_state == "ready"
        except Exception as error:  # noqa: BLE001 - Slack may still be down; try again later
            log.warning("setup of %s still pending: %r", incident.id, error)
    return ready


async def _save(rt: Runtime, incident: Incident, **values: Any) -> None:
    async with rt.db.session() as session:
        await repo.save_setup(session=session, incident=incident, **values)


async def _create_channel(rt: Runtime, incident: Incident) -> tuple[str, str, bool]:
    """conversations.create with the incident's name, adding suffixes on `name_taken`.

    A taken name may be our own channel: the bot died after Slack created it but before its
    ID was saved. The bot then adopts it rather than making a second channel. (Names carry
    the incident's day and number, so a channel the bot created with this name is this
    incident's.)
    """
    day = incident.declared_at.date()
    base = channel_name(day, incident.seq, incident.title)
    for attempt in range(1, NAME_ATTEMPTS + 2):
        name = with_suffix(base, attempt)
        if attempt > NAME_ATTEMPTS:
            name = with_suffix(base[:60], int(secrets.token_hex(3), 16))
        try:
            response = await rt.client.conversations_create(name=name, is_private=False)
            return response["channel"]["id"], response["channel"]["name"], False
        except SlackApiError as error:
            code = error.response.get("error", "")
            if code == "name_taken":
                own = await channels.channel_named(rt, name, created_by_bot=True)
                if own is not None:
                    return own, name, True
                continue
            if code.startswith("invalid_name") and base != _plain_name(incident):
                base = _plain_name(incident)
                continue
            raise
    raise RuntimeError(f"no free channel name for {incident.id}")


def _plain_name(incident: Incident) -> str:
    return channel_name(incident.declared_at.date(), incident.seq, "")


async def _announce(rt: Runtime, view: Any, *, resuming: bool) -> tuple[str, str] | None:
    """Post the announcement; a missing announcement channel is reported, not fatal.

    When resuming after a crash, an announcement already posted is found and kept.
    """
    target = rt.settings.incidents_channel.lstrip("#")
    if resuming:
        channel = await _announcement_channel_id(rt, target)
        found = await channels.own_message(rt, channel, view.id) if channel else None
        if channel and found:
            return channel, found
    try:
        response = await rt.client.chat_postMessage(
            channel=target,
            text=incident_card_text(view),
            blocks=announcement_blocks(view),
            unfurl_links=False,
        )
        rt.announcement_channel_id = response["channel"]
        return response["channel"], response["ts"]
    except SlackApiError as error:
        code = error.response.get("error", "")
        if code not in {"channel_not_found", "not_in_channel", "is_archived"}:
            raise
        log.error("cannot announce in %r: %s (check INCIDENTS_CHANNEL)", target, code)
        await rt.client.chat_postMessage(
            channel=view.channel_id,
            text=f":warning: Could not announce this incident in `{target}` ({code}). "
            "Check the INCIDENTS_CHANNEL setting and that the bot can post there.",
        )
        return None


async def _announcement_channel_id(rt: Runtime, target: str) -> str | None:
    """INCIDENTS_CHANNEL as a channel ID: given as one, seen in a post, or looked up by name."""
    if not rt.announcement_channel_id:
        if CHANNEL_ID.match(target):
            rt.announcement_channel_id = target
        else:
            rt.announcement_channel_id = await channels.channel_named(rt, target)
    return rt.announcement_channel_id
