"""A reader surveying a field sees when each paper came out: search results, the author and
week pages and her library gave no date at all, so "Newest" could not be checked and a 2019
paper looked like this week's. Cards now show the day arXiv listed the paper (a day's own page,
which says its day above the cards, does not repeat it on each)."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from paperfeed.store.tables import papers
from paperfeed.web.render import format_day
from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser


def _listed(site: LiveSite, paper_id: str) -> date:
    with site.engine.connect() as conn:
        day = conn.execute(select(papers.c.listing_date).where(papers.c.id == paper_id)).scalar()
    assert isinstance(day, date)
    return day


def _shown_day(card: Locator) -> date:
    when = card.locator(".listed time")
    expect(when).to_be_visible()
    return date.fromisoformat(when.get_attribute("datetime") or "")


def test_search_results_and_the_library_say_when_each_paper_was_listed(
    page: Page, live_site: LiveSite
) -> None:
    sign_up(page, live_site.url, "maya")
    page.get_by_label("Search papers").fill("retrieval augmented generation")
    page.get_by_label("Search papers").press("Enter")
    form = page.locator("form.search-form")
    form.locator("summary", has_text="Filters").click()
    form.get_by_label("Sort").select_option("date")
    form.get_by_role("button", name="Search").click()
    cards = page.locator("article.card")
    expect(cards.first).to_be_visible()
    shown = []
    for i in range(min(cards.count(), 5)):
        card, paper_id = cards.nth(i), cards.nth(i).get_attribute("data-id") or ""
        day = _listed(live_site, paper_id)
        assert _shown_day(card) == day
        expect(card.locator(".listed")).to_have_text(format_day(day))
        shown.append(day)
    assert shown == sorted(shown, reverse=True)  # "Newest" is now seen to be so

    first = cards.first
    first_id = first.get_attribute("data-id") or ""
    first.get_by_role("button", name="Save").click()
    expect(first.get_by_role("button", name="Saved")).to_be_visible()
    page.goto(live_site.url + "/library")
    item = page.locator(f"article.library-item[data-id='{first_id}']")
    assert _shown_day(item) == _listed(live_site, first_id)

    page.goto(f"{live_site.url}/papers/date/{shown[0].isoformat()}")
    day_cards = page.locator("article.card")
    expect(day_cards.first).to_be_visible()
    expect(day_cards.first.locator(".listed")).to_be_hidden()  # the day is the page's heading
