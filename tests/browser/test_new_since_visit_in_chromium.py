"""In a real headless Chromium: a reader looks, time passes, new papers arrive, they sign in
again: the newest day says how many are new since their last visit, those cards say "New", and
"Show only new" lists just them; an anonymous visitor sees none of it. For you does the same
over the reader's ranking, its window links keeping the filter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update

from paperfeed.models import Paper
from paperfeed.search import embed_papers
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import users
from paperfeed.store.library.following import add_interest
from paperfeed.store.listings import latest_day
from paperfeed.store.tables import papers
from paperfeed.util import utcnow
from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser
NEW_IDS = ("2607.99901", "2607.99902")


def _sign_in(page: Page, url: str, name: str, password: str = "a long password") -> None:
    page.goto(url + "/signin")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _time_passes_and_papers_arrive(site: LiveSite, reader: str) -> None:
    """The reader's last visit was two hours ago, every paper then listed three days ago; two
    papers are ingested on the newest day now."""
    now = utcnow()
    with site.engine.begin() as conn:
        conn.execute(update(papers).values(listed_at=now - timedelta(days=3)))
        seen = update(users).where(users.c.username == reader)
        conn.execute(seen.values(last_visit_at=now - timedelta(hours=2)))
        day = latest_day(conn)
        fresh = [
            Paper(
                id=pid,
                title=f"Fresh result number {n}",
                abstract="Arrived since the reader last looked.",
                authors=("Ada Lovelace",),
                categories=("cs.LG",),
                source="listing",
                listing_date=day,
            )
            for n, pid in enumerate(NEW_IDS, 1)
        ]
        upsert_papers(conn, fresh)


def test_new_since_the_last_visit(live_site: LiveSite, browser: Browser) -> None:
    url = live_site.url
    reader = browser.new_context()
    page = reader.new_page()
    sign_up(page, url, "vera")
    page.goto(url + "/daily")
    expect(page.locator("article.card").first).to_be_visible()
    expect(page.locator(".badge.new")).to_have_count(0)  # a first visit: nothing is new
    expect(page.locator(".new-since")).to_have_count(0)
    reader.clear_cookies()

    _time_passes_and_papers_arrive(live_site, "vera")
    _sign_in(page, url, "vera")
    page.goto(url + "/")
    said = page.locator(".new-since")
    expect(said).to_contain_text("2 new since your last visit on")
    page.get_by_role("link", name="Show only new").click()
    expect(page).to_have_url(f"{url}/papers/date/{_newest(live_site)}?new=1")
    cards = page.locator("article.card")
    expect(cards).to_have_count(2)
    for pid in NEW_IDS:
        card = page.locator(f'article.card[data-id="{pid}"]')
        expect(card.locator(".badge.new")).to_have_text("New")
        expect(card.locator(".new-mark")).to_have_text("New since your last visit")
    expect(said).to_contain_text("Showing only the 2 papers new since your last visit")
    page.get_by_role("link", name="Show all papers").click()
    expect(page.locator("article.card")).not_to_have_count(2)

    anonymous = browser.new_context().new_page()
    anonymous.goto(url + "/daily?new=1")
    expect(anonymous.locator("article.card").first).to_be_visible()
    expect(anonymous.locator(".badge.new")).to_have_count(0)
    expect(anonymous.locator(".new-since")).to_have_count(0)


def _newest(site: LiveSite) -> str:
    with site.engine.connect() as conn:
        day = latest_day(conn)
    assert day is not None
    return day.isoformat()


def test_for_you_shows_only_what_is_new(live_site: LiveSite, browser: Browser) -> None:
    """A reader following cs.LG comes back to two new cs.LG papers: For you says so, "Show
    only new" lists those two, and another window keeps to the new papers."""
    url = live_site.url
    reader = browser.new_context()
    page = reader.new_page()
    sign_up(page, url, "fan")
    with live_site.engine.begin() as conn:
        user = conn.execute(select(users.c.id).where(users.c.username == "fan")).scalar_one()
        add_interest(conn, user, "follow", "category", "cs.LG", "cs.LG")
    page.goto(url + "/for-you?window=today")
    expect(page.locator(".recommended").first).to_be_visible()
    expect(page.locator(".new-since")).to_have_count(0)  # a first visit
    reader.clear_cookies()

    _time_passes_and_papers_arrive(live_site, "fan")
    embed_papers(live_site.settings, live_site.engine)
    _sign_in(page, url, "fan")
    page.goto(url + "/for-you?window=today")
    said = page.locator(".new-since")
    expect(said).to_contain_text("2 new since your last visit on")
    page.get_by_role("link", name="Show only new").click()
    expect(page).to_have_url(f"{url}/for-you?window=today&new=1")
    _only_the_new_cards(page)
    page.get_by_role("navigation", name="Window").get_by_role("link", name="This week").click()
    expect(page).to_have_url(f"{url}/for-you?window=week&new=1")
    _only_the_new_cards(page)
    expect(said).to_contain_text("Showing only the 2 papers new since your last visit")


def _only_the_new_cards(page: Page) -> None:
    expect(page.locator("article.card")).to_have_count(len(NEW_IDS))
    for pid in NEW_IDS:
        card = page.locator(f'article.card[data-id="{pid}"]')
        expect(card.locator(".badge.new")).to_have_text("New")
