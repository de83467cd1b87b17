"""Small validators: channel names, Block Kit blocks, views and message metadata (Slack's rules)."""

from __future__ import annotations

import re
from typing import Any

JSONObject = dict[str, Any]

CHANNEL_NAME_RE = re.compile(r"^[a-z0-9_-]+$")
TRIGGER_RE = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 40000
MAX_TOPIC = 250

BLOCK_TYPES = {
    "actions", "context", "divider", "file", "header", "image", "input",
    "markdown", "rich_text", "section", "video",
}  # fmt: skip
OPTION_ELEMENTS = {
    "static_select",
    "multi_static_select",
    "overflow",
    "checkboxes",
    "radio_buttons",
}


def channel_name_error(name: str) -> str | None:
    """Return the Slack error code for an invalid channel name, or None if it is valid."""
    if not name:
        return "invalid_name_required"
    if len(name) > 80:
        return "invalid_name_maxlength"
    if not CHANNEL_NAME_RE.match(name):
        return "invalid_name_specials"
    return None


def block_errors(blocks: Any, max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[str]:
    """Return human-readable problems with a blocks array (empty list when valid)."""
    if not isinstance(blocks, list):
        return ["blocks must be an array [json-pointer:/blocks]"]
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(f"no more than {max_blocks} items allowed [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        errors += _block(block, f"/blocks/{i}")
    return errors


def view_problem(view: Any, allowed_types: tuple[str, ...]) -> tuple[str, list[str]] | None:
    """Return (error_code, details) for an invalid view payload, or None if it is valid."""
    if not isinstance(view, dict):
        return "invalid_arguments", ["view must be a JSON object"]
    if view.get("type") not in allowed_types:
        return "invalid_arguments", [f"view type must be one of {allowed_types} [/view/type]"]
    errors: list[str] = []
    if view["type"] == "modal":
        errors += _text(view.get("title"), 24, "/view/title", required=True, plain=True)
        errors += _text(view.get("submit"), 24, "/view/submit", plain=True)
        errors += _text(view.get("close"), 24, "/view/close", plain=True)
    errors += _too_long(view.get("callback_id"), 255, "/view/callback_id")
    errors += _too_long(view.get("private_metadata"), 3000, "/view/private_metadata")
    errors += _too_long(view.get("external_id"), 255, "/view/external_id")
    if errors:
        return "invalid_arguments", errors
    errors = block_errors(view.get("blocks"), MAX_VIEW_BLOCKS)
    return ("invalid_blocks", errors) if errors else None


def _too_long(value: Any, limit: int, at: str) -> list[str]:
    if isinstance(value, str) and len(value) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{at}]"]
    return []


def _text(
    obj: Any, limit: int, at: str, *, required: bool = False, plain: bool = False
) -> list[str]:
    if obj is None:
        return [f"must provide a text object [json-pointer:{at}]"] if required else []
    allowed = ("plain_text",) if plain else ("plain_text", "mrkdwn")
    if not isinstance(obj, dict) or obj.get("type") not in allowed:
        return [f"must be a text object of type {'/'.join(allowed)} [json-pointer:{at}]"]
    if not isinstance(obj.get("text"), str):
        return [f"must provide a string [json-pointer:{at}/text]"]
    return _too_long(obj["text"], limit, f"{at}/text")


def _block(block: Any, at: str) -> list[str]:
    if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
        return [f"missing or unknown block type [json-pointer:{at}/type]"]
    errors = _too_long(block.get("block_id"), 255, f"{at}/block_id")
    kind = block["type"]
    if kind == "section":
        if "text" not in block and "fields" not in block:
            errors.append(f"must provide text or fields [json-pointer:{at}]")
        errors += _text(block.get("text"), 3000, f"{at}/text")
        fields = block.get("fields") or []
        if len(fields) > 10:
            errors.append(f"no more than 10 items allowed [json-pointer:{at}/fields]")
        for i, item in enumerate(fields):
            errors += _text(item, 2000, f"{at}/fields/{i}")
        if "accessory" in block:
            errors += _element(block["accessory"], f"{at}/accessory")
    elif kind == "header":
        errors += _text(block.get("text"), 150, f"{at}/text", required=True, plain=True)
    elif kind == "actions":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= 25:
            errors.append(f"must have 1 to 25 elements [json-pointer:{at}/elements]")
        for i, element in enumerate(elements):
            errors += _element(element, f"{at}/elements/{i}")
    elif kind == "context":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= 10:
            errors.append(f"must have 1 to 10 elements [json-pointer:{at}/elements]")
        for i, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") != "image":
                errors += _text(element, 3000, f"{at}/elements/{i}")
    elif kind == "input":
        errors += _text(block.get("label"), 2000, f"{at}/label", required=True, plain=True)
        errors += _text(block.get("hint"), 2000, f"{at}/hint", plain=True)
        if "element" not in block:
            errors.append(f"must provide an element [json-pointer:{at}/element]")
        else:
            errors += _element(block["element"], f"{at}/element")
    elif kind == "markdown":
        errors += _too_long(block.get("text"), 12000, f"{at}/text")
    return errors


def _element(element: Any, at: str) -> list[str]:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        return [f"missing element type [json-pointer:{at}/type]"]
    errors = _too_long(element.get("action_id"), 255, f"{at}/action_id")
    kind = element["type"]
    if kind == "button":
        errors += _text(element.get("text"), 75, f"{at}/text", required=True, plain=True)
        errors += _too_long(element.get("value"), 2000, f"{at}/value")
        errors += _too_long(element.get("url"), 3000, f"{at}/url")
    errors += _text(element.get("placeholder"), 150, f"{at}/placeholder", plain=True)
    if kind in OPTION_ELEMENTS or "options" in element:
        options = element.get("options") or []
        if len(options) > 100:
            errors.append(f"no more than 100 items allowed [json-pointer:{at}/options]")
        for i, option in enumerate(options):
            errors += _option(option, f"{at}/options/{i}")
    return errors


def _option(option: Any, at: str) -> list[str]:
    if not isinstance(option, dict):
        return [f"option must be an object [json-pointer:{at}]"]
    errors = _text(option.get("text"), 75, f"{at}/text", required=True)
    errors += _too_long(option.get("value"), 150, f"{at}/value")
    return errors


# Observed (slackapi/bolt-python#863): an event_type with "." posts fine but the metadata is
# silently dropped, while "-" and "_" work; Slack's guide asks for alphanumerics and "_".
# The exact character set Slack accepts is unconfirmed.
EVENT_TYPE_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def metadata_error(metadata: Any) -> str | None:
    """Slack's error code for a decoded `metadata` argument, or None when it is acceptable.

    Documented codes: invalid_metadata_format / invalid_metadata_schema. Which malformation
    gets which is unconfirmed: here "not a JSON object" is a format error, and a missing or
    mistyped event_type / event_payload (both required; payload an object) a schema error.
    An empty object is accepted (chat.update documents `{}` as "remove the metadata").
    """
    if not isinstance(metadata, dict):
        return "invalid_metadata_format"
    if not metadata:
        return None
    event_type, payload = metadata.get("event_type"), metadata.get("event_payload")
    if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
        return "invalid_metadata_schema"
    return None


def metadata_kept(metadata: JSONObject) -> bool:
    """Whether Slack keeps well-formed metadata (False: it silently drops it, see above)."""
    return bool(metadata) and bool(EVENT_TYPE_RE.match(str(metadata.get("event_type", ""))))
