"""A reader following one category from day to day in Chromium (the demo's real listing days):
the next day's link skips the days with none of its papers."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect
from sqlalchemy import select

from paperfeed.store.tables import paper_categories, papers
from paperfeed.web.periods import day_period
from tests.browser.conftest import LiveSite


def _gap(site: LiveSite) -> tuple[str, date, date]:
    """A category with papers on two listing days and none on a listing day between them."""
    day = papers.c.listing_date
    pairs = select(paper_categories.c.category, day).join(papers)
    pairs = pairs.where(papers.c.hidden.is_(False), day.is_not(None))
    with site.engine.connect() as conn:
        rows = [(str(c), date.fromisoformat(str(d))) for c, d in conn.execute(pairs.distinct())]
        listed = sorted(
            {
                date.fromisoformat(str(d))
                for d in conn.scalars(select(day).distinct().where(day.is_not(None)))
            }
        )
    held: dict[str, set[date]] = {}
    for cat, d in rows:
        held.setdefault(cat, set()).add(d)
    for cat in sorted(held):
        days = sorted(held[cat])
        for first, then in zip(days, days[1:], strict=False):
            if any(first < d < then for d in listed):
                return cat, first, then
    raise AssertionError("no category skips a listing day")


def test_next_day_goes_to_the_next_day_with_the_categorys_papers(
    page: Page, live_site: LiveSite
) -> None:
    """On one category's papers, the next day's link led to a day with "0 papers in" it; it
    now leads to the next day that has some, and the previous day's link back."""
    cat, first, then = _gap(live_site)
    page.goto(f"{live_site.url}{day_period(first).path}?category={cat}")
    expect(page.locator(".hero .sub")).to_contain_text(f"papers in {cat}")
    label = f"{then:%b} {then.day}"
    page.locator(".days").get_by_role("link", name=f"{label} →").click()
    path = re.escape(f"{day_period(then).path}?category={cat}")
    expect(page).to_have_url(re.compile(path + "$"))
    expect(page.locator(".hero .sub")).not_to_contain_text(" 0 papers")
    expect(page.locator(".cards article").first).to_be_visible()
    page.locator(".days").get_by_role("link", name=f"← {first:%b} {first.day}").click()
    expect(page).to_have_url(
        re.compile(re.escape(f"{day_period(first).path}?category={cat}") + "$")
    )
