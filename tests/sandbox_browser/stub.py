"""The page against a state the test writes: its requests to the sandbox are answered by the
test (Playwright's request routing), so every Block Kit element and every hostile text can be
shown, and each request the page makes can be read exactly. The page itself is the real one,
read from sandbox/static/."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "sandbox" / "static"
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}


class StubSandbox:
    """Serves the page and answers its API: GET ui/state with `state`, POSTs with `answers`
    (by route name; {"ok": true} otherwise); `posts` holds the (route, body) of every POST."""

    url = "http://sandbox.test/sandbox/"

    def __init__(self, page: Any, state: dict[str, Any]) -> None:
        self.page = page
        self.state = copy.deepcopy(state)
        self.answers: dict[str, dict[str, Any]] = {}
        self.posts: list[tuple[str, Any]] = []
        page.route("http://sandbox.test/**", self._answer)

    def open(self, query: str = "") -> None:
        """Load the page (with `?user=…&channel=…` when given) and wait for its first draw."""
        self.page.goto(self.url + query)
        self.page.wait_for_function("document.body.dataset.version !== undefined")

    def change(self, **fields: Any) -> None:
        """Change the state the page polls, and its version so that the page redraws."""
        self.state.update(fields)
        self.state["version"] += 1

    def posting(self, route: str) -> Any:
        """Context manager: the next POST to `ui/<route>` (its `.value.post_data_json`)."""
        return self.page.expect_request(
            lambda request: request.method == "POST" and request.url == f"{self.url}ui/{route}"
        )

    def _answer(self, route: Any) -> None:
        request = route.request
        path = urlsplit(request.url).path
        if path == "/sandbox/":
            route.fulfill(path=str(STATIC / "index.html"), content_type="text/html")
        elif path.startswith("/sandbox/static/"):
            file = STATIC / path.removeprefix("/sandbox/static/")
            if file.parent == STATIC and file.is_file():
                route.fulfill(path=str(file), content_type=TYPES.get(file.suffix, "text/plain"))
            else:
                route.fulfill(status=404, body="not found")
        elif path == "/sandbox/ui/state":
            route.fulfill(status=200, content_type="application/json", body=json.dumps(self.state))
        elif path.startswith("/sandbox/ui/") and request.method == "POST":
            name = path.removeprefix("/sandbox/ui/")
            self.posts.append((name, request.post_data_json))
            answer = self.answers.get(name, {"ok": True})
            route.fulfill(status=200, content_type="application/json", body=json.dumps(answer))
        else:
            route.fulfill(status=404, body="not found")
