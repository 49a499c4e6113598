"""A reader on a metered connection, in Chromium: static files fetched once, KaTeX only for maths.

What the browser asked is read from the site's own access log, so a file revalidated with the
server (a 304) counts as asked as much as one fetched again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import LiveSite, sign_up

MATHS_PAPER = "2606.19349"  # a demo paper with formulas in its abstract
_ASKED_RE = re.compile(r'"GET ([^ "]+)')


class Asked(logging.Handler):
    """The paths the site was asked for, as its access log names them."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = _ASKED_RE.search(record.getMessage())
        if found:
            self.paths.append(found[1])

    def static(self) -> list[str]:
        return [p for p in self.paths if p.startswith("/static/")]


@pytest.fixture
def asked() -> Iterator[Asked]:
    handler = Asked()
    logger = logging.getLogger("paperfeed.access")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _visit(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html.math-ready")  # typeset, or nothing to typeset
    page.wait_for_load_state("networkidle")


def test_a_signed_in_reader_fetches_static_files_once(
    live_site: LiveSite, page: Page, asked: Asked
) -> None:
    sign_up(page, live_site.url, "metered")
    page.wait_for_selector("a.who")
    _visit(page, f"{live_site.url}/papers/{MATHS_PAPER}")
    assert page.locator(".abstract .katex").count() > 0  # the formulas are typeset
    first = asked.static()
    assert any(p.endswith("/katex/katex.min.js") for p in first), first
    assert any(p.endswith(".woff2") for p in first), first  # KaTeX's fonts, for the maths
    asked.paths.clear()
    for path in ("/for-you", f"/papers/{MATHS_PAPER}", "/"):  # other pages, and the same again
        _visit(page, live_site.url + path)
    assert page.locator("a.who").inner_text() == "metered"  # still signed in
    assert asked.static() == [], "static files asked for again"
    assert len(asked.paths) == 3  # the pages themselves were


def test_a_page_without_maths_does_not_fetch_katex(
    live_site: LiveSite, browser: Browser, asked: Asked
) -> None:
    page = browser.new_page()  # a cache of its own: nothing fetched before
    _visit(page, f"{live_site.url}/about")
    fetched = asked.static()
    assert any(p.endswith("/site.js") for p in fetched), fetched
    assert not [p for p in fetched if "katex" in p], fetched
    page.close()
