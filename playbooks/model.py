"""The pack model: severities, roles, escalation, playbooks, comms, incident log, checklists.

Every model forbids unknown keys and is frozen. Field docstrings become the descriptions in
`schema.json`. Validating a `Pack` checks each field; cross-references (ids, roles, severities,
audiences) are checked by `playbooks.checks.pack_problems`, which the loader runs once the
fields themselves are valid: load packs with `playbooks.loader`, not `Pack.model_validate`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from playbooks.durations import DurationField
from playbooks.incident_ids import check_incident_id_format
from playbooks.problems import PackValueError, value_error
from playbooks.schedule import ScheduleField
from playbooks.wording import keyword_score, lookup_key

# At most 64 characters: IDs go into Slack option values (150) and block IDs (255).
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
NAME_LIMIT = 75  # Slack's limit on an option's text: severity names are options
COMMANDER_ROLE_ID = "commander"
StepKind = Literal["action", "message", "check"]


def _check_id(value: str) -> str:
    if not re.fullmatch(ID_PATTERN, value):
        raise value_error(
            PackValueError(
                f"{value!r} is not a valid id",
                "at most 64 lowercase letters, digits, '-' or '_', starting with a letter or "
                "digit (e.g. sev1, comms_lead, deploy-rollback)",
            )
        )
    return value


def _check_text(value: str) -> str:
    if not value.strip():
        raise value_error(PackValueError("the text is empty", "some non-blank text"))
    return value


def _check_name(value: str) -> str:
    _check_text(value)
    if len(value) > NAME_LIMIT:
        raise value_error(
            PackValueError(
                f"the name is {len(value)} characters long",
                f"at most {NAME_LIMIT} characters (Slack shows it as a choice in menus)",
            )
        )
    return value


def _check_id_format(value: str) -> str:
    try:
        return check_incident_id_format(value)
    except PackValueError as exc:
        raise value_error(exc) from None


Id = Annotated[
    str, AfterValidator(_check_id), WithJsonSchema({"type": "string", "pattern": ID_PATTERN})
]
Text = Annotated[
    str, AfterValidator(_check_text), WithJsonSchema({"type": "string", "minLength": 1})
]
Name = Annotated[
    str,
    AfterValidator(_check_name),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": NAME_LIMIT}),
]
IdFormat = Annotated[str, AfterValidator(_check_id_format), WithJsonSchema({"type": "string"})]
# `service:target-name`: the service's target names are mapped to keys by the settings
# (PAGERDUTY_ROUTING_KEYS, OPSGENIE_API_KEYS), so a pack stays free of secrets.
PAGE_TARGET_PATTERN = r"^(pagerduty|opsgenie):[a-z0-9][a-z0-9_.-]{0,63}$"


def _check_page_target(value: str) -> str:
    if not re.fullmatch(PAGE_TARGET_PATTERN, value):
        raise value_error(
            PackValueError(
                f"{value!r} is not a pager target",
                "pagerduty:<name> or opsgenie:<name>, the name in lowercase letters, digits, "
                "'-', '_' or '.' (e.g. pagerduty:payments-oncall)",
            )
        )
    return value


PageTarget = Annotated[
    str,
    AfterValidator(_check_page_target),
    WithJsonSchema({"type": "string", "pattern": PAGE_TARGET_PATTERN}),
]


class PackModel(BaseModel):
    """Base for pack models: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Updates(PackModel):
    """How often to post updates while the incident is open at this severity."""

    internal: DurationField | None = None
    """Interval between internal updates in the incident channel; omit when the level needs
    no update reminders (e.g. a cosmetic issue)."""
    customer: DurationField | None = None
    """Interval between customer-facing updates; omit when customers need none."""


class Severity(PackModel):
    """One level of the severity scale."""

    id: Id
    """Short id used in commands and packs, e.g. sev1, p0, defcon1."""
    name: Name
    """Display name, e.g. SEV-1, P0, Defcon 1 (at most 75 characters)."""
    description: Text
    """What this level means."""
    aliases: tuple[Text, ...] = ()
    """Other names people use for this level (e.g. Critical); lookups accept them."""
    examples: tuple[Text, ...] = ()
    """Example incidents or signals at this level."""
    updates: Updates
    """Update cadence at this level."""
    respond_within: DurationField | None = None
    """Target time from declaration to first response."""
    resolve_within: DurationField | None = None
    """Target time from declaration to resolution."""
    escalate_after: DurationField | None = None
    """Escalate to the next level if not acknowledged/resolved within this time."""
    notify: tuple[Text, ...] = ()
    """Who or where to notify when an incident is declared at this level."""
    announce: bool = True
    """Announce incidents at this level in INCIDENTS_CHANNEL (false: no announcement)."""
    notify_channels: tuple[Text, ...] = ()
    """Channels (by name, e.g. critical-alerts) also told when an incident is declared at,
    or changed to, this level."""
    decision_maker: Text | None = None
    """Who makes the calls at this level; changing to it asks for a handover to them."""
    on_alert: Literal["declare", "propose"] = "propose"
    """What an alert at this level does: declare an incident at once, or post "Declare
    incident?" in INCIDENTS_CHANNEL with Declare and Dismiss buttons."""
    private: bool = False
    """Incidents at this level are private by default: a private channel, an announcement
    without the title, listed only to the channel's members."""

    @property
    def lookup_keys(self) -> frozenset[str]:
        """Normalised id, name and aliases that `Pack.severity` accepts."""
        return frozenset(lookup_key(k) for k in (self.id, self.name, *self.aliases))


