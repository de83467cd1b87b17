"""What the sandbox's routes share: the workspace, the bot's clock, the link to the bot, and
what only the page keeps (modals closed, their errors, ephemerals dismissed)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from bot.clock import OffsetClock

from .link import BotLink
from .slack.models import JSON
from .slack.server import FakeSlack


@dataclass
class Sandbox:
    """One sandbox: a workspace, the bot's clock, and the link that sends the bot requests."""

    workspace: FakeSlack
    clock: OffsetClock
    link: BotLink
    closed_views: set[str] = field(default_factory=set)
    view_errors: dict[str, JSON] = field(default_factory=dict)
    dismissed: set[str] = field(default_factory=set)


SANDBOX = web.AppKey("sandbox", Sandbox)
