"""The daily pages' 'Go to day' calendar on a Saturday, in Chromium."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from paperfeed.store.tables import papers
from paperfeed.web.periods import day_period
from tests.browser.conftest import LiveSite


def test_a_saturday_picked_opens_the_friday_before(page: Page, live_site: LiveSite) -> None:
    """A reader picking a Saturday got '0 papers · No papers for …'; arXiv announces nothing
    at weekends, so the calendar now opens the nearest listing day before, saying so."""
    with live_site.engine.connect() as conn:
        listed = conn.scalars(select(func.distinct(papers.c.listing_date))).all()
    days = sorted(date.fromisoformat(str(d)) for d in listed if d is not None)
    saturdays = [d + timedelta(days=5 - d.weekday()) for d in days if d.weekday() < 5]
    saturday = next(s for s in reversed(saturdays) if days[0] < s < days[-1] and s not in days)
    friday = max(d for d in days if d < saturday)
    page.goto(live_site.url + day_period(days[-1]).path + "?sort=new")
    page.get_by_label("Go to day").fill(saturday.isoformat())
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page).to_have_url(
        live_site.url + day_period(friday).path + f"?sort=new&asked={saturday.isoformat()}"
    )
    expect(page.locator("h1")).to_have_text(day_period(friday).heading)
    expect(page.get_by_role("status")).to_contain_text(
        f"No papers were announced on {day_period(saturday).subheading}"
        " (arXiv announces none at weekends): here is the nearest day before it."
    )
    expect(page.locator("article.card").first).to_be_visible()
    expect(page.locator(".sort-by [aria-current]")).to_have_text("newest")
    expect(page.get_by_label("Go to day")).to_have_value(friday.isoformat())
