"""A daily Hugging Face Papers and alphaXiv reader's clicks, in Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from paperfeed.store.tables import papers
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
