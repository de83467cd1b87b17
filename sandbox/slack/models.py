"""Records the fake Slack workspace keeps, and their Web API JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

JSON = dict[str, Any]

TEAM_ID = "T0001"
TEAM_DOMAIN = "fake"
APP_ID = "A0001"
BOT_ID = "B0001"
BOT_USER_ID = "UBOT"
PERMALINK_HOST = "https://fake.slack.com"


@dataclass
class User:
    """A workspace member (human or bot)."""

    id: str
    name: str
    real_name: str = ""
    email: str | None = None
    is_bot: bool = False
    deleted: bool = False
    tz: str = "UTC"
    bot_id: str | None = None
    app_id: str | None = None

    def to_json(self) -> JSON:
        """Render as a `users.info` user object (bots carry profile.bot_id, like Slack's)."""
        profile: JSON = {"real_name": self.real_name, "display_name": self.name}
        if self.email:
            profile["email"] = self.email
        if self.is_bot:
            profile.update(bot_id=self.bot_id, api_app_id=self.app_id, always_active=True)
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "is_bot": self.is_bot,
            "is_admin": False,
            "is_app_user": False,
            "tz": self.tz,
            "profile": profile,
        }


@dataclass
class Message:
    """A channel message; `edits` counts chat.update calls on it."""

    ts: str
    channel: str
    user: str
    text: str = ""
    blocks: list[JSON] = field(default_factory=list)
    thread_ts: str | None = None
    edits: int = 0
    deleted: bool = False
    metadata: JSON | None = None
    attachments: list[JSON] = field(default_factory=list)
    reactions: dict[str, list[str]] = field(default_factory=dict)
    files: list[JSON] = field(default_factory=list)

    def to_json(self, *, with_metadata: bool = True) -> JSON:
        """Render as a Web API message object (`metadata` only when `with_metadata`)."""
        out: JSON = {"type": "message", "user": self.user, "text": self.text, "ts": self.ts}
        out["team"] = TEAM_ID
        if self.user == BOT_USER_ID:
            out.update(bot_id=BOT_ID, app_id=APP_ID)
        if self.blocks:
            out["blocks"] = self.blocks
        if self.attachments:
            out["attachments"] = self.attachments
        if self.files:
            out["files"] = self.files
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.metadata is not None and with_metadata:
            out["metadata"] = self.metadata
        if self.edits:
            out["edited"] = {"user": self.user, "ts": self.ts}
        if self.reactions:
            out["reactions"] = [
                {"name": name, "users": users, "count": len(users)}
                for name, users in self.reactions.items()
            ]
        return out


@dataclass
class Bookmark:
    """A channel bookmark added through bookmarks.add."""

    id: str
    channel_id: str
    title: str
    link: str
    type: str = "link"
    emoji: str = ""
    date_created: int = 0

    def to_json(self) -> JSON:
        """Render as a bookmarks.add bookmark object."""
        return {
            "id": self.id,
            "channel_id": self.channel_id,
            "title": self.title,
            "link": self.link,
            "type": self.type,
            "emoji": self.emoji,
            "date_created": self.date_created,
        }


@dataclass
class Channel:
    """A conversation; `pins` holds pinned message ts in pin order."""

    id: str
    name: str
    topic: str = ""
    purpose: str = ""
    members: set[str] = field(default_factory=set)
    is_private: bool = False
    is_archived: bool = False
    created: int = 0
    creator: str = BOT_USER_ID
    messages: list[Message] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)
    bookmarks: list[Bookmark] = field(default_factory=list)

    def message(self, ts: str) -> Message | None:
        """Return the live (not deleted) message with this ts, if any."""
        for msg in self.messages:
            if msg.ts == ts and not msg.deleted:
                return msg
        return None

    def to_json(self) -> JSON:
        """Render as a conversations.info channel object (as seen by the bot)."""
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": self.name == "general",
            "is_shared": False,
            "is_member": BOT_USER_ID in self.members,
            "created": self.created,
            "creator": self.creator,
            "context_team_id": TEAM_ID,
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": "", "last_set": 0},
            "num_members": len(self.members),
        }


@dataclass
class Ephemeral:
    """An ephemeral message shown to one user."""

    channel: str | None
    user: str | None
    text: str
    blocks: list[JSON]
    source: Literal["chat.postEphemeral", "response_url"]
    ts: str = ""
    thread_ts: str | None = None


@dataclass
class View:
    """A modal or home tab; `view` is the view dict as last posted."""

    id: str
    view: JSON
    hash: str
    trigger_id: str | None = None
    user: str | None = None
    external_id: str | None = None
    root_view_id: str | None = None
    previous_view_id: str | None = None
    updates: int = 0

    @property
    def type(self) -> str:
        """The view type: "modal" or "home"."""
        return str(self.view.get("type", ""))

    def to_json(self) -> JSON:
        """Render as the view object returned by views.* methods."""
        return {
            **self.view,
            "id": self.id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "state": {"values": {}},
            "hash": self.hash,
            "callback_id": self.view.get("callback_id", ""),
            "private_metadata": self.view.get("private_metadata", ""),
            "external_id": self.external_id or "",
            "root_view_id": self.root_view_id or self.id,
            "previous_view_id": self.previous_view_id,
            "app_installed_team_id": TEAM_ID,
        }


@dataclass
class Call:
    """One Web API call as the fake answered it; `fault` names an injected connection fault."""

    method: str
    args: JSON
    status: int
    ok: bool
    error: str | None
    time: float
    fault: str | None = None


@dataclass
class ResponseUrl:
    """A response_url bound to a channel/user/message; `posts` are the bodies received."""

    id: str
    channel: str | None
    user: str | None
    message_ts: str | None
    posts: list[JSON] = field(default_factory=list)
    uses: int = 0


@dataclass
class Trigger:
    """An issued trigger_id."""

    id: str
    user: str | None
    issued: float
    used: bool = False