class Role(PackModel):
    """A responder role that can be assigned during an incident."""

    id: Id
    """Short id, e.g. commander, comms_lead."""
    name: Text
    """Display name, e.g. Incident Commander."""
    description: Text
    """What the role is responsible for."""
    single: bool = False
    """True if at most one person holds this role at a time (always true for commander)."""
    instructions: Text | None = None
    """What to do in this role: shown to whoever is assigned it (the commander: on declaring
    and on every hand-over)."""
    aliases: tuple[Text, ...] = ()
    """Other names for the role (e.g. IC); lookups accept them."""

    @property
    def lookup_keys(self) -> frozenset[str]:
        """Normalised id, name and aliases that `Pack.role` accepts."""
        return frozenset(lookup_key(k) for k in (self.id, self.name, *self.aliases))


Target = Literal["respond_within", "escalate_after", "resolve_within"]


class Criterion(PackModel):
    """One way an escalation level is reached. Give at most one of `after`, `missed` and
    `condition`; with none of them, the level is reached as soon as the incident is at one
    of `severities`."""

    severities: tuple[Id, ...] = ()
    """Only at these severities (ids); empty: at any severity."""
    after: DurationField | None = None
    """Reached when the incident is still open this long after it was declared."""
    missed: Target | None = None
    """Reached when the severity's target of this name is missed (respond_within,
    escalate_after or resolve_within)."""
    condition: Text | None = None
    """Reached when someone confirms this condition in Slack (a button, or
    `/incident escalate`), e.g. Fix requires core code changes."""


class EscalationLevel(PackModel):
    """One rung of the escalation path."""

    level: int = Field(ge=1)
    """Level number, starting at 1, ascending."""
    name: Text
    """Who or what this level is, e.g. On-Call Engineer."""
    role: Id | None = None
    """The pack role that acts at this level, if any."""
    responsibilities: tuple[Text, ...] = ()
    """What this level does."""
    criteria: tuple[Criterion, ...] = ()
    """When this level is reached: any one of these criteria reaches it."""
    page: tuple[PageTarget, ...] = ()
    """Pager targets paged once when this level is reached (or with `/incident page`), as
    `service:name`, e.g. pagerduty:payments-oncall or opsgenie:platform; the deployment's
    settings map each name to its key."""


class Step(PackModel):
    """One step of a playbook phase."""

    text: Text
    """The instruction; for kind message, the wording to send (verbatim where given)."""
    role: Id | None = None
    """Id of the role that performs the step."""
    kind: StepKind = "action"
    """action (do something), message (send wording to an audience) or check (verify)."""
    flags: tuple[Text, ...] = ()
    """Feature flags or switches this step disables or toggles (logged as features disabled)."""
    audience: Id | None = None
    """For kind message: id of the comms audience the wording is for."""
    within: DurationField | None = None
    """Deadline for this step, measured from declaration: if it is still open then, whoever
    has it (or its role's holder) is nudged."""
    monitor: DurationField | None = None
    """A monitoring window (e.g. 5m): the step gets a Start monitoring button, and when the
    window ends with the step still open, whoever started it is asked to confirm stability."""
    id: Id | None = None
    """A name for the step, unique in its playbook, that other steps' `after` refer to."""
    after: tuple[Id, ...] = ()
    """Ids of earlier steps of the playbook that must be done (or skipped) first: ticking
    this one before them asks for confirmation."""


class Phase(PackModel):
    """A group of steps, optionally with a deadline measured from declaration."""

    name: Text
    """Phase name, e.g. Immediate action."""
    within: DurationField | None = None
    """Deadline for this phase, measured from when the incident was declared."""
    rules: tuple[Text, ...] = ()
    """Rules that govern this phase (decision rules, do-not items): shown with it."""
    steps: tuple[Step, ...] = Field(min_length=1)
    """The steps, in order."""


