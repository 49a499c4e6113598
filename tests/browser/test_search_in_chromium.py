"""Search says what it found, in headless Chromium: "did you mean", no results, best matches."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite

pytestmark = pytest.mark.browser


def test_did_you_mean_and_honest_counts(page: Page, live_site: LiveSite) -> None:
    page.goto(live_site.url + "/")
    box = page.get_by_label("Search papers")
    box.fill("transfomer atention")
    box.press("Enter")
    summary = page.locator("p.sub")
    expect(summary).to_contain_text("Did you mean")
    page.get_by_role("link", name="transformer attention").click()
    expect(page.locator("article.card").first).to_be_visible()
    expect(summary).to_contain_text("transformer attention")
    expect(summary).not_to_contain_text("Did you mean")

    page.get_by_label("Search papers").fill("xqzv blorptang frimble")
    page.get_by_label("Search papers").press("Enter")
    expect(summary).to_contain_text("No results")
    assert page.locator("article.card").count() == 0

    page.get_by_label("Search papers").fill("graph neural networks")
    page.get_by_label("Search papers").press("Enter")
    expect(summary).to_contain_text("Best matches")  # hybrid: ranked matches, not a count
    expect(page.locator("article.card").first).to_be_visible()
