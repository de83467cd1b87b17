"""Bot scopes: the granted set (read from manifest.yml) and what each Web API method needs.

Per-method bot scopes are taken from Slack's method reference (docs.slack.dev, "Required scopes",
bot token), e.g. conversations.history: channels:history / groups:history / im:history /
mpim:history. Where Slack lists several, any one suffices; this fake picks the public
(`channels:*`) or private (`groups:*`) ones by the channel's type when the channel is known.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from .models import JSON
from .registry import Args, ScopeNeed
from .state import Workspace

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"

Scopes = tuple[str, ...]


def manifest_bot_scopes(path: Path = MANIFEST) -> set[str]:
    """The bot scopes the app manifest asks for (`oauth_config.scopes.bot`)."""
    return set(_bot_scopes(path.read_text(encoding="utf-8"), str(path)))


@lru_cache(maxsize=8)
def _bot_scopes(text: str, source: str) -> frozenset[str]:
    # Parsed once per content: every FakeSlack reads the manifest, and YAML parsing in pure
    # Python costs a few milliseconds each time.
    data = yaml.safe_load(text) or {}
    try:
        scopes = data["oauth_config"]["scopes"]["bot"]
    except (KeyError, TypeError):
        raise ValueError(f"{source} has no oauth_config.scopes.bot list") from None
    return frozenset(str(scope) for scope in scopes or [])


def fixed(*scopes: str) -> ScopeNeed:
    """A need that does not depend on the arguments (any one of `scopes`)."""
    return lambda ws, a: [scopes]


def per_channel(public: Scopes, private: Scopes, key: str = "channel") -> ScopeNeed:
    """`public` or `private` scopes by the type of the channel in argument `key`."""

    def need(ws: Workspace, a: Args) -> list[Scopes]:
        channel = ws.channels.get(a.text(key).strip())
        if channel is None:  # unknown channel: any of them, then the handler says channel_not_found
            return [public + private]
        return [private if channel.is_private else public]

    return need


def per_private_flag(public: Scopes, private: Scopes, flag: str = "is_private") -> ScopeNeed:
    """`private` scopes when argument `flag` is true (conversations.create), else `public`."""
    return lambda ws, a: [private if a.flag(flag) else public]


def per_listed_type(by_type: dict[str, Scopes], default: str = "public_channel") -> ScopeNeed:
    """One scope group per conversation type asked for in `types` (conversations.list).

    Unconfirmed: that Slack demands the scope of every requested type (missing_scope) rather
    than silently leaving that type out; reports of missing_scope from conversations.list with
    extra types suggest it does.
    """

    def need(ws: Workspace, a: Args) -> list[Scopes]:
        types = [t.strip() for t in a.text("types", default).split(",") if t.strip()]
        return [by_type[t] for t in types or [default] if t in by_type]

    return need


CHAT_WRITE = fixed("chat:write")
MANAGE = per_channel(("channels:manage",), ("groups:write",))
INVITE = per_channel(
    ("channels:manage", "channels:write.invites"), ("groups:write", "groups:write.invites")
)
TOPIC = per_channel(
    ("channels:manage", "channels:write.topic"), ("groups:write", "groups:write.topic")
)
HISTORY = per_channel(("channels:history",), ("groups:history",))
READ = per_channel(("channels:read",), ("groups:read",))


def scope_error(ws: Workspace, need: ScopeNeed, a: Args) -> JSON | None:
    """missing_scope extras (`needed`, `provided`) when a scope group is unmet, else None."""
    for group in need(ws, a):
        if group and not ws.scopes.intersection(group):
            return {"needed": group[0], "provided": ",".join(sorted(ws.scopes))}
    return None


# The scope each message event subscription needs (Slack's events reference).
EVENT_SCOPES = {"message.channels": "channels:history", "message.groups": "groups:history"}


def manifest_bot_events(path: Path = MANIFEST) -> frozenset[str]:
    """The bot events the app manifest subscribes to (`settings.event_subscriptions`)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    events = ((data.get("settings") or {}).get("event_subscriptions") or {}).get("bot_events")
    return frozenset(str(event) for event in events or [])


def subscription(ws: Workspace, event: JSON) -> str:
    """The subscription that delivers this event: `message.channels` / `message.groups` for
    a message (by its channel's type), else the event's type."""
    kind = str(event.get("type", ""))
    if kind != "message":
        return kind
    channel = ws.channels.get(str(event.get("channel", "")))
    return "message.groups" if channel is not None and channel.is_private else "message.channels"


def require_subscribed(ws: Workspace, event: JSON) -> None:
    """Slack sends an app messages only from the subscriptions it has, with the scope they
    need. (Other event types are not checked: tests send unsubscribed ones on purpose.)"""
    name = subscription(ws, event)
    if name not in EVENT_SCOPES:
        return
    if name not in manifest_bot_events():
        raise ValueError(f"the manifest does not subscribe to {name}; Slack would not send it")
    needed = EVENT_SCOPES.get(name)
    if needed and needed not in ws.scopes:
        raise ValueError(f"{name} needs the {needed} scope, which the app is not granted")
