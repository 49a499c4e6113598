"""A paper's keywords, clicked in Chromium as a Hugging Face Papers reader clicks them."""

from __future__ import annotations

from urllib.parse import urlencode

from playwright.sync_api import Page, expect

from paperfeed.keyphrases import keyphrases
from paperfeed.store import get_papers
from paperfeed.web.render import paper_url
from tests.browser.a11y_support import checked, screens
from tests.browser.conftest import LiveSite

PID = "2606.29010"  # "Pure Nash Equilibria under the Affine Mechanism: ..." (a demo paper)


def test_a_keyword_opens_a_search_that_lists_the_paper(page: Page, live_site: LiveSite) -> None:
    with live_site.engine.connect() as conn:
        paper = get_papers(conn, [PID])[PID]
    wanted = keyphrases(paper)
    page.goto(live_site.url + paper_url(PID))
    row = page.locator("#facts dd").filter(has=page.locator("#keywords-note"))
    expect(row.get_by_role("link")).to_have_text(list(wanted))
    expect(row).to_contain_text("extracted automatically")
    row.get_by_role("link", name=wanted[0], exact=True).click()
    expect(page).to_have_url(live_site.url + "/search?" + urlencode({"q": wanted[0]}))
    expect(page.locator(f'article.card[data-id="{PID}"]')).to_be_visible()


def test_the_keywords_row_passes_axe_on_light_dark_desktop_and_phone(
    page: Page, live_site: LiveSite
) -> None:
    page.goto(live_site.url + paper_url(PID))
    row = page.locator("#facts dd").filter(has=page.locator("#keywords-note"))
    found: list[str] = []
    for scheme, width in screens(page):
        expect(row.get_by_role("link").first).to_be_visible()
        found += checked(page, f"paper page with keywords ({scheme}, {width} px)", width)
    assert found == []
