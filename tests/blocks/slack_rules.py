"""What Slack accepts in a message or modal, checked on the dicts the builders return.

slack_sdk's models validate some limits (section text, header, button and option text) when
`to_dict()` is called; the rest of the limits Slack enforces are checked here by hand, so a
builder that would get `invalid_blocks` back from Slack fails a unit test instead.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
# Every way text can page more than one person.
BROADCASTS = ("<!channel", "<!here", "<!everyone", "<!subteam")
# User text that tries every one of them, raw and as Slack escapes slash-command text.
HOSTILE = (
    "<!channel> <!here> <!everyone> <!subteam^S0ONCALL|@oncall> @here @channel "
    "&lt;!channel&gt; <https://evil.example|https://bank.example>"
)


def _text(obj: dict[str, Any] | None) -> str:
    return obj["text"] if obj else ""


def _check_limits(node: Any, where: str) -> None:
    """Walk a block dict, checking the limits Slack documents for each element."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            _check_limits(item, f"{where}[{i}]")
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    for key in ("block_id", "action_id"):
        if key in node:
            assert 0 < len(node[key]) <= 255, f"{where}.{key} is {len(node[key])} chars"
    if kind == "section":
        assert "text" in node or "fields" in node, f"{where}: a section needs text or fields"
        assert len(_text(node.get("text"))) <= 3000, f"{where}: section text over 3000"
        fields = node.get("fields", [])
        assert len(fields) <= 10, f"{where}: {len(fields)} fields"
        for field in fields:
            assert len(field["text"]) <= 2000, f"{where}: field over 2000"
    elif kind == "header":
        assert len(_text(node["text"])) <= 150, f"{where}: header over 150"
    elif kind == "context":
        assert 1 <= len(node["elements"]) <= 10, f"{where}: context elements"
        for element in node["elements"]:
            assert len(element.get("text", "")) <= 3000, f"{where}: context text over 3000"
    elif kind == "actions":
        assert 1 <= len(node["elements"]) <= 25, f"{where}: actions elements"
    elif kind == "button":
        assert len(_text(node["text"])) <= 75, f"{where}: button text over 75"
        assert len(node.get("value", "")) <= 2000, f"{where}: button value over 2000"
    elif kind == "input":
        assert len(_text(node["label"])) <= 2000, f"{where}: input label over 2000"
        assert len(_text(node.get("hint"))) <= 2000, f"{where}: input hint over 2000"
    if kind in ("static_select", "checkboxes"):
        limit = 100 if kind == "static_select" else 10
        assert 1 <= len(node["options"]) <= limit, f"{where}: {len(node['options'])} options"
        values = [o["value"] for o in node["options"]]
        assert len(values) == len(set(values)), f"{where}: duplicate option values"
    if "options" in node:
        for option in node["options"]:
            assert len(_text(option["text"])) <= 75, f"{where}: option text over 75"
            assert len(option["value"]) <= 150, f"{where}: option value over 150"
            assert len(_text(option.get("description"))) <= 75, f"{where}: description over 75"
    for key, value in node.items():
        if key != "options":
            _check_limits(value, f"{where}.{key}")


def assert_valid_blocks(blocks: list[dict[str, Any]], *, limit: int = MAX_MESSAGE_BLOCKS) -> None:
    """Blocks Slack would accept: known shapes slack_sdk can rebuild exactly, within limits."""
    assert 1 <= len(blocks) <= limit, f"{len(blocks)} blocks"
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)), "duplicate block IDs"
    for i, block in enumerate(blocks):
        model = Block.parse(block)
        assert model is not None, f"blocks[{i}] has unknown type {block.get('type')!r}"
        try:
            rebuilt = model.to_dict()
        except SlackObjectFormationError as error:
            raise AssertionError(f"blocks[{i}]: slack_sdk refuses it: {error}") from None
        assert rebuilt == block, f"blocks[{i}] does not survive slack_sdk's models"
        _check_limits(block, f"blocks[{i}]")


def assert_valid_modal(view: dict[str, Any]) -> None:
    """A modal Slack would open: valid blocks, and title, submit and close within 24 chars."""
    try:
        rebuilt = View(**view).to_dict()
    except SlackObjectFormationError as error:
        raise AssertionError(f"slack_sdk refuses the modal: {error}") from None
    assert rebuilt == view, "the modal does not survive slack_sdk's models"
    assert view["type"] == "modal"
    for key in ("title", "submit", "close"):
        if key in view:
            assert len(view[key]["text"]) <= 24, f"{key} over 24 chars"
    assert len(view.get("private_metadata", "")) <= 3000
    assert_valid_blocks(view["blocks"], limit=MAX_MODAL_BLOCKS)


def rendered(value: Any) -> str:
    """All the text of blocks (or a string) as one string, for looking for mentions."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def assert_never_pings(value: Any) -> None:
    """No `<!channel>`, `<!here>`, `<!everyone>` or `<!subteam^…>` anywhere in it."""
    text = rendered(value)
    for broadcast in BROADCASTS:
        assert broadcast not in text, f"{broadcast!r} in {text[:200]!r}"
