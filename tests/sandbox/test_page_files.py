"""The page's files as the bot's server serves them: the HTML at /sandbox/, and every
stylesheet and script it loads under /sandbox/static/, each with its content type. Nothing is
fetched from elsewhere: the page works offline."""

from __future__ import annotations

import re
from pathlib import Path

from tests.sandbox.conftest import Page

STATIC = Path(__file__).resolve().parents[2] / "sandbox" / "static"
# Both are JavaScript MIME types browsers accept for module scripts; which one is served
# depends on the Python version's (and the system's) mimetypes table.
JAVASCRIPT = {"text/javascript", "application/javascript"}


def scripts_imported(source: str) -> set[str]:
    """The files an ES module imports (`from "./x.js"`), by name."""
    return set(re.findall(r'from "\./([\w-]+\.js)"', source))


def test_every_reference_in_the_page_is_local() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'(?:src|href)="([^"]+)"', html) == ["static/style.css", "static/app.js"]
    for script in STATIC.glob("*.js"):
        imported = re.findall(r'\bimport\b[^;]*?"([^"]+)"', script.read_text(encoding="utf-8"))
        assert all(re.fullmatch(r"\./[\w-]+\.js", name) for name in imported), script.name


async def test_the_page_and_its_files_are_served_with_their_content_types(page: Page) -> None:
    async with page.http.get(page.url) as response:
        assert (response.status, response.content_type) == (200, "text/html")
        assert '<script type="module" src="static/app.js"></script>' in await response.text()
    async with page.http.get(f"{page.url}static/style.css") as response:
        assert (response.status, response.content_type) == (200, "text/css")
    seen: set[str] = set()
    waiting = {"app.js"}
    while waiting:
        name = waiting.pop()
        seen.add(name)
        async with page.http.get(f"{page.url}static/{name}") as response:
            assert response.status == 200, name
            assert response.content_type in JAVASCRIPT, (name, response.content_type)
            waiting |= scripts_imported(await response.text()) - seen
    assert seen == {path.name for path in STATIC.glob("*.js")}
    async with page.http.get(f"{page.url}static/missing.js") as response:
        assert response.status == 404