class Playbook(PackModel):
    """A scenario runbook."""

    id: Id
    """Short id, e.g. refund-incorrect."""
    title: Text
    """Scenario title."""
    severity: Id
    """Default severity id when an incident is declared with this playbook."""
    description: Text | None = None
    """Short notes: scope, likely cause, when to use it."""
    signals: tuple[Text, ...] = ()
    """How this scenario shows up (detection sources, symptoms)."""
    match: tuple[Text, ...] = ()
    """Keywords or phrases that suggest this playbook from an incident title."""
    phases: tuple[Phase, ...] = Field(min_length=1)
    """The phases, in order."""
    ordered: bool = False
    """Phases must be worked in order (e.g. "disable first, fix second"): ticking a step
    while an earlier phase has open steps asks for confirmation first."""
    private: bool = False
    """Incidents declared with this playbook are private (e.g. a security breach): a private
    channel, an announcement without the title, listed only to the channel's members."""

    @property
    def step_ids(self) -> dict[str, tuple[int, int]]:
        """Each named step's (phase, index)."""
        return {
            step.id: (phase, index)
            for phase, stage in enumerate(self.phases)
            for index, step in enumerate(stage.steps)
            if step.id
        }

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step of every phase, in document order."""
        return tuple(step for phase in self.phases for step in phase.steps)

    @property
    def flags(self) -> tuple[str, ...]:
        """Every flag the playbook's steps toggle, first mention first, without repeats."""
        return tuple(dict.fromkeys(flag for step in self.steps for flag in step.flags))


class Audience(PackModel):
    """Someone the incident is communicated to, with the wording to use for them."""

    id: Id
    """Short id, e.g. buyer, customers, internal."""
    name: Text
    """Display name."""
    description: Text | None = None
    """Who they are or what they need to hear."""
    template: Text | None = None
    """General wording to use with this audience."""
    examples: tuple[Text, ...] = ()
    """Exact wordings the source gives for this audience."""
    channels: tuple[Text, ...] = ()
    """Where they are reached (status page, email, #channel, ...)."""
    slack_channel: Text | None = None
    """A Slack channel (name or ID) each customer update to them is also posted to."""
    statuspage: bool = False
    """Mirror customer updates to them on the Statuspage page the settings configure."""


class Comms(PackModel):
    """Communication rules."""

    avoid: tuple[Text, ...] = ()
    """Words and phrases never to use in messages (matched as whole words, any case)."""
    template: Text
    """Default wording for an update."""
    owner_role: Id | None = None
    """Id of the role that owns customer communication."""
    guidelines: tuple[Text, ...] = ()
    """How messages should sound (e.g. clear, calm)."""
    audiences: tuple[Audience, ...] = ()
    """Audiences and their wording."""

    def audience(self, audience_id: str) -> Audience | None:
        """The audience with this id (case-insensitive), or None."""
        return next((a for a in self.audiences if a.id == audience_id.casefold()), None)


class Checklist(PackModel):
    """A checklist posted on a schedule or when an incident is resolved."""

    id: Id
    """Short id."""
    title: Text
    """Title shown above the items."""
    schedule: ScheduleField
    """'daily HH:MM', 'weekdays HH:MM' (24-hour, bot time zone) or 'on_resolve'."""
    channel: Text | None = None
    """Channel to post in; default: the bot's incidents channel (on_resolve: the incident's)."""
    items: tuple[Text, ...] = Field(min_length=1, max_length=480)
    """The items to tick (at most 480: one Slack message holds 48 groups of 10)."""


class AlertRule(PackModel):
    """A monitoring threshold that sets the severity: `<metric> <comparison> <threshold>`
    lasting `duration`, e.g. payment success rate < 95 % for 10 minutes → P0."""

    metric: Id
    """Machine name of the measurement, as monitoring sends it, e.g. payment_success_rate."""
    name: Text
    """What people call it, e.g. Payment success rate."""
    comparison: Literal["<", "<=", ">", ">="]
    """How the measured value compares with the threshold when the rule is met."""
    threshold: float
    """The value, in `unit`."""
    unit: Literal["%", "ms", "s", ""] = ""
    """The unit of the value and threshold."""
    duration: DurationField
    """How long the condition must hold."""
    severity: Id
    """The severity (id) an incident that meets this rule gets."""


class AlertGrouping(PackModel):
    """How alerts without the sender's own group key are grouped into one incident."""

    labels: tuple[Text, ...] = ()
    """Labels whose values make a group (e.g. service): alerts with the same values join
    the same incident or proposal."""
    window: DurationField | None = None
    """How long after a group's first alert a new alert still joins it (default 5m) when
    the group has no open incident."""


class Retrospective(PackModel):
    """When the post-incident review must happen."""

    within: DurationField
    """Deadline for the review, measured from resolution."""


