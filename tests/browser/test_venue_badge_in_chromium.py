"""In conference season a reader paging through the day sees which papers say where they were
accepted (from their real arXiv comments) and finds the venue again on the paper's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite

pytestmark = pytest.mark.browser

DAY = "/papers/date/2026-07-01"
ACCEPTED = "2606.30777"  # comment: "Accepted to ECCV 2026"
WORKSHOP = "2606.30774"  # "9 pages, 7 figures, accepted to the RLxF Workshop at ICML 2026"


def _page_with(page: Page, pid: str) -> None:
    """Click "Next page" until the paper's card is on the page."""
    card = page.locator(f'article.card[data-id="{pid}"]')
    while not card.count():
        page.get_by_role("link", name="Next page →").click()
    expect(card).to_be_visible()


def test_a_reader_sees_the_venue_on_a_card_and_on_the_paper_page(
    page: Page, live_site: LiveSite
) -> None:
    page.goto(live_site.url + DAY)
    _page_with(page, ACCEPTED)
    card = page.locator(f'article.card[data-id="{ACCEPTED}"]')
    badge = card.locator(".badge.venue")
    expect(badge).to_have_text("ECCV 2026")
    expect(badge).to_have_attribute("title", "Accepted to ECCV 2026")
    card.locator("h3 a").click()
    expect(page).to_have_url(re.compile(re.escape(f"/papers/{ACCEPTED}") + "$"))
    expect(page.locator("dd.venue")).to_have_text("ECCV 2026")
    page.goto(live_site.url + DAY)
    _page_with(page, WORKSHOP)
    workshop = page.locator(f'article.card[data-id="{WORKSHOP}"] .badge.venue')
    expect(workshop).to_have_text("ICML 2026 Workshop")
