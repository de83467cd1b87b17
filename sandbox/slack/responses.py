"""response_url endpoint: `POST /response/<id>` with a JSON message body."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from .models import JSON, Ephemeral, ResponseUrl
from .state import Workspace
from .validation import block_errors
from .webapi import WORKSPACE

MAX_USES = 5


def apply_response(ws: Workspace, binding: ResponseUrl, body: JSON) -> None:
    """Apply a response_url message to the workspace the way Slack would."""
    text = str(body.get("text") or "")
    blocks: list[Any] = body.get("blocks") or []
    original = ws.find_message(binding.channel, binding.message_ts)
    channel = ws.channels.get(binding.channel or "")
    shown = ws.ephemeral(binding.user, binding.message_ts) if original is None else None
    if shown is not None and (body.get("replace_original") or body.get("delete_original")):
        # From a click in an ephemeral message: Slack replaces or removes that one.
        if body.get("delete_original"):
            ws.ephemerals.remove(shown)
        else:
            shown.text, shown.blocks = text, blocks
        return
    if body.get("delete_original") and original is not None:
        original.deleted = True
        if channel is not None and original.ts in channel.pins:
            channel.pins.remove(original.ts)
    elif body.get("replace_original") and original is not None:
        original.text = text
        original.blocks = blocks
        original.edits += 1
    elif body.get("response_type") == "in_channel" and channel is not None:
        thread_ts = body.get("thread_ts")
        ws.post_message(channel, ws.bot_user_id, text, blocks, thread_ts=thread_ts)
    elif not body.get("delete_original"):
        eph = Ephemeral(binding.channel, binding.user, text, blocks, "response_url", ws.next_ts())
        ws.ephemerals.append(eph)


async def handle_response_url(request: web.Request) -> web.Response:
    """aiohttp handler: record the body, enforce 5 uses, apply it, answer "ok"."""
    ws = request.app[WORKSPACE]
    binding = ws.response_urls.get(request.match_info["id"])
    if binding is None:
        return web.Response(status=404, text="no_such_url")
    try:
        body = await request.json()
    except ValueError:
        return web.Response(status=400, text="invalid_payload")
    if not isinstance(body, dict):
        return web.Response(status=400, text="invalid_payload")
    if ws.latency > 0:
        await asyncio.sleep(ws.latency)
    binding.posts.append(body)
    if binding.uses >= MAX_USES:
        return web.Response(status=404, text="used_url")
    if block_errors(body.get("blocks") or []):
        return web.Response(status=400, text="invalid_blocks")
    if body.get("response_type") == "in_channel" and binding.channel not in ws.channels:
        return web.Response(status=404, text="channel_not_found")
    binding.uses += 1
    apply_response(ws, binding, body)
    return web.Response(text="ok")
