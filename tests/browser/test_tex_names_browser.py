"""Author links of names arXiv writes in TeX and of names in other scripts, clicked in Chromium."""

from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import Page, expect

from paperfeed.ingest.validate import check_paper
from paperfeed.models import Paper
from paperfeed.store import upsert_papers
from tests.browser.conftest import LiveSite


def _paper(pid: str, title: str, *authors: str) -> Paper:
    paper = Paper(
        id=pid, title=title, abstract="What we found.", authors=authors, categories=("math.CO",),
        version=1, source="test",
    )  # fmt: skip
    return check_paper(paper)[0]  # as ingest stores it


def test_author_links_lead_to_each_authors_own_page(page: Page, live_site: LiveSite) -> None:
    url = live_site.url
    first = _paper("2601.91001", r"Random graphs \`a la Erd\H{o}s", r"Paul Erd\H{o}s", "张伟")
    second = _paper("2601.91002", "Another study of graphs", "章伟")
    with live_site.engine.begin() as conn:
        upsert_papers(conn, [first, second])

    page.goto(url + "/papers/2601.91001")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Random graphs à la Erdős")
    page.locator("#authors").get_by_role("link", name="Paul Erdős", exact=True).click()
    page.wait_for_url(url + "/authors/paul-erdos")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paul Erdős")
    expect(page.locator("main")).to_contain_text("Random graphs à la Erdős")

    page.goto(url + "/papers/2601.91001")
    page.locator("#authors").get_by_role("link", name="张伟", exact=True).click()
    page.wait_for_url(url + "/authors/" + quote("张伟"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("张伟")
    expect(page.locator("main")).to_contain_text("Random graphs à la Erdős")
    expect(page.locator("main")).not_to_contain_text("Another study of graphs")
