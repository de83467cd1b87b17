"""Setting up an incident's channel: a small executor for the pure plan in
`bot.domain.setup`, under a lease so that one replica at a time runs it.

Safe to run again: each pass does only what remains. The channel ID is saved the moment
Slack answers, so commands work in the channel at once. Work that a crashed earlier pass
may have done (card, announcement) is looked for before it is done again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass, field
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
from bot.domain import setup
from bot.domain.errors import DomainError
from bot.domain.naming import channel_name, with_suffix
from bot.domain.setup import Step
from bot.replica import Replica
from bot.services import channels, people, playbooks, posts
from bot.services.views import incident_view, severity_notice
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from storage import repo
from storage.db import Database
from storage.models import Incident

log = logging.getLogger(__name__)
NAME_ATTEMPTS = 20
SETUP_LEASE = timedelta(seconds=10)  # renewed while setup runs (see bot.server)
ANNOUNCE_REFUSED = frozenset({"channel_not_found", "not_in_channel", "is_archived"})


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
    """Create and fill the incident channel, or resume where an earlier pass stopped."""
    async with replica.setup_locks[incident_id]:
        incident, holders = await _load(incident_id, db=db)
        if incident.setup_state == "ready":
            return incident
        if not _lease_is_ours(incident, clock=clock, replica=replica):
            if not await _lease_setup(incident_id, db=db, clock=clock, replica=replica):
                return incident  # another replica is setting it up right now
            incident, holders = await _load(incident_id, db=db)
        replica.setting_up.add(incident_id)
        work = _Pass(incident, holders, db, slack, pack, clock, settings, replica)
        try:
            return await work.run()
        except BaseException:
            with contextlib.suppress(Exception):  # let the next pass (anywhere) try at once
                async with db.transaction() as session:
                    await repo.release_setup(
                        session=session, incident=incident_id, owner=replica.id
                    )
            raise
        finally:
            replica.setting_up.discard(incident_id)


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
        ready = await set_up_incident(
            incident_id,
            db=db,
            slack=slack,
            pack=pack,
            clock=clock,
            settings=settings,
            replica=replica,
        )
    except Exception as error:  # noqa: BLE001 - retried by housekeeping; the caller tells
        log.warning("setup of %s failed for now: %r", incident_id, error)
        if isinstance(error, SlackApiError):
            return None, f"Slack answered {error.response.get('error', 'an error')}"
        return None, f"{type(error).__name__}"
    return ready, ""


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


@dataclass
class _Pass:
    """One pass of setup under this process's lease: carries out `setup.plan`."""

    incident: Incident
    holders: dict[str, list[str]]
    db: Database
    slack: SlackGateway
    pack: Pack
    clock: Clock
    settings: Settings
    replica: Replica
    resuming: bool = False
    updates: dict[str, Any] = field(default_factory=dict)

    async def run(self) -> Incident:
        """Open the channel if needed, then do what the plan says remains, then save once."""
        incident = self.incident
        self.resuming = bool(incident.channel_id)
        if not incident.channel_id:
            await self._open_channel()
        done = setup.read_done(incident.setup_done)
        todo = setup.plan(done, has_card=bool(incident.card_ts))
        done |= await self._together(todo.together)
        if incident.card_ts:
            done.add(Step.CARD)
        if todo.pin and setup.can_pin(done) and await self._pin():
            done.add(Step.PINNED)
        if todo.playbook and setup.can_post_playbook(done) and await self._playbook():
            done.add(Step.PLAYBOOK)
        if todo.brief and setup.can_brief(done) and await self._brief():
            done.add(Step.BRIEFED)
        complete = setup.complete(done)
        # One write for the pass. (A crash before it loses no post: the next pass finds
        # the card and the announcement by their metadata.)
        await self._save(
            **self.updates,
            setup_done=setup.write_done(done),
            setup_state="ready" if complete else "channel",
            setup_owner=None,
            setup_lease_until=None,
        )
        if complete:
            log.info("incident %s is ready in #%s", incident.id, incident.channel_name)
        return incident

    async def _open_channel(self) -> None:
        channel_id, name, adopted = await self._create_channel()
        await self._save(channel_id=channel_id, channel_name=name, setup_state="channel")
        self.resuming = adopted

    async def _together(self, steps: tuple[Step, ...]) -> set[Step]:
        """Run the independent steps at once; the ones that succeeded."""
        view = incident_view(self.incident, self.holders, self.pack)
        work = {step: self._start(step, view) for step in steps}
        results = await asyncio.gather(*work.values(), return_exceptions=True)
        done = set()
        for step, result in zip(work, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("setup of %s: %s failed: %r", self.incident.id, step, result)
                continue
            done.add(step)
            if step is Step.CARD:
                self.updates["card_ts"] = result[1]
            elif step is Step.ANNOUNCED and result is not None:
                self.updates["announcement_channel"], self.updates["announcement_ts"] = result
        for name, value in self.updates.items():
            setattr(self.incident, name, value)  # saved with the rest of this pass
        return done

    def _start(self, step: Step, view: IncidentView) -> Awaitable[Any]:
        incident, channel = self.incident, self.incident.channel_id or ""
        since = incident.declared_at.timestamp() - 60
        if step is Step.INVITED:
            people = {incident.declared_by, incident.commander_id}
            return channels.invite_members(channel, people, slack=self.slack)
        if step is Step.TOPIC:
            return self.slack.client.conversations_setTopic(channel=channel, topic=topic_text(view))
        if step is Step.CARD:
            return posts.post_once(
                self.slack.client,
                channel=channel,
                incident_id=incident.id,
                kind="card",
                text=incident_card_text(view),
                blocks=incident_card_blocks(view),
                look_first=self.resuming,
                since=since,
            )
        if step is Step.NOTIFIED:
            return self._notify(since=since)
        return self._announce(view, since=since)

    async def _notify(self, *, since: float) -> None:
        """Tell each channel the pack names for this severity, once."""
        incident = self.incident
        severity = self.pack.severity(incident.severity)
        for name in severity.notify_channels if severity else ():
            target = await channels.channel_to_tell(name, slack=self.slack)
            if target is None:
                continue  # logged: a pack naming a channel that does not exist
            try:
                await self._post_notice(target, since)
            except Exception as error:
                if not channels.is_final(error):
                    raise  # Slack trouble: the next pass tells it
                log.error("cannot tell %s of %s: %r", name, incident.id, error)

    async def _post_notice(self, target: str, since: float) -> None:
        incident = self.incident
        await posts.post_once(
            self.slack.client,
            channel=target,
            incident_id=incident.id,
            kind=f"notify:{incident.severity}",
            text=severity_notice(incident, self.pack),
            look_first=self.resuming,
            since=since,
        )

    async def _brief(self) -> bool:
        """The commander gets the pack's instructions for the role. (Ephemeral: a crash
        between this and the pass's save shows them twice, which does no harm.)"""
        commander = self.incident.commander_id
        role = self.pack.role("commander")
        return await people.brief(
            self.incident, role, user=commander, slack=self.slack, rules=self.pack.rules
        )

    async def _save(self, **values: Any) -> None:
        async with self.db.transaction() as session:
            await repo.save_setup(session=session, incident=self.incident, **values)

    async def _pin(self) -> bool:
        incident = self.incident
        try:
            await self.slack.client.pins_add(
                channel=incident.channel_id or "", timestamp=incident.card_ts or ""
            )
        except SlackApiError as error:
            if error.response.get("error") == "already_pinned":
                return True
            log.warning("setup of %s: pin failed: %s", incident.id, error)  # next pass pins
            return False
        except Exception as error:  # noqa: BLE001 - Slack unreachable: same as above
            log.warning("setup of %s: pin failed: %r", incident.id, error)
            return False
        return True

    async def _playbook(self) -> bool:
        """Attach the playbook chosen at declaration, or offer the best match; True when done."""
        incident, plan = self.incident, self.incident.playbook_plan
        try:
            if plan.startswith("attach:"):
                await playbooks.attach_playbook(
                    incident,
                    actor=incident.declared_by,
                    playbook_id=plan.removeprefix("attach:"),
                    resuming=self.resuming,
                    db=self.db,
                    slack=self.slack,
                    pack=self.pack,
                    clock=self.clock,
                    replica=self.replica,
                )
            elif plan == "suggest":
                await playbooks.suggest_playbook(
                    incident, resuming=self.resuming, slack=self.slack, pack=self.pack
                )
        except DomainError as error:  # e.g. attached already by a click, or gone from the pack
            log.info("setup of %s: playbook plan %r: %s", incident.id, plan, error)
        except Exception as error:  # noqa: BLE001 - Slack trouble: the next pass tries again
            log.warning("setup of %s: playbook failed: %r", incident.id, error)
            return False
        return True

    async def _create_channel(self) -> tuple[str, str, bool]:
        """conversations.create with the incident's name, adding suffixes on `name_taken`.

        A taken name may be our own channel: the bot died after Slack created it but before
        its ID was saved, or Slack's reply was lost. The bot then adopts it rather than
        making a second channel. (Names carry the incident's day and number, so a channel
        the bot created with this name is this incident's.)
        """
        incident = self.incident
        plain = channel_name(incident.declared_at.date(), incident.seq, "")
        base = channel_name(incident.declared_at.date(), incident.seq, incident.title)
        for attempt in range(1, NAME_ATTEMPTS + 2):
            name = with_suffix(base, attempt)
            if attempt > NAME_ATTEMPTS:
                name = with_suffix(base[:60], int(secrets.token_hex(3), 16))
            try:
                response = await self.slack.client.conversations_create(name=name, is_private=False)
                return response["channel"]["id"], response["channel"]["name"], False
            except SlackApiError as error:
                code = error.response.get("error", "")
                if code == "name_taken":
                    own = await channels.channel_named(name, created_by_bot=True, slack=self.slack)
                    if own is not None:
                        return own, name, True
                    continue
                if code.startswith("invalid_name") and base != plain:
                    base = plain
                    continue
                raise
        raise RuntimeError(f"no free channel name for {incident.id}")

    async def _announce(self, view: IncidentView, *, since: float) -> tuple[str, str] | None:
        """Post the announcement once (none at a level the pack does not announce); a
        channel the bot cannot post in is reported."""
        severity = self.pack.severity(self.incident.severity)
        if severity is not None and not severity.announce:
            return None
        target = await channels.announcement_channel(slack=self.slack, settings=self.settings)
        try:
            return await posts.post_once(
                self.slack.client,
                channel=target,
                incident_id=view.id,
                kind="announcement",
                text=incident_card_text(view),
                blocks=announcement_blocks(view),
                unfurl_links=False,
                look_first=self.resuming,
                since=since,
            )
        except SlackApiError as error:
            code = error.response.get("error", "")
            if code not in ANNOUNCE_REFUSED:
                raise
            log.error("cannot announce in %r: %s (check INCIDENTS_CHANNEL)", target, code)
            await posts.post_once(
                self.slack.client,
                channel=view.channel_id or "",
                incident_id=view.id,
                kind="announce-failed",
                text=f":warning: Could not announce this incident in `{target}` ({code}). "
                "Check the INCIDENTS_CHANNEL setting and that the bot can post there.",
                look_first=self.resuming,
                since=since,
            )
            return None
