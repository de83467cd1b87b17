"""Browser tests of the sandbox page: Playwright for Python driving Debian's Chromium, headless.

No browser is downloaded (`playwright install` is never needed): the tests use the `chromium`
executable on PATH, and skip, saying why, when there is none. One browser (and context) per test
module; a new page per test.

A test failing in its body leaves a full-page screenshot in `test-artifacts/` at the repository
root (or in $TEST_ARTIFACTS); the path is printed in the failure report.

Playwright's sync API runs in the test's thread, so the real sandbox runs in a thread with an
event loop of its own (`LiveSandbox`). While Playwright runs, its event loop counts as the
thread's running loop, and no asyncio test could start one: so the browser lives for one
module (pytest stops it before a test of another module runs), not for the whole session.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from sandbox.app import RunningSandbox, start_sandbox
from tests.harness import copy_migrated_sqlite
from tests.sandbox.conftest import sandbox_settings

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS") or ROOT / "test-artifacts")
WAIT_MS = 10_000  # how long a page condition may take (the bot answers in well under a second)
T = TypeVar("T")


def chromium_path() -> str | None:
    """Debian's Chromium: `chromium` on PATH, else /usr/bin/chromium; None when neither."""
    found = shutil.which("chromium") or "/usr/bin/chromium"
    return found if Path(found).is_file() else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module's tests."""
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "browser tests need Chromium: no `chromium` on PATH nor /usr/bin/chromium "
            "(install it with `apt-get install chromium`; .ci/run does)"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    sync_api.expect.set_options(timeout=WAIT_MS)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def context(browser: Any) -> Iterator[Any]:
    """One browser context for the module's pages (the page keeps nothing in it: its state is
    in its URL)."""
    opened = browser.new_context(viewport={"width": 1280, "height": 900})
    opened.set_default_timeout(WAIT_MS)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    """A new page; fails the test if the page's script raised."""
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        opened.close()
    assert errors == [], f"the page's script raised: {errors}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """When a test fails in its body, save a screenshot of its page and name it in the report."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    opened = getattr(item, "funcargs", {}).get("page")
    if report.when != "call" or not report.failed or opened is None or opened.is_closed():
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / (re.sub(r"[^\w.-]+", "_", item.nodeid) + ".png")
    try:
        opened.screenshot(path=str(path), full_page=True)
    except Exception as error:  # noqa: BLE001 - the report says why there is no screenshot
        report.sections.append(("screenshot", f"no screenshot: {error}"))
        return
    report.sections.append(("screenshot", f"saved {path}"))


class LiveSandbox:
    """The real sandbox (the bot and its workspace on one port, on a fresh SQLite file),
    served from a thread with its own event loop."""

    def __init__(self, database: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="sandbox", daemon=True)
        self.thread.start()
        settings = sandbox_settings(database, log_level="INFO")
        try:
            self.running: RunningSandbox = self.call(start_sandbox(settings, host="127.0.0.1"))
        except BaseException:
            self._stop_loop()
            raise

    @property
    def url(self) -> str:
        """The page's URL, e.g. http://127.0.0.1:PORT/sandbox/."""
        return self.running.url

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine on the sandbox's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        """Stop the bot and the server, then the loop and its thread."""
        try:
            self.call(self._shut_down())
        finally:
            self._stop_loop()

    async def _shut_down(self) -> None:
        await self.running.close()
        current = asyncio.current_task()
        left = [task for task in asyncio.all_tasks() if task is not current]
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSandbox]:
    """A running sandbox of this test's own."""
    database = tmp_path / "incidents.db"
    copy_migrated_sqlite(database)
    sandbox = LiveSandbox(database)
    try:
        yield sandbox
    finally:
        sandbox.close()
