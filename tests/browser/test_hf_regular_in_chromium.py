"""A daily Hugging Face Papers and alphaXiv reader's clicks, in Chromium."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from paperfeed.store.accounts import add_submission, find_user
from paperfeed.store.tables import papers
from paperfeed.web.periods import day_period
from paperfeed.web.render import paper_url
from tests.browser.conftest import LiveSite, sign_up


def test_a_hugging_face_paper_address_is_submitted_as_its_arxiv_paper(
    page: Page, live_site: LiveSite
) -> None:
    """Pasting the huggingface.co/papers address was refused as "not an arXiv id"."""
    with live_site.engine.connect() as conn:  # listed in 2026, months before the tests' today
        pid = conn.scalar(select(papers.c.id).where(papers.c.id.like("2606.%")).limit(1))
    assert pid is not None
    sign_up(page, live_site.url, "hfreader")
    page.goto(live_site.url + "/submit")
    page.get_by_label("arXiv id or URL").fill(f"https://huggingface.co/papers/{pid}")
    page.locator("form.submit-paper button").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("only papers from the last 14 days")
    alert.get_by_role("link", name="Open its page here").click()
    expect(page).to_have_url(live_site.url + paper_url(pid))


@pytest.mark.parametrize("javascript", [True, False])
def test_the_calendar_opens_the_day_picked(
    browser: Browser, live_site: LiveSite, javascript: bool
) -> None:
    """The daily page had previous/next and week/month, but no calendar to go to a day."""
    with live_site.engine.connect() as conn:
        listed = conn.scalars(select(func.distinct(papers.c.listing_date))).all()
    days = sorted(date.fromisoformat(str(d)) for d in listed if d is not None)
    first, older = days[0], days[-3]
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(live_site.url + "/daily")
    picker = page.get_by_label("Go to day")
    expect(picker).to_have_attribute("min", first.isoformat())
    expect(picker).to_have_attribute("max", days[-1].isoformat())
    picker.fill(older.isoformat())
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page).to_have_url(live_site.url + day_period(older).path)
    expect(page.locator("h1")).to_have_text(day_period(older).heading)
    expect(page.get_by_label("Go to day")).to_have_value(older.isoformat())
    context.close()


def test_a_day_sorted_newest_first_stays_so_from_day_to_day(
    page: Page, live_site: LiveSite
) -> None:
    """Daily pages listed the most upvoted first only; arXiv readers want the newest first."""
    with live_site.engine.connect() as conn:
        listed = conn.scalars(select(func.distinct(papers.c.listing_date))).all()
        days = sorted(date.fromisoformat(str(d)) for d in listed if d is not None)
        newest_of = {
            day: conn.scalar(select(func.max(papers.c.id)).where(papers.c.listing_date == day))
            for day in days[-2:]
        }
    page.goto(live_site.url + "/daily")
    page.locator(".sort-by").get_by_role("link", name="newest").click()
    expect(page).to_have_url(live_site.url + day_period(days[-1]).path + "?sort=new")
    expect(page.locator("article.card").first).to_have_attribute("data-id", newest_of[days[-1]])
    page.get_by_role("navigation", name="Dates").get_by_role("link", name="←").click()
    expect(page).to_have_url(live_site.url + day_period(days[-2]).path + "?sort=new")
    expect(page.locator("article.card").first).to_have_attribute("data-id", newest_of[days[-2]])
    expect(page.locator(".sort-by b")).to_have_text("newest")
    page.locator(".sort-by").get_by_role("link", name="most upvoted").click()
    expect(page).to_have_url(live_site.url + day_period(days[-2]).path)


def test_a_paper_page_s_submitter_and_markdown_links_and_hf_s_search_address(
    page: Page, live_site: LiveSite
) -> None:
    """The paper page's "Submitted by dana" was plain text and it offered no Markdown for agents;
    HF's search address (/papers?q=…) led to /daily without the words."""
    with live_site.engine.connect() as conn:
        pid = conn.scalar(select(papers.c.id).limit(1))
    assert pid is not None
    sign_up(page, live_site.url, "dana")
    with live_site.engine.begin() as conn:
        found = find_user(conn, "dana")
        assert found is not None
        add_submission(conn, pid, found[0].id, date(2026, 6, 24))
    page.goto(live_site.url + paper_url(pid))
    page.locator("p.credit").get_by_role("link", name="dana").click()
    expect(page).to_have_url(live_site.url + "/users/dana")
    page.go_back()
    alternate = page.locator('link[rel="alternate"][type="text/markdown"]')
    expect(alternate).to_have_attribute("href", paper_url(pid) + ".md")
    page.locator("#cite").get_by_role("link", name="This paper as Markdown").click()
    expect(page).to_have_url(live_site.url + paper_url(pid) + ".md")
    expect(page.locator("body")).to_contain_text("## Abstract")
    page.goto(live_site.url + "/papers?q=graph")
    expect(page).to_have_url(live_site.url + "/search?q=graph")
    expect(page.get_by_role("searchbox").first).to_have_value("graph")
