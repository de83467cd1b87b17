"""What-if runs for bench/declarations.py: the bot with candidate fixes patched in memory.

    DECL_WHATIF=session,sqlite-pool1,ack-first,warm-identity python -m bench.decl_whatif

Runs `bot.__main__.main()` exactly like `python -m bot`, after patching (in this process only;
no file of the bot changes) the fixes that BENCHMARKS.md suggests, so their effect can be
measured with `python -m bench.declarations --what-if …`. Each flag is one suggestion:

- `session`: one shared aiohttp ClientSession for the Web API client (slack_sdk otherwise
  opens a new session, i.e. a new TCP/TLS connection, for every call).
- `sqlite-pool1`: SQLite engine with a single pooled connection, so writers queue in-process
  in FIFO order instead of spinning in SQLite's busy handler (which sleeps 1…100 ms per try).
- `ack-first`: `/incident` commands are acknowledged before the delivery key is written; the
  duplicate check runs right after the ack and a duplicate is then dropped unhandled.
- `warm-identity`: auth.test once at start-up and single-flight afterwards, so a burst on a
  cold bot does not send one auth.test per request before acknowledging.
- `gc-freeze`: `gc.collect(); gc.freeze()` once started, so the start-up heap (Slack SDK,
  SQLAlchemy, pydantic, the pack) is never traversed again by a full collection.

Not a fix to merge as is: a measuring aid for the benchmark only.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
from typing import Any

FLAGS = frozenset(filter(None, os.environ.get("DECL_WHATIF", "").split(",")))
KNOWN = frozenset({"session", "sqlite-pool1", "ack-first", "warm-identity", "gc-freeze"})


class _Duplicate(Exception):  # noqa: N818 - control flow, not an error
    pass


def _patch_session() -> None:
    import aiohttp

    import bot.server as server

    original = server._lifecycle

    async def lifecycle(web_app: Any) -> Any:
        rt = web_app[server.RUNTIME]
        own = None
        steps = original(web_app)
        await steps.__anext__()  # the bot's own start-up first
        if rt.client.session is None:  # the bot does not share a session itself yet
            own = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
            rt.client.session = own
        else:
            print("decl_whatif: session: the bot already shares a session; nothing to patch")
        try:
            yield
            async for _ in steps:
                pass
        finally:
            if own is not None:
                await own.close()

    server._lifecycle = lifecycle


def _patch_sqlite_pool() -> None:
    import storage.db as db

    original = db.create_async_engine

    def create(url: str, **kwargs: Any) -> Any:
        if url.startswith("sqlite"):
            kwargs.update(pool_size=1, max_overflow=0, pool_timeout=60)
        return original(url, **kwargs)

    db.create_async_engine = create


def _patch_ack_first() -> None:
    import importlib.util

    if importlib.util.find_spec("handlers.dedupe") is None:
        print("decl_whatif: ack-first: no handlers/dedupe.py middleware; nothing to patch")
        return
    import handlers.dedupe as dedupe
    import handlers.errors as errors

    import handlers
    from bot.delivery_keys import delivery_key

    original_seen = dedupe.seen_before
    original_reports = errors.reports_errors

    async def seen_before(rt: Any, key: str) -> bool:
        if key.startswith("command:"):
            return False  # checked after the ack instead (below)
        return await original_seen(rt, key)

    def reports_errors(rt: Any) -> Any:
        wrap = original_reports(rt)

        def decorate(listener: Any) -> Any:
            @functools.wraps(listener)
            async def checked(**kwargs: Any) -> None:
                # Bolt passes only the arguments the listener names: a command's payload
                # arrives as `command` (it carries the trigger_id the key is made of).
                key = delivery_key(kwargs.get("body") or kwargs.get("command") or {})
                if key is None or not key.startswith("command:"):
                    await listener(**kwargs)
                    return
                ack = kwargs["ack"]

                async def ack_then_check(*args: Any, **kw: Any) -> Any:
                    result = await ack(*args, **kw)
                    if await original_seen(rt, key):
                        raise _Duplicate(key)
                    return result

                try:
                    await listener(**{**kwargs, "ack": ack_then_check})
                except _Duplicate:
                    return

            return wrap(checked)

        return decorate

    dedupe.seen_before = seen_before
    for name in dir(handlers):
        module = getattr(handlers, name)
        if getattr(module, "reports_errors", None) is original_reports:
            module.reports_errors = reports_errors


def _patch_warm_identity() -> None:
    import bot.runtime as runtime
    import bot.server as server

    original_identity = runtime.Runtime.bot_identity
    pending: dict[int, asyncio.Future[dict[str, str]]] = {}

    async def bot_identity(self: Any) -> dict[str, str]:
        if self.identity:
            return self.identity
        future = pending.get(id(self))
        if future is None:
            future = asyncio.ensure_future(original_identity(self))
            pending[id(self)] = future
            future.add_done_callback(lambda _: pending.pop(id(self), None))
        return await asyncio.shield(future)

    runtime.Runtime.bot_identity = bot_identity
    original_lifecycle = server._lifecycle

    async def lifecycle(web_app: Any) -> Any:
        await web_app[server.RUNTIME].bot_identity()
        async for _ in original_lifecycle(web_app):
            yield

    server._lifecycle = lifecycle


def _patch_gc_freeze() -> None:
    import gc

    import bot.server as server

    original_lifecycle = server._lifecycle

    async def lifecycle(web_app: Any) -> Any:
        gc.collect()
        gc.freeze()
        async for _ in original_lifecycle(web_app):
            yield

    server._lifecycle = lifecycle


def main() -> int:
    unknown = FLAGS - KNOWN
    if unknown:
        print(f"decl_whatif: unknown flags {sorted(unknown)}; known: {sorted(KNOWN)}")
        return 2
    if "session" in FLAGS:
        _patch_session()
    if "sqlite-pool1" in FLAGS:
        _patch_sqlite_pool()
    if "ack-first" in FLAGS:
        _patch_ack_first()
    if "warm-identity" in FLAGS:
        _patch_warm_identity()
    if "gc-freeze" in FLAGS:
        _patch_gc_freeze()
    from bot.__main__ import main as bot_main

    return bot_main([])


if __name__ == "__main__":
    sys.exit(main())
