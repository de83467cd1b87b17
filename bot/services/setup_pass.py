"""One pass of channel setup, under this process's setup lease: it carries out the pure
plan of `bot.domain.setup` (the independent steps together, then the pin, the playbook and
the commander's briefing) and saves what it did in one write."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.blocks.card import (
    announcement_blocks,
    announcement_text,
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
ANNOUNCE_REFUSED = frozenset({"channel_not_found", "not_in_channel", "is_archived"})


@dataclass
class SetupPass:
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
        return await people.brief_commander(
            self.incident, user=self.incident.commander_id, pack=self.pack, slack=self.slack
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
                    calendar=self.settings.calendar,
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
                response = await self.slack.client.conversations_create(
                    name=name, is_private=incident.private
                )
                return response["channel"]["id"], response["channel"]["name"], False
            except SlackApiError as error:
                code = error.response.get("error", "")
                if code == "name_taken":
                    own = await channels.channel_named(
                        name, created_by_bot=True, slack=self.slack, private=incident.private
                    )
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
                text=announcement_text(view),
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
