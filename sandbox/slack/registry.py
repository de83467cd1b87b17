"""Web API method registry, argument access and shared lookups for method handlers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .models import JSON, Channel, User
from .state import Workspace

TokenKind = Literal["bot", "app"]
Handler = Callable[[Workspace, "Args"], JSON]
# What a method needs: a list of scope groups; each group is satisfied by any one of its scopes.
ScopeNeed = Callable[[Workspace, "Args"], list[tuple[str, ...]]]


class ApiError(Exception):
    """Raised by a handler to answer {"ok": false, "error": error, **extra}."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass(frozen=True)
class MethodSpec:
    """A registered Web API method."""

    handler: Handler
    token: TokenKind
    scopes: ScopeNeed | None = None


METHODS: dict[str, MethodSpec] = {}


def method(
    name: str, *, token: TokenKind = "bot", scopes: ScopeNeed | None = None
) -> Callable[[Handler], Handler]:
    """Register a handler for the Web API method `name` (`scopes`: None = no scope checked)."""

    def _register(handler: Handler) -> Handler:
        METHODS[name] = MethodSpec(handler, token, scopes)
        return handler

    return _register


class Args:
    """Merged request arguments (query, form and JSON) with typed accessors."""

    def __init__(self, data: JSON) -> None:
        self.data = data

    def __contains__(self, key: str) -> bool:
        return self.data.get(key) not in (None, "")

    def text(self, key: str, default: str = "") -> str:
        """The argument as a string ("" when absent)."""
        value = self.data.get(key)
        return default if value is None else str(value)

    def required(self, key: str, error: str = "invalid_arguments") -> str:
        """The argument as a non-empty string, else ApiError(error)."""
        value = self.text(key).strip()
        if not value:
            raise ApiError(error)
        return value

    def flag(self, key: str) -> bool:
        """The argument as a boolean ("true"/"1"/true)."""
        value = self.data.get(key)
        return value is True or str(value).lower() in ("true", "1")

    def number(self, key: str, default: int) -> int:
        """The argument as an int, else ApiError("invalid_arguments")."""
        value = self.data.get(key)
        if value in (None, ""):
            return default
        try:
            return int(str(value))
        except ValueError:
            raise ApiError("invalid_arguments") from None

    def json(self, key: str, error: str) -> Any:
        """The argument decoded from a JSON string (or as sent in a JSON body)."""
        value = self.data.get(key)
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError(error) from None
        return value


def get_channel(
    ws: Workspace, args: Args, key: str = "channel", *, by_name: bool = False
) -> Channel:
    """The channel named by argument `key` (an id, or a name when `by_name`)."""
    ref = args.text(key).strip()
    channel = ws.resolve_channel(ref) if by_name else ws.channels.get(ref)
    if channel is None:
        raise ApiError("channel_not_found")
    return channel


def get_user(
    ws: Workspace, user_id: str, error: str = "user_not_found", *, deleted_ok: bool = False
) -> User:
    """The user with this id, else ApiError(error); deactivated users count only if `deleted_ok`."""
    user = ws.users.get(user_id.strip())
    if user is None or (user.deleted and not deleted_ok):
        raise ApiError(error)
    return user


def require_member(ws: Workspace, channel: Channel) -> None:
    """Raise not_in_channel unless the bot is a member."""
    if ws.bot_user_id not in channel.members:
        raise ApiError("not_in_channel")


def require_reader(ws: Workspace, channel: Channel) -> None:
    """Reading needs membership: not_in_channel (public) or channel_not_found (private)."""
    if ws.bot_user_id not in channel.members:
        raise ApiError("channel_not_found" if channel.is_private else "not_in_channel")


def require_live(channel: Channel) -> None:
    """Raise is_archived for an archived channel."""
    if channel.is_archived:
        raise ApiError("is_archived")
