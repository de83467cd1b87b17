"""Bot scopes: the granted set (read from manifest.yml) and what each Web API method needs.

Per-method bot scopes are taken from Slack's method reference (docs.slack.dev, "Required scopes",
bot token), e.g. conversations.history: channels:history / groups:history / im:history /
mpim:history. Where Slack lists several, any one suffices; this fake picks the public
(`channels:*`) or private (`groups:*`) ones by the channel's type when the channel is known.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .models import JSON
from .registry import Args, ScopeNeed
from .state import Workspace

# sandbox/manifest.yml links to the repository's manifest.yml (a copy in an installed package).
MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"

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


@lru_cache(maxsize=8)
def _manifest(text: str) -> dict[str, Any]:
    return yaml.safe_load(text) or {}


def manifest_bot_events(path: Path = MANIFEST) -> set[str]:
    """The bot events the manifest subscribes to (`settings.event_subscriptions`)."""
    data = _manifest(path.read_text(encoding="utf-8"))
    subscriptions = (data.get("settings") or {}).get("event_subscriptions") or {}
    return {str(event) for event in subscriptions.get("bot_events") or []}


def manifest_home_tab(path: Path = MANIFEST) -> bool:
    """Whether the manifest turns the App Home tab on (`features.app_home.home_tab_enabled`)."""
    data = _manifest(path.read_text(encoding="utf-8"))
    home = (data.get("features") or {}).get("app_home") or {}
    return bool(home.get("home_tab_enabled"))


def manifest_shortcuts(path: Path = MANIFEST) -> dict[str, str]:
    """The manifest's shortcuts: callback_id → type (`message` or `global`)."""
    return {s["callback_id"]: s["type"] for s in manifest_shortcut_list(path)}


def manifest_shortcut_list(path: Path = MANIFEST) -> list[dict[str, str]]:
    """The manifest's shortcuts in order, each with its `callback_id`, `name` and `type`."""
    data = _manifest(path.read_text(encoding="utf-8"))
    shortcuts = (data.get("features") or {}).get("shortcuts") or []
    return [
        {
            "callback_id": str(s["callback_id"]),
            "name": str(s.get("name", s["callback_id"])),
            "type": str(s.get("type", "")),
        }
        for s in shortcuts
    ]


# The scopes an event needs before Slack delivers it (any one of each group), from Slack's
# event reference ("Required scopes"). An event not listed here needs none.
EVENT_SCOPES: dict[str, tuple[str, ...]] = {
    "member_joined_channel": ("channels:read", "groups:read"),
    "reaction_added": ("reactions:read",),
    "reaction_removed": ("reactions:read",),
    "message": ("channels:history", "groups:history"),
    "message.channels": ("channels:history",),
    "message.groups": ("groups:history",),
}


def event_refusal(ws: Workspace, event_type: str) -> str | None:
    """Why Slack would not deliver this event to the app, or None: Slack sends only the
    events the app subscribes to, and only with their scope granted."""
    if event_type not in manifest_bot_events():
        return f"manifest.yml does not subscribe to {event_type!r} (settings.bot_events)"
    needed = EVENT_SCOPES.get(event_type, ())
    if needed and not ws.scopes.intersection(needed):
        return f"{event_type!r} needs one of the scopes {needed}; granted: {sorted(ws.scopes)}"
    return None


def shortcut_refusal(ws: Workspace, callback_id: str, kind: str) -> str | None:
    """Why Slack would not offer this shortcut, or None: it must be in the manifest with
    this type, and shortcuts need the `commands` scope."""
    if manifest_shortcuts().get(callback_id) != kind:
        return f"manifest.yml has no {kind} shortcut with callback_id {callback_id!r}"
    if "commands" not in ws.scopes:
        return "shortcuts need the `commands` scope"
    return None


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
    if name not in ("message.channels", "message.groups"):
        return
    refusal = event_refusal(ws, name)
    if refusal:
        raise ValueError(refusal)
