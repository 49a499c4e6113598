"""The search page as an arXiv user types into it, in headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite

pytestmark = pytest.mark.browser


def _search(page: Page, text: str) -> None:
    box = page.locator("form.search-form").get_by_label("Query")
    box.fill(text)
    box.press("Enter")


def test_arxiv_syntax_typed_into_the_search_form(page: Page, live_site: LiveSite) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_site.url + "/search")
    # "cat:cs.CL" alone: that category's newest papers, each of them in cs.CL; the notice
    # said the query had "only excluded ones".
    _search(page, "cat:cs.CL")
    expect(page.locator("article.card").first).to_be_visible()
    notice = page.locator(".notice").first
    expect(notice).to_contain_text("only a category, dates or words to leave out")
    expect(notice).not_to_contain_text("only excluded ones")
    # A citation of a paper that is stored opens with that paper alone.
    _search(page, "arXiv:2606.27538v1 [cs.CL]")
    expect(page.locator("article.card")).to_have_count(1)
    expect(page.locator("article.card").first).to_contain_text("Context-Ready Transformer")
    # One that is not stored is offered on arXiv, with no unrelated papers under the notice.
    _search(page, "https://arxiv.org/abs/2607.99999")
    expect(page.locator(".notice").first).to_contain_text("2607.99999 is not on paperfeed yet")
    expect(page.locator("article.card")).to_have_count(0)
    assert errors == []
