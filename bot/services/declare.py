"""Declaring an incident, and the resumable Slack setup of its channel."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.blocks.card import (
    announcement_blocks,
    incident_card_blocks,
    incident_card_text,
    topic_text,
)
from bot.blocks.view import IncidentView
from bot.clock import Clock
from bot.domain.errors import BadCommand, DomainError
from bot.domain.naming import channel_name, incident_id, with_suffix
from bot.domain.text import clip, unescape
from bot.replica import Replica
from bot.services import channels, playbooks, posts, timers
from bot.services.unit import unit_of_work
from bot.services.views import incident_view
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from storage import repo
from storage.db import Database
from storage.models import Incident, IncidentBase

log = logging.getLogger(__name__)
TITLE_LIMIT = 500
DESCRIPTION_LIMIT = 3000
NAME_ATTEMPTS = 20
SETUP_STEPS = frozenset({"invited", "topic", "card", "announced", "pinned", "playbook"})
SETUP_LEASE = timedelta(seconds=10)  # renewed while setup runs (see bot.server)
ANNOUNCE_REFUSED = frozenset({"channel_not_found", "not_in_channel", "is_archived"})


def playbook_plan(playbook_id: str | None, *, suggest: bool) -> str:
    """What setup does about a playbook: attach one, offer the best match, or nothing."""
    if playbook_id:
        return f"attach:{playbook_id}"
    return "suggest" if suggest else ""


async def declare_incident(
    *,
    title: str,
    severity: str,
    declarer: str,
    commander: str | None = None,
    description: str = "",
    plan: str = "",
    db: Database,
    pack: Pack,
    clock: Clock,
    replica: Replica,
) -> Incident:
    """Record a new incident with its clocks (one commit); Slack setup is a separate step."""
    found = pack.severity(severity)
    if found is None:
        valid = ", ".join(s.id for s in pack.severities)
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
        pack_id=pack.id,
    )
    now = clock()
    async with unit_of_work(db) as session:
        incident = await repo.create_incident(
            session=session,
            fields=fields,
            day=now.date(),
            now=now,
            id_for=incident_id,
            playbook_plan=plan,
            # The declaring process sets the channel up next: it holds the lease from now.
            setup_owner=replica.id,
            setup_lease_until=now + SETUP_LEASE,
        )
        await timers.plan_open_incident(session, pack, incident, now, fresh=True)
    return incident


async def set_up_incident(
    incident_id: str,
    *,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> Incident:
    """Create and fill the incident channel. Safe to run again: it resumes where it stopped.

    The channel ID is saved the moment Slack answers, so commands work in the channel at
    once. Work that a crashed earlier pass may have done (card, announcement) is looked
    for before it is done again.
    """
    async with replica.setup_locks[incident_id]:
        incident, holders = await _load(incident_id, db=db)
        if incident.setup_state == "ready":
            return incident
        if not _lease_is_ours(incident, clock=clock, replica=replica):
            if not await _lease_setup(incident_id, db=db, clock=clock, replica=replica):
                return incident  # another replica is setting it up right now
            incident, holders = await _load(incident_id, db=db)
        replica.setting_up.add(incident_id)
        try:
            return await _set_up(
                incident,
                holders,
                db=db,
                slack=slack,
                pack=pack,
                clock=clock,
                settings=settings,
                replica=replica,
            )
        except BaseException:
            with contextlib.suppress(Exception):  # let the next pass (anywhere) try at once
                async with db.transaction() as session:
                    await repo.release_setup(
                        session=session, incident=incident_id, owner=replica.id
                    )
            raise
        finally:
            replica.setting_up.discard(incident_id)


async def _set_up(
    incident: Incident,
    holders: dict[str, list[str]],
    *,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> Incident:
    """One pass of setup, under this process's lease."""
    resuming = bool(incident.channel_id)
    if not incident.channel_id:
        channel_id, name, adopted = await _create_channel(incident, slack=slack)
        await _save(
            incident, channel_id=channel_id, channel_name=name, setup_state="channel", db=db
        )
        resuming = adopted
    done = set(filter(None, incident.setup_done.split(",")))
    view = incident_view(incident, holders, pack)
    since = incident.declared_at.timestamp() - 60
    steps: dict[str, Any] = {}
    if "invited" not in done:
        steps["invited"] = channels.invite_members(
            incident.channel_id or "", {incident.declared_by, incident.commander_id}, slack=slack
        )
    if "topic" not in done:
        steps["topic"] = slack.client.conversations_setTopic(
            channel=incident.channel_id, topic=topic_text(view)
        )
    if not incident.card_ts:
        steps["card"] = posts.post_once(
            slack.client,
            channel=incident.channel_id or "",
            incident_id=incident.id,
            kind="card",
            text=incident_card_text(view),
            blocks=incident_card_blocks(view),
            look_first=resuming,
            since=since,
        )
    if "announced" not in done:
        steps["announced"] = _announce(
            view, look_first=resuming, since=since, slack=slack, settings=settings
        )
    results = await asyncio.gather(*steps.values(), return_exceptions=True)
    updates: dict[str, Any] = {}
    for step, result in zip(steps, results, strict=True):
        if isinstance(result, BaseException):
            log.warning("setup of %s: %s failed: %r", incident.id, step, result)
            continue
        done.add(step)
        if step == "card":
            updates["card_ts"] = result[1]
        elif step == "announced" and result is not None:
            updates["announcement_channel"], updates["announcement_ts"] = result
    for name, value in updates.items():
        setattr(incident, name, value)  # saved below with the rest of this pass
    if incident.card_ts:
        done.add("card")
    if incident.card_ts and "pinned" not in done and await _pin(incident, slack=slack):
        done.add("pinned")
    if "playbook" not in done and {"card", "pinned"} <= done:
        if await _carry_out_playbook_plan(
            incident, resuming=resuming, db=db, slack=slack, pack=pack, clock=clock, replica=replica
        ):
            done.add("playbook")
    complete = SETUP_STEPS <= done
    # One write for the pass. (A crash before it loses no post: the next pass finds the
    # card and the announcement by their metadata.)
    await _save(
        incident,
        **updates,
        setup_done=",".join(sorted(done)),
        setup_state="ready" if complete else "channel",
        setup_owner=None,
        setup_lease_until=None,
        db=db,
    )
    if complete:
        log.info("incident %s is ready in #%s", incident.id, incident.channel_name)
    return incident


