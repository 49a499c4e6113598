"""A reader narrowing a big day (the demo's largest real listing day) to one category, in
Chromium: the select, the pages after it and the day before keep the choice."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from paperfeed.store.tables import paper_categories, papers
from paperfeed.web.periods import day_period
from tests.browser.conftest import LiveSite


def _biggest_day(site: LiveSite) -> tuple[date, int, date]:
    """The day with the most papers, how many of them are in cs.CV, and the listing day before."""
    day = papers.c.listing_date
    with site.engine.connect() as conn:
        n = func.count()
        top = conn.execute(select(day, n).group_by(day).order_by(n.desc()).limit(1)).one()[0]
        big = date.fromisoformat(str(top))
        held = select(paper_categories.c.paper_id).where(paper_categories.c.category == "cs.CV")
        wanted = select(func.count()).where(day == big, papers.c.id.in_(held))
        cv = conn.execute(wanted.where(papers.c.hidden.is_(False))).scalar_one()
        before = conn.execute(select(func.max(day)).where(day < big)).scalar_one()
    return big, int(cv), date.fromisoformat(str(before))


def test_a_reader_picks_a_category_and_pages_through_it(page: Page, live_site: LiveSite) -> None:
    """The daily page had no category filter: a reader in computer vision paged through every
    paper of a conference-season day. Choosing cs.CV lists only its papers, with the count the
    select showed, and Next page and the day before keep it."""
    big, cv, before = _biggest_day(live_site)
    assert cv > 30  # more than a page
    page.goto(live_site.url + day_period(big).path)
    page.get_by_label("Category").select_option(label=f"cs.CV ({cv:,})")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(re.escape(day_period(big).path) + r"\?category=cs\.CV$"))
    expect(page.locator(".hero .sub")).to_contain_text(f"{cv:,} papers in cs.CV")
    expect(page.get_by_label("Category")).to_have_value("cs.CV")
    page.get_by_role("link", name="Next page →").click()
    expect(page).to_have_url(re.compile(r"page=2.*category=cs\.CV|category=cs\.CV.*page=2"))
    expect(page.locator(".pager span")).to_have_text(f"Page 2 of {-(-cv // 30)}")
    expect(page.locator(".hero .sub")).to_contain_text("papers in cs.CV")
    page.locator(".days").get_by_role("link", name=re.compile("^← ")).click()
    expect(page).to_have_url(re.compile(re.escape(day_period(before).path) + r"\?category=cs\.CV$"))
    expect(page.locator(".hero .sub")).to_contain_text("papers in cs.CV")
    page.get_by_role("link", name="All categories").click()
    expect(page).to_have_url(live_site.url + day_period(before).path)
    expect(page.get_by_label("Category")).to_have_value("")
