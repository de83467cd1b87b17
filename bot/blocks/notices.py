"""What the clocks post: reminders, escalation notices, deadline nudges, retro reminders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.blocks.format import user, user_text, utc
from bot.domain.timers import human


def mention(target: str) -> str:
    """A user (`U…`/`W…`) or user-group (`S…`) mention."""
    return f"<!subteam^{target}>" if target.startswith("S") else f"<@{target}>"


def update_reminder_text(
    *, audience: str, every: timedelta, who: str, hints: Sequence[str] = ()
) -> str:
    """⏰ No internal update for 30 min: …; for customers, the pack's hints below."""
    command = "/incident update --customer …" if audience == "customer" else "/incident update …"
    text = (
        f":alarm_clock: No {audience} update for {human(every)}: {user(who)}, post one with "
        f"`{command}`."
    )
    return text + "".join(f"\n• {user_text(hint, 500)}" for hint in hints[:12])


def escalation_text(
    *,
    severity: str,
    reason: str,
    level: int | None,
    level_name: str | None,
    responsibilities: Sequence[str],
    contacts: Sequence[str],
) -> str:
    """🚨 Escalation notice: why, the level reached, its duties, and who is paged."""
    head = f":rotating_light: *Escalation* · {user_text(severity, 75)}: {user_text(reason, 300)}."
    if level is not None and level_name:
        head += f"\nEscalating to level {level}: *{user_text(level_name, 200)}*"
    duties = "".join(f"\n• {user_text(r, 300)}" for r in responsibilities[:10])
    paged = f"\nPaging {' '.join(mention(c) for c in contacts)}" if contacts else ""
    return head + duties + paged


def deadline_nudge_text(
    *, phase: str, due_at: datetime, open_steps: Sequence[tuple[str, str | None]]
) -> str:
    """⏳ The phase deadline passed with steps open: list them with who has them."""
    lines = "".join(
        f"\n• {user_text(text, 300)}" + (f" — {user(owner)}" if owner else " — unassigned")
        for text, owner in open_steps[:20]
    )
    return (
        f":hourglass: Deadline for *{user_text(phase, 200)}* passed at {utc(due_at)} with "
        f"{len(open_steps)} step(s) still open:{lines}"
    )


def notify_text(severity: str, notify: Sequence[str]) -> str:
    """The pack's notification rules for a level, under a severity change."""
    return f"\n:mega: At {user_text(severity, 75)}, notify: " + "; ".join(
        user_text(line, 200) for line in notify[:12]
    )


def review_reminder_text(*, commander: str, name: str, deadline: datetime) -> str:
    """📝 Due by …: complete the incident report."""
    return (
        f":memo: {user(commander)}, due by *{utc(deadline)}* for this incident: "
        f"*{user_text(name, 200)}*."
    )


def step_due_text(*, step: str, due_at: datetime, owner: str) -> str:
    """⏳ A step's own deadline passed with the step still open."""
    return (
        f":hourglass: *{user_text(step, 300)}* was due by {utc(due_at)} and is still open: "
        f"{user(owner)}, do it or mark it skipped."
    )


def monitor_ended_text(*, step: str, window: timedelta, who: str) -> str:
    """👀 A monitoring window ended with its step still open."""
    return (
        f":eyes: The {human(window)} of monitoring for *{user_text(step, 300)}* are over. "
        f"{user(who)}: if everything stayed stable, mark the step done; if not, say what you "
        "saw with `/incident update`."
    )


def monitoring_started_text(*, step: str, who: str, window: timedelta, until: datetime) -> str:
    """👀 Someone started a step's monitoring window."""
    return (
        f":eyes: {user(who)} started monitoring *{user_text(step, 300)}* for {human(window)}, "
        f"until {utc(until)}."
    )


FOLLOW_UPS_SHOWN = 5


def retro_reminder_text(
    *,
    commander: str,
    deadline: datetime,
    follow_ups: Sequence[tuple[str, str, date | None]] = (),
) -> str:
    """📝 Hold the retrospective by the deadline; the first open follow-ups (text, owner,
    due date) and how many are open."""
    text = (
        f":memo: {user(commander)}, hold the retrospective for this incident by "
        f"*{utc(deadline)}*. Export the log with `/incident log`."
    )
    if not follow_ups:
        return text
    text += f"\n{len(follow_ups)} follow-up(s) still open (`/incident follow-ups`):"
    for what, owner, due in follow_ups[:FOLLOW_UPS_SHOWN]:
        when = f" · due {due.isoformat()}" if due else ""
        text += f"\n• {user_text(what, 300)} · {user(owner)}{when}"
    if len(follow_ups) > FOLLOW_UPS_SHOWN:
        text += f"\n…and {len(follow_ups) - FOLLOW_UPS_SHOWN} more."
    return text


def severity_notice_text(
    *, severity: str, incident_id: str, title: str, channel: str | None, commander: str
) -> str:
    """🚨 A notice for a channel the pack has told about this level: what, where, who."""
    where = f" in <#{channel}>" if channel else ""
    return (
        f":rotating_light: *{user_text(severity, 75)}* · {incident_id}: "
        f"{user_text(title, 200)}{where} · commander {user(commander)}"
    )


def role_brief_text(
    *,
    role: str,
    incident_id: str,
    instructions: str,
    rules: Sequence[str] = (),
    escalate: Sequence[str] = (),
    notify: Sequence[str] = (),
    description: str = "",
    decider: str = "",
) -> str:
    """You are now *Incident Commander* for INC-…: what the role is for, the pack's
    instructions, and for the commander the pack's standing rules (decision rules, do-not
    lists), who decides at this severity, whom to notify, and when to escalate."""
    text = f"You are now *{user_text(role, 75)}* for {incident_id}."
    if description:
        text += f" _{user_text(description, 500)}_"
    text += f"\n{user_text(instructions)}"
    if decider:
        text += (
            f"\n:scales: At this severity the decision maker is *{user_text(decider, 200)}*: "
            "if that is not you, hand over with `/incident commander @user`."
        )
    if rules:
        text += "\n*Rules*\n" + "\n".join(f"• {user_text(rule, 300)}" for rule in rules[:20])
    if notify:
        text += "\n*Notify at this severity*\n" + "\n".join(
            f"• {user_text(line, 300)}" for line in notify[:12]
        )
    if escalate:
        text += "\n*Escalate when* (confirm with `/incident escalate`)\n" + "\n".join(
            f"• {user_text(line, 300)}" for line in escalate[:20]
        )
    return text