class Review(PackModel):
    """A duty after resolution with its own deadline, e.g. complete the incident report
    within 24h; the commander is reminded ahead of it."""

    name: Text
    """What must be done, e.g. Complete the incident report."""
    within: DurationField
    """Deadline, measured from resolution."""


class Pack(PackModel):
    """A playbook pack: everything the bot needs to run incidents the way one team does."""

    id: Id
    """Pack id; built-in packs use their file name."""
    title: Text
    """Human title."""
    description: Text | None = None
    """What system or team the pack is for."""
    severities: tuple[Severity, ...] = Field(min_length=1)
    """The severity scale, most severe first."""
    roles: tuple[Role, ...] = Field(min_length=1)
    """Roles; one must have id commander and be single."""
    escalation: tuple[EscalationLevel, ...] = ()
    """Escalation path, lowest level first."""
    playbooks: tuple[Playbook, ...]
    """Scenario playbooks, in document order."""
    comms: Comms
    """Communication rules."""
    incident_log: tuple[Text, ...]
    """Incident-log template field labels, in order, as the source names them."""
    checklists: tuple[Checklist, ...] = ()
    """Scheduled or on-resolve checklists."""
    retrospective: Retrospective | None = None
    """Post-incident review deadline."""
    reviews: tuple[Review, ...] = ()
    """Other duties after resolution, each with its deadline (report, follow-up reviews)."""
    rules: tuple[Text, ...] = ()
    """Standing rules for responders (decision rules, do-not lists)."""
    alert_grouping: AlertGrouping = AlertGrouping()
    """How alerts are grouped into incidents (alert storms make one incident)."""
    alert_rules: tuple[AlertRule, ...] = ()
    """Monitoring thresholds that set the severity; shown as guidance, evaluated by code."""
    incident_id_format: IdFormat | None = None
    """Incident ID format, e.g. INC-{YYYY}-{MM}-{DD}-{NNN}."""

    @property
    def severity_ids(self) -> list[str]:
        """Severity ids, most severe first."""
        return [s.id for s in self.severities]

    @property
    def role_ids(self) -> list[str]:
        """Role ids in pack order."""
        return [r.id for r in self.roles]

    @property
    def playbook_ids(self) -> list[str]:
        """Playbook ids in pack order."""
        return [p.id for p in self.playbooks]

    @property
    def commander(self) -> Role:
        """The commander role (the loader's checks guarantee it exists)."""
        role = self.role(COMMANDER_ROLE_ID)
        assert role is not None
        return role

    def severity(self, id_or_name: str) -> Severity | None:
        """Find a severity by id, name or alias, ignoring case and punctuation; `1` works too."""
        key = lookup_key(id_or_name)
        if not key:
            return None
        for severity in self.severities:
            if key in severity.lookup_keys:
                return severity
        if key.isdigit():
            # A bare number means the level whose id ends in it, if exactly one does.
            hits = [s for s in self.severities if _trailing_number(s.id) == int(key)]
            return hits[0] if len(hits) == 1 else None
        return None

    def rank(self, severity: str | Severity) -> int:
        """Position on the scale (0 = most severe); raises KeyError for an unknown severity."""
        found = self.severity(severity) if isinstance(severity, str) else severity
        if found is None or found not in self.severities:
            raise KeyError(f"unknown severity {severity!r}; known: {', '.join(self.severity_ids)}")
        return self.severities.index(found)

    def role(self, id_or_name: str) -> Role | None:
        """Find a role by id, name or alias, ignoring case, spaces, `-` and `_`."""
        key = lookup_key(id_or_name)
        return next((r for r in self.roles if key and key in r.lookup_keys), None)

    def playbook(self, playbook_id: str) -> Playbook | None:
        """The playbook with this id (case-insensitive), or None."""
        wanted = playbook_id.strip().casefold()
        return next((p for p in self.playbooks if p.id == wanted), None)

    def checklist(self, checklist_id: str) -> Checklist | None:
        """The checklist with this id (case-insensitive), or None."""
        wanted = checklist_id.strip().casefold()
        return next((c for c in self.checklists if c.id == wanted), None)

    def suggest_playbook(self, title: str) -> Playbook | None:
        """The playbook whose `match` keywords best fit an incident title, or None.

        Keywords match as whole words or phrases, ignoring case. The score is the total
        length of the matched keywords, so specific phrases beat single words; ties go to
        the playbook that comes first in the pack.
        """
        best, best_score = None, 0
        for playbook in self.playbooks:
            score = keyword_score(title, playbook.match)
            if score > best_score:
                best, best_score = playbook, score
        return best


def _trailing_number(text: str) -> int | None:
    digits = re.search(r"([0-9]+)$", text)
    return int(digits[1]) if digits else None
