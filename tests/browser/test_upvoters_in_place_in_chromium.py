"""Who upvoted, updated in place: a reader who shows their upvotes publicly upvotes a paper
with the page's script (no reload), in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import LiveSite
from tests.browser.test_public_upvotes_in_chromium import _reader, _set_public
from tests.web_support import HOSTILE_ID

pytestmark = pytest.mark.browser


def test_upvoting_in_place_names_you_at_once_and_undoing_takes_it_off(
    live_site: LiveSite, browser: Browser
) -> None:
    """The count moved in place, but 'Upvoted by …' waited for a reload."""
    context, page = _reader(browser, live_site.url, "inplacereader")
    try:
        _set_public(page, live_site.url, True)
        page.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
        expect(page.locator("#upvoters")).to_have_count(0)  # 3 upvotes, none named
        page.evaluate("window.stillThisPage = true")
        button = page.locator(".actions form.vote button")
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
        line = page.locator("#upvoters")
        expect(line).to_have_text("Upvoted by inplacereader and 3 others")
        expect(line.get_by_role("link", name="inplacereader")).to_have_attribute(
            "href", "/users/inplacereader"
        )
        button.click()
        expect(button).to_have_attribute("aria-pressed", "false")
        expect(page.locator("#upvoters")).to_have_count(0)
        assert page.evaluate("window.stillThisPage") is True  # in place: no reload
    finally:
        context.close()
