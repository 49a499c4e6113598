"""The first hour of a new user, in headless Chromium: every control a page offers works."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from paperfeed.store.listings import latest_day
from tests.browser.conftest import LiveSite

pytestmark = pytest.mark.browser


def _search_button(page: Page) -> None:
    page.locator("form.search-form").get_by_role("button", name="Search").click()


def _filters(page: Page) -> None:
    filters = page.locator("details.filters")
    if filters.get_attribute("open") is None:
        filters.locator("summary").click()


def test_every_search_form_control_works(page: Page, live_site: LiveSite) -> None:
    with live_site.engine.connect() as conn:
        newest = latest_day(conn)
    assert newest is not None
    since, until = (newest - timedelta(days=30)).isoformat(), newest.isoformat()
    form = "form.search-form"

    def mode(p: Page) -> None:
        p.locator(form).get_by_label("Keyword").check()

    def query(p: Page) -> None:
        p.locator(form).get_by_label("Query").fill("video diffusion")

    def dates(p: Page) -> None:
        _filters(p)
        p.get_by_label("From").fill(since)
        p.get_by_label("Until").fill(until)

    def category(p: Page) -> None:
        _filters(p)
        p.get_by_label("Category").fill("cs.CV")

    def author(p: Page) -> None:
        _filters(p)
        p.get_by_label("Author").fill("Li")

    def sort(p: Page) -> None:
        _filters(p)
        p.get_by_label("Sort").select_option("date")

    controls: dict[str, tuple[Callable[[Page], None], str]] = {
        "mode": (mode, "mode=keyword"),
        "query": (query, "q=video+diffusion"),
        "dates": (dates, f"since={since}"),
        "category": (category, "category=cs.CV"),
        "author": (author, "author=Li"),
        "sort": (sort, "sort=date"),
    }
    for name, (use, expected) in controls.items():
        page.goto(live_site.url + "/search?q=diffusion")
        use(page)
        _search_button(page)
        expect(page).to_have_url(re.compile(re.escape(expected)))
        expect(page.locator("h1"), name).to_have_text("Search")
        expect(page.locator("article.card").first, name).to_be_visible()

    # All at once, then a mistyped date gets a plain answer, not a crash.
    page.goto(live_site.url + "/search?q=diffusion")
    for use, _ in controls.values():
        use(page)
    _search_button(page)
    expect(page.locator("p.sub")).to_contain_text("video diffusion")
    page.goto(live_site.url + "/search?q=diffusion&since=yesterday")
    expect(page.locator("main")).to_contain_text("give a date as YYYY-MM-DD")
