"""`/incident escalate`: someone confirms a pack's named condition, and the level it reaches
is told, with its duties and its people, like the levels the clocks reach."""

from __future__ import annotations

from dataclasses import replace

from bot.blocks.escalation import escalation_menu
from bot.blocks.format import user
from bot.clock import Clock
from bot.domain import escalation
from bot.domain import incident as rules
from bot.domain.errors import BadCommand
from bot.domain.firings import Context, Escalation, Snapshot, escalation_notice
from bot.pagers import Pagers
from bot.replica import Replica
from bot.services import outbox, paging
from bot.services.reminders import notice_text
from bot.services.unit import unit_of_work
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from playbooks.model import Pack
from storage import repo
from storage.db import Database
from storage.models import Incident


def menu(pack: Pack) -> tuple[str, list[dict[str, object]]]:
    """The conditions of the pack, numbered, each with an Escalate button."""
    return escalation_menu(
        [
            (_key(reached), reached.level.level, reached.level.name, reached.criterion.condition)
            for reached in escalation.conditions(pack)
            if reached.criterion.condition
        ]
    )


def _key(reached: escalation.Reached) -> str:
    return escalation.criterion_key(reached.level.level, reached.index)


def find_condition(pack: Pack, text: str) -> escalation.Reached:
    """The condition `/incident escalate <text>` or a button names, or a clear error."""
    where = escalation.parse_key(text)
    found = escalation.find(pack, *where) if where else escalation.match_condition(pack, text)
    if found is None or not found.criterion.condition:
        listed, _ = menu(pack)
        raise BadCommand(f"No escalation condition matches that.\n{listed}")
    return found


def _confirmed_notice(
    reached: escalation.Reached,
    incident: Incident,
    holders: dict[str, list[str]],
    *,
    actor: str,
    pack: Pack,
    settings: Settings,
) -> Escalation:
    """The level's notice, saying who confirmed the condition."""
    context = Context(
        pack=pack,
        tz=settings.tz,
        contacts=settings.escalation_contacts,
        calendar=settings.calendar,
    )
    notice = escalation_notice(
        reached,
        incident,
        Snapshot(incident=incident, holders=holders),
        context,
        severity=incident.severity,
    )
    return replace(notice, reason=f"{notice.reason} (by {user(actor)})")


async def confirm_condition(
    incident: Incident,
    *,
    actor: str,
    text: str,
    db: Database,
    slack: SlackGateway,
    pack: Pack,
    clock: Clock,
    settings: Settings,
    replica: Replica,
    pagers: Pagers | None = None,
) -> None:
    """Record that `actor` confirmed the condition, and tell the channel which level it
    reaches, that level's duties, and who is paged (ESCALATION_CONTACTS or the level's
    role holders). The level's pager targets are owed in the same commit and sent with
    `pagers` right after (without, by the server's background pass)."""
    reached = find_condition(pack, text)
    rules.check_open(rules.Status(incident.status), "escalate it")
    async with unit_of_work(db) as session:
        holders = await repo.role_holders(session=session, incident=incident.id)
        notice = _confirmed_notice(
            reached, incident, holders, actor=actor, pack=pack, settings=settings
        )
        words = notice_text(notice)
        repo.add_event(
            session=session,
            event=repo.new_event(
                incident=incident.id,
                at=clock(),
                actor=actor,
                kind="escalation_confirmed",
                text=words,
                condition=reached.criterion.condition,
                level=reached.level.level,
            ),
        )
        post = outbox.owe(session, incident, words, clock=clock)
        paged = await paging.owe_level(
            session,
            incident,
            reached.level,
            reason=notice.reason,
            pack=pack,
            settings=settings,
            clock=clock,
        )
    await outbox.deliver([post], db=db, slack=slack, replica=replica)
    if paged and pagers is not None:
        await paging.send_due(
            db=db, pagers=pagers, slack=slack, clock=clock, replica=replica, incidents=[incident.id]
        )
