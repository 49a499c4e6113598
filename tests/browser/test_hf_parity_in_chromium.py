"""A Hugging Face Papers reader's daily moves, in Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from paperfeed.store.tables import papers
from paperfeed.web.render import paper_url
from tests.browser.conftest import LiveSite, sign_up


def test_submitting_a_paper_already_here_links_to_its_page(page: Page, live_site: LiveSite) -> None:
    with live_site.engine.connect() as conn:  # listed in 2026, months before the tests' today
        pid = conn.scalar(select(papers.c.id).where(papers.c.id.like("2606.%")).limit(1))
    assert pid is not None
    sign_up(page, live_site.url, "sharer")
    page.goto(live_site.url + "/submit")
    page.get_by_label("arXiv id or URL").fill(f"https://arxiv.org/abs/{pid}")
    page.locator("form.submit-paper button").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("only papers from the last 14 days")
    link = alert.get_by_role("link", name="Open its page here")
    expect(link).to_have_attribute("href", paper_url(pid))
    link.click()
    expect(page).to_have_url(live_site.url + paper_url(pid))
