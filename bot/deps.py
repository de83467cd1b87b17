"""The composition root's record of every collaborator, built once at startup.

Only the server, the Bolt app factory and the handlers' `register` functions hold it.
Services never take it: each takes the collaborators it touches (`db`, `slack`, `pack`,
`clock`, `settings`, `replica`, …) by name, so a signature shows what a function touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock, utcnow
from bot.intake import Intake
from bot.lifecycle import Lifecycle
from bot.metrics import Metrics
from bot.pagers import Pagers
from bot.replica import Replica
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from bot.statuspage import Statuspage
from playbooks.model import Pack
from storage.db import Database


@dataclass
class Deps:
    """Settings, database, Slack gateway, pack, clock, and this process's replica, intake,
    lifecycle, metrics, pagers (PagerDuty, Opsgenie) and Statuspage."""

    settings: Settings
    db: Database
    slack: SlackGateway
    pack: Pack
    clock: Clock = utcnow
    replica: Replica = field(default_factory=Replica)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    metrics: Metrics = field(default_factory=Metrics)
    intake: Intake = field(init=False)
    pagers: Pagers = field(init=False)
    statuspage: Statuspage = field(init=False)

    def __post_init__(self) -> None:
        self.intake = Intake(
            db=self.db, clock=self.clock, database_failed=self.metrics.database_error
        )
        self.pagers = Pagers.from_settings(self.settings)
        self.statuspage = Statuspage.from_settings(self.settings)
