"""The search page's own Sort control: "Newest" lists the relevant papers, newest first."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite

ONE_WORD = ("Rehearsed Multi-Agent", "EvalSafetyGap", "EnterpriseClawBench")


def test_newest_lists_the_relevant_papers_not_those_sharing_a_word(
    page: Page, live_site: LiveSite
) -> None:
    """Keyword search (the live site's static model finds every cs.SE paper near this query
    in meaning, so hybrid lists them all): no cs.SE paper holds more than two of the words."""
    page.goto(live_site.url + "/search")
    form = page.locator("form.search-form")
    form.get_by_label("Query").fill("retrieval-augmented generation for code")
    form.get_by_label("Keyword").check()
    form.locator("summary", has_text="Filters").click()
    form.get_by_label("Category").fill("cs.SE")
    form.get_by_role("button", name="Search").click()
    cards = page.locator("article.card")
    expect(cards).to_have_count(8)  # by relevance, the papers sharing one word come last
    expect(cards.last).to_contain_text("EvalSafetyGap")
    form = page.locator("form.search-form")
    form.get_by_label("Sort").select_option("date")
    form.get_by_role("button", name="Search").click()
    expect(page.locator("p.sub")).to_contain_text("3 results")
    expect(cards).to_have_count(3)
    for weak in ONE_WORD:
        expect(cards.filter(has_text=weak)).to_have_count(0)
    expect(cards.filter(has_text="UnBias-Plus")).to_have_count(1)  # two words, as the best
    assert "sort=date" in page.url and "mode=keyword" in page.url
    # One word: every paper holding it, newest first, as many as by relevance.
    form = page.locator("form.search-form")
    form.get_by_label("Query").fill("quantum")
    form.get_by_label("Category").fill("")
    form.get_by_role("button", name="Search").click()
    expect(page.locator("p.sub")).to_contain_text("14 results")
    form = page.locator("form.search-form")
    form.get_by_label("Sort").select_option("relevance")
    form.get_by_role("button", name="Search").click()
    expect(page.locator("p.sub")).to_contain_text("14 results")
