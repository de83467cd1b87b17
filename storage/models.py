"""SQLModel tables: incidents, role holders, the timeline and the per-day ID sequence."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class IncidentBase(SQLModel):
    """What a declaration says about an incident."""

    title: str
    description: str = ""
    severity: str
    status: str = "investigating"
    commander_id: str = Field(nullable=False)
    declared_by: str
    pack_id: str = "default"
    playbook_id: str | None = None
    # A private incident: a private channel, an announcement without the title, listed
    # only to the people the incident records (commander, declarer, role holders).
    private: bool = False


class Incident(IncidentBase, table=True):
    """An incident. `commander_id` is one non-null column, so there is exactly one commander."""

    __table_args__ = (UniqueConstraint("day", "seq", name="uq_incident_day_seq"),)

    id: str = Field(primary_key=True, max_length=32)
    day: str = Field(max_length=10)
    seq: int
    declared_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    summary: str | None = None
    channel_id: str | None = Field(default=None, unique=True, max_length=32)
    channel_name: str | None = Field(default=None, max_length=80)
    card_ts: str | None = None
    announcement_channel: str | None = Field(default=None, max_length=32)
    announcement_ts: str | None = None
    setup_state: str = "pending"
    setup_done: str = ""
    # What setup does about a playbook: "attach:<id>", "suggest" (offer the best match) or "".
    playbook_plan: str = ""
    # Which process is setting the channel up, until when: one at a time, across replicas.
    setup_owner: str | None = Field(default=None, max_length=128)
    setup_lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # Bumped by every change that the card and topic show; `shown_revision` is what Slack
    # showed last, so a display that fell behind (Slack refused an edit) is redrawn later.
    revision: int = 0
    shown_revision: int = 0


class RoleHolder(SQLModel, table=True):
    """Who holds a role. Single roles use slot "" so the primary key allows one holder."""

    incident_id: str = Field(foreign_key="incident.id", primary_key=True, max_length=32)
    role_id: str = Field(primary_key=True, max_length=64)
    slot: str = Field(default="", primary_key=True, max_length=32)
    user_id: str = Field(max_length=32)
    assigned_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Event(SQLModel, table=True):
    """One timeline entry: when, who, what kind, and the details."""

    __table_args__ = (Index("ix_event_incident_at", "incident_id", "at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", max_length=32)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=40)
    text: str = ""
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class DaySequence(SQLModel, table=True):
    """The last incident number handed out on a UTC day."""

    day: str = Field(primary_key=True, max_length=10)
    last: int = 0


class StepState(SQLModel, table=True):
    """Where one playbook step stands in one incident."""

    incident_id: str = Field(foreign_key="incident.id", primary_key=True, max_length=32)
    playbook_id: str = Field(primary_key=True, max_length=64)
    phase: int = Field(primary_key=True)
    step: int = Field(primary_key=True)
    status: str = "open"
    actor: str | None = Field(default=None, max_length=32)
    at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    assignee: str | None = Field(default=None, max_length=32)
    note: str | None = None


class PhasePost(SQLModel, table=True):
    """The message that shows one phase of a playbook in the incident channel."""

    incident_id: str = Field(foreign_key="incident.id", primary_key=True, max_length=32)
    playbook_id: str = Field(primary_key=True, max_length=64)
    phase: int = Field(primary_key=True)
    ts: str | None = None
    due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class Draft(SQLModel, table=True):
    """A customer update held back by the wording check until its author decides."""

    id: str = Field(primary_key=True, max_length=32)
    incident_id: str = Field(foreign_key="incident.id", max_length=32)
    author: str = Field(max_length=32)
    text: str
    found: str = ""
    audience: str | None = Field(default=None, max_length=64)
    state: str = "pending"
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Timer(SQLModel, table=True):
    """One clock: its next due time is the source of truth; firing claims it atomically."""

    __table_args__ = (Index("ix_timer_due", "due_at"),)

    id: str = Field(primary_key=True, max_length=200)
    incident_id: str | None = Field(
        default=None, foreign_key="incident.id", index=True, max_length=32
    )
    kind: str = Field(max_length=32)
    key: str = Field(default="", max_length=160)
    due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    fired: int = 0
    last_fired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class ChecklistRun(SQLModel, table=True):
    """One posting of a checklist (daily, or on resolve in an incident channel)."""

    id: str = Field(primary_key=True, max_length=32)
    checklist_id: str = Field(max_length=64)
    incident_id: str | None = Field(default=None, foreign_key="incident.id", max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)
    ts: str | None = None
    posted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ChecklistTick(SQLModel, table=True):
    """Who ticked (or unticked) which checklist item, and when; the latest row wins."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="checklistrun.id", index=True, max_length=32)
    item: int
    user_id: str = Field(max_length=32)
    checked: bool
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class InboxItem(SQLModel, table=True):
    """A Slack delivery, kept before it is acknowledged and replayed if its handler died."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_state_lease", "state", "lease_until"),)

    key: str = Field(primary_key=True, max_length=128)
    kind: str = Field(max_length=24)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    state: str = Field(default="pending", max_length=12)
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    attempts: int = 0


class Heartbeat(SQLModel, table=True):
    """One row per process, rewritten by each health check to prove the database writes."""

    replica: str = Field(primary_key=True, max_length=128)
    beat_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class OutboxPost(SQLModel, table=True):
    """A message the bot owes Slack, written in the same commit as the change it reports.

    Posted right after the commit; if the process dies first (or Slack fails), any replica
    posts it once its lease runs out, looking first for a post that did get through.
    """

    __table_args__ = (Index("ix_outboxpost_pending", "posted", "lease_until"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str | None = Field(default=None, foreign_key="incident.id", max_length=32)
    channel: str | None = Field(default=None, max_length=80)  # None: the incident's channel
    text: str
    blocks: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    attempts: int = 0
    posted: bool = False
    ts: str | None = None
    # A reply in this thread (the incident's announcement, for stakeholder updates);
    # ANNOUNCEMENT_THREAD when the announcement was not posted yet: looked up on delivery.
    thread_ts: str | None = Field(default=None, max_length=32)


class Lease(SQLModel, table=True):
    """Who may do a piece of work alone (e.g. redraw one incident's card), and until when."""

    resource: str = Field(primary_key=True, max_length=160)
    owner: str = Field(max_length=128)
    until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Alert(SQLModel, table=True):
    """One alert from monitoring: kept (in the inbox) before its sender is answered, then
    recorded here with where it went: an incident, a "Declare incident?" proposal, or
    nowhere yet (`state` pending)."""

    __table_args__ = (
        UniqueConstraint("delivery", "position", name="uq_alert_delivery_position"),
        Index("ix_alert_fingerprint", "fingerprint", "resolved_at"),
        Index("ix_alert_group", "group_key", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    delivery: str = Field(max_length=128)  # the inbox key of the request that carried it
    position: int = 0  # its place in that request
    source: str = Field(max_length=64)  # the ALERT_TOKENS name it came with
    format: str = Field(max_length=16)  # alertmanager, grafana or generic
    fingerprint: str = Field(max_length=200)  # the dedup key
    group_key: str = Field(max_length=300)
    status: str = Field(max_length=12)  # firing or resolved
    title: str
    severity: str | None = Field(default=None, max_length=64)
    link: str | None = None
    labels: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    state: str = Field(default="pending", max_length=12)  # pending or routed
    incident_id: str | None = Field(default=None, foreign_key="incident.id", max_length=32)
    proposal_id: str | None = Field(default=None, max_length=32)
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class AlertProposal(SQLModel, table=True):
    """A "Declare incident?" question for alerts at a level that does not declare by itself."""

    __table_args__ = (Index("ix_alertproposal_group", "group_key", "state"),)

    id: str = Field(primary_key=True, max_length=32)
    group_key: str = Field(max_length=300)
    title: str
    severity: str = Field(max_length=64)
    alerts: int = 1
    state: str = Field(default="open", max_length=12)  # open, declared or dismissed
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    decided_by: str | None = Field(default=None, max_length=32)
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    incident_id: str | None = Field(default=None, max_length=32)
    channel: str | None = Field(default=None, max_length=80)
    ts: str | None = Field(default=None, max_length=32)


class Page(SQLModel, table=True):
    """A page owed to a pager (PagerDuty or Opsgenie), written with the change that owes it.

    The unique key makes a level page each target once per incident, across replicas and
    restarts; a resolve is owed once per target (level 0). `lease_until` says who is sending
    it, `next_attempt_at` when a failed one is tried again.
    """

    __table_args__ = (
        UniqueConstraint("incident_id", "level", "target", "action", name="uq_page_once"),
        Index("ix_page_due", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", max_length=32)
    level: int  # the escalation level; 0 for a resolve
    target: str = Field(max_length=100)  # pagerduty:primary-oncall
    service: str = Field(max_length=16)  # pagerduty or opsgenie
    action: str = Field(max_length=12)  # trigger or resolve
    state: str = Field(default="pending", max_length=12)  # pending, sent or failed
    summary: str = ""
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    rank: int = 0  # the incident severity's place on the pack's scale (0 = most severe)
    by: str | None = Field(default=None, max_length=32)  # who paged on demand, if anyone
    attempts: int = 0
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    lease_until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_error: str | None = None
    failure_told: bool = False  # "Paging failed" was posted in the channel


class FollowUp(SQLModel, table=True):
    """Post-incident work with an owner and a due date (a calendar day in `TZ`).

    Done and reopened by conditional UPDATEs on `state`, so of two racing clicks one wins.
    `post_id` is the outbox post that shows it in the incident channel (redrawn on change).
    """

    __table_args__ = (Index("ix_followup_incident", "incident_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", max_length=32)
    text: str
    owner_id: str = Field(max_length=32)
    due_on: date | None = None
    state: str = Field(default="open", max_length=12)  # open or done
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    done_by: str | None = Field(default=None, max_length=32)
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    post_id: int | None = None


class TimelineMessage(SQLModel, table=True):
    """A Slack message added to an incident's timeline (by 📌 or the message shortcut).

    The primary key makes a message an entry once per incident, however many people pin it
    and on however many replicas: the insert is ON CONFLICT DO NOTHING, in the same commit
    as the `message_pinned` event it gates.
    """

    incident_id: str = Field(foreign_key="incident.id", primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    ts: str = Field(primary_key=True, max_length=32)
    added_by: str = Field(max_length=32)
    added_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class StatuspageCall(SQLModel, table=True):
    """A call owed to Atlassian Statuspage (create, update or resolve one incident there),
    written with the customer update or the resolve that owes it.

    An incident's calls go out in order (an update needs the Statuspage incident ID its
    create learned, kept in `statuspage_id`); `lease_until` says who is sending one,
    `next_attempt_at` when a failed one is tried again.
    """

    __table_args__ = (
        Index("ix_statuspagecall_due", "state", "next_attempt_at"),
        UniqueConstraint("create_key", name="uq_statuspagecall_create"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", max_length=32)
    action: str = Field(max_length=12)  # create, update or resolve
    # The incident's ID on its create (NULL otherwise): one create per incident, even when
    # two replicas record its first customer update at the same moment.
    create_key: str | None = Field(default=None, max_length=32)
    status: str = Field(max_length=16)  # Statuspage's: investigating … resolved
    name: str = ""  # the Statuspage incident's title (create)
    body: str = ""  # the update's text
    impact: str | None = Field(default=None, max_length=12)  # impact_override (create)
    state: str = Field(default="pending", max_length=12)  # pending, sent or failed
    attempts: int = 0
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    lease_until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    statuspage_id: str | None = Field(default=None, max_length=64)  # learned from create
    last_error: str | None = None
    failure_told: bool = False  # the failure was said in the channel
