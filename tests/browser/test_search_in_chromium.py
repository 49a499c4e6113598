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


def test_the_search_pages_own_form_keeps_its_filters(page: Page, live_site: LiveSite) -> None:
    """A category typed in lower case, a sort by date, and "Did you mean" that keeps both."""
    page.goto(live_site.url + "/search")
    form = page.locator("form.search-form")
    form.get_by_label("Query").fill("grpah neural networks")
    form.locator("summary", has_text="Filters").click()
    form.get_by_label("Category").fill("cs.lg")
    form.get_by_label("Sort").select_option("date")
    form.get_by_role("button", name="Search").click()
    summary = page.locator("p.sub")
    expect(summary).to_contain_text("Did you mean")
    page.get_by_role("link", name="graph neural networks").click()
    expect(summary).to_contain_text("Newest matches for “graph neural networks”")
    expect(page.locator("form.search-form").get_by_label("Category")).to_have_value("cs.LG")
    expect(page.locator("form.search-form").get_by_label("Sort")).to_have_value("date")
    assert "category=cs.LG" in page.url and "sort=date" in page.url
    cards = page.locator("article.card")
    expect(cards.first).to_be_visible()
    for i in range(min(cards.count(), 5)):
        expect(cards.nth(i)).to_contain_text("cs.LG")
    # Only excluded words: hybrid answers with keyword results and says why, not "unavailable".
    form = page.locator("form.search-form")
    form.get_by_label("Query").fill("-robot")
    form.get_by_role("button", name="Search").click()
    expect(page.locator("p.notice")).to_contain_text("no words for hybrid search to compare")
    expect(page.locator("main")).not_to_contain_text("unavailable right now")