async def set_up_or_explain(
    incident_id: str,
    *,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> tuple[Incident | None, str]:
    """Set the channel up now; on failure, why (in words), since the incident is already
    declared and setup is retried in the background until it succeeds."""
    try:
        return await set_up_incident(
            incident_id,
            db=db,
            slack=slack,
            pack=pack,
            clock=clock,
            settings=settings,
            replica=replica,
        ), ""
    except Exception as error:  # noqa: BLE001 - retried by housekeeping; the caller tells
        log.warning("setup of %s failed for now: %r", incident_id, error)
        if isinstance(error, SlackApiError):
            return None, f"Slack answered {error.response.get('error', 'an error')}"
        return None, f"{type(error).__name__}"


def setup_delayed_text(incident_id: str, reason: str) -> str:
    """What a declarer hears when the incident is recorded but its channel is not ready."""
    return (
        f":warning: *{incident_id}* is declared, but its channel is not ready yet ({reason}). "
        "I keep trying in the background; it appears as soon as it can."
    )


async def finish_pending_setups(
    *,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
) -> int:
    """Resume every incident whose setup did not finish; returns how many are now ready."""
    async with db.reader() as session:
        pending = await repo.list_unfinished_setup(session=session)
    ready = 0
    for incident in pending:
        try:
            finished = await set_up_incident(
                incident.id,
                db=db,
                slack=slack,
                pack=pack,
                clock=clock,
                settings=settings,
                replica=replica,
            )
            ready += finished.setup_state == "ready"
        except Exception as error:  # noqa: BLE001 - Slack may still be down; try again later
            log.warning("setup of %s still pending: %r", incident.id, error)
    return ready


async def renew_setup_leases(*, db: Database, clock: Clock, replica: Replica) -> None:
    """Keep the setups this process is running from being taken over by another replica."""
    if replica.setting_up:
        async with db.transaction() as session:
            await repo.renew_setups(
                session=session,
                incidents=sorted(replica.setting_up),
                owner=replica.id,
                until=clock() + SETUP_LEASE,
            )


def _lease_is_ours(incident: Incident, *, clock: Clock, replica: Replica) -> bool:
    """This process holds the setup lease (taken with the declaration), and it still runs."""
    until = incident.setup_lease_until
    return incident.setup_owner == replica.id and until is not None and until > clock()


async def _lease_setup(incident_id: str, *, db: Database, clock: Clock, replica: Replica) -> bool:
    now = clock()
    async with db.transaction() as session:
        return await repo.take_setup(
            session=session,
            incident=incident_id,
            owner=replica.id,
            now=now,
            until=now + SETUP_LEASE,
        )


async def _load(incident_id: str, *, db: Database) -> tuple[Incident, dict[str, list[str]]]:
    async with db.reader() as session:
        incident = await repo.get_incident(session=session, incident=incident_id)
        holders = await repo.role_holders(session=session, incident=incident_id)
    if incident is None:
        raise LookupError(incident_id)
    return incident, holders


async def _save(incident: Incident, *, db: Database, **values: Any) -> None:
    async with db.transaction() as session:
        await repo.save_setup(session=session, incident=incident, **values)


async def _pin(incident: Incident, *, slack: SlackGateway) -> bool:
    try:
        await slack.client.pins_add(channel=incident.channel_id, timestamp=incident.card_ts)
    except SlackApiError as error:
        if error.response.get("error") == "already_pinned":
            return True
        log.warning("setup of %s: pin failed: %s", incident.id, error)  # the next pass pins it
        return False
    except Exception as error:  # noqa: BLE001 - Slack unreachable: same as above
        log.warning("setup of %s: pin failed: %r", incident.id, error)
        return False
    return True


async def _carry_out_playbook_plan(
    incident: Incident,
    *,
    resuming: bool,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    replica: Replica,
) -> bool:
    """Attach the playbook chosen at declaration, or offer the best match; True when done."""
    plan = incident.playbook_plan
    try:
        if plan.startswith("attach:"):
            await playbooks.attach_playbook(
                incident,
                actor=incident.declared_by,
                playbook_id=plan.removeprefix("attach:"),
                resuming=resuming,
                db=db,
                slack=slack,
                pack=pack,
                clock=clock,
                replica=replica,
            )
        elif plan == "suggest":
            await playbooks.suggest_playbook(incident, resuming=resuming, slack=slack, pack=pack)
    except DomainError as error:  # e.g. attached already by a click, or gone from the pack
        log.info("setup of %s: playbook plan %r: %s", incident.id, plan, error)
    except Exception as error:  # noqa: BLE001 - Slack trouble: the next pass tries again
        log.warning("setup of %s: playbook failed: %r", incident.id, error)
        return False
    return True


async def _create_channel(incident: Incident, *, slack: SlackGateway) -> tuple[str, str, bool]:
    """conversations.create with the incident's name, adding suffixes on `name_taken`.

    A taken name may be our own channel: the bot died after Slack created it but before its
    ID was saved, or Slack's reply was lost. The bot then adopts it rather than making a
    second channel. (Names carry the incident's day and number, so a channel the bot created
    with this name is this incident's.)
    """
    day = incident.declared_at.date()
    base = channel_name(day, incident.seq, incident.title)
    for attempt in range(1, NAME_ATTEMPTS + 2):
        name = with_suffix(base, attempt)
        if attempt > NAME_ATTEMPTS:
            name = with_suffix(base[:60], int(secrets.token_hex(3), 16))
        try:
            response = await slack.client.conversations_create(name=name, is_private=False)
            return response["channel"]["id"], response["channel"]["name"], False
        except SlackApiError as error:
            code = error.response.get("error", "")
            if code == "name_taken":
                own = await channels.channel_named(name, created_by_bot=True, slack=slack)
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


async def _announce(
    view: IncidentView, *, look_first: bool, since: float, slack: SlackGateway, settings: Settings
) -> tuple[str, str] | None:
    """Post the announcement once; a channel the bot cannot post in is reported, not fatal."""
    target = await channels.announcement_channel(slack=slack, settings=settings)
    try:
        return await posts.post_once(
            slack.client,
            channel=target,
            incident_id=view.id,
            kind="announcement",
            text=incident_card_text(view),
            blocks=announcement_blocks(view),
            unfurl_links=False,
            look_first=look_first,
            since=since,
        )
    except SlackApiError as error:
        code = error.response.get("error", "")
        if code not in ANNOUNCE_REFUSED:
            raise
        log.error("cannot announce in %r: %s (check INCIDENTS_CHANNEL)", target, code)
        await posts.post_once(
            slack.client,
            channel=view.channel_id or "",
            incident_id=view.id,
            kind="announce-failed",
            text=f":warning: Could not announce this incident in `{target}` ({code}). "
            "Check the INCIDENTS_CHANNEL setting and that the bot can post there.",
            look_first=look_first,
            since=since,
        )
        return None
