"""A local fake Slack (Web API, response_url, Socket Mode) for tests; see FakeSlack."""

from .models import Call, Channel, Ephemeral, Message, User, View
from .payloads import (
    block_actions_payload,
    event_callback,
    message_action_payload,
    sign_request,
    slash_command_form,
    subscribed_event_callback,
    view_submission_payload,
)
from .server import FakeSlack

__all__ = [
    "Call",
    "Channel",
    "Ephemeral",
    "FakeSlack",
    "Message",
    "User",
    "View",
    "block_actions_payload",
    "event_callback",
    "sign_request",
    "slash_command_form",
    "view_submission_payload",
    "message_action_payload",
    "subscribed_event_callback",
]
