"""A weekly digest's "…and N more" link, opened in Chromium: the run of the digest's days (two
ISO weeks and two months), where a reader picks a category and sorts, staying on those days."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect

from paperfeed.digest.more import listing_path
from tests.browser.conftest import LiveSite
from tests.web_support import on_day

DAYS = (date(2026, 6, 25), date(2026, 7, 1))  # Thursday of week 26 to Wednesday of week 27


def test_the_link_of_a_weekly_digest_shows_its_days_and_keeps_them(
    page: Page, live_site: LiveSite
) -> None:
    """The link led to week 27, without 25 and 26 June; the page of the digest's days lists
    them, and the category picked and the order chosen keep to those days."""
    path = listing_path(DAYS)
    assert path == "/papers/days/2026-06-25..2026-07-01"
    held = {d: on_day(live_site.engine, d) for d in (date(2026, 6, 25), date(2026, 6, 26))}
    cat = next(c for p in held[date(2026, 6, 25)].values() for c in p.categories)
    page.goto(live_site.url + path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Jun 25 – Jul 1")
    expect(page.locator(".hero .sub")).to_contain_text("25 Jun 2026 – 1 Jul 2026")
    atom = page.locator("p.feeds").get_by_role("link", name="Atom")  # the run's own feed
    expect(atom).to_have_attribute(
        "href", re.compile(r"/feeds/daily\.atom\?days=" + re.escape(path.rsplit("/", 1)[1]) + "$")
    )
    page.get_by_label("Category").select_option(value=cat)
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(re.escape(f"{path}?category={cat}") + "$"))
    expect(page.locator(".hero .sub")).to_contain_text(f"papers in {cat}")
    page.locator(".sort-by").get_by_role("link", name="newest").click()
    expect(page).to_have_url(re.compile(re.escape(f"{path}?sort=new&category={cat}") + "$"))
    days = [date(2026, 6, d) for d in range(25, 31)] + [date(2026, 7, 1)]
    mine = {k for d in days for k, p in on_day(live_site.engine, d).items() if cat in p.categories}
    early = {k for d in held.values() for k in d}
    assert mine & early  # papers of the days week 27 does not have
    n = len(mine)
    expect(page.locator(".hero .sub")).to_contain_text(f"{n:,} paper{'' if n == 1 else 's'} in")
    page.locator(".days").get_by_role("link", name="Week").click()
    expect(page).to_have_url(re.compile(re.escape("/papers/week/2026-W27?sort=new")))
