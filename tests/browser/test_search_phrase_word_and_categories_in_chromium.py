"""A reader types a phrase and a word, and several categories, into the search box, in headless
Chromium over the demo store: '"graph neural network" diffusion' lists only papers holding both
(it listed every paper holding the phrase), and "cat:cs.CV cat:cs.LG" or "cat:(cs.CV OR cs.LG)"
keeps papers in either category (it kept no category, or searched the words "cs", "cv", "lg")."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite

pytestmark = pytest.mark.browser


def _keyword_results(page: Page, text: str) -> int:
    form = page.locator("form.search-form")
    form.get_by_label("Query").fill(text)
    form.get_by_label("Keyword").check()
    form.get_by_role("button", name="Search").click()
    summary = page.locator("p.sub")
    expect(summary).to_contain_text("(keyword)")
    found = re.search(r"([\d,]+) results? for", summary.inner_text())
    if found is None:
        expect(summary).to_contain_text("No results")
        return 0
    return int(found[1].replace(",", ""))


def test_a_phrase_and_a_word(page: Page, live_site: LiveSite) -> None:
    page.goto(live_site.url + "/search")
    phrase = _keyword_results(page, '"graph neural network"')
    word = _keyword_results(page, "diffusion")
    both = _keyword_results(page, '"graph neural network" diffusion')
    assert 0 < both < phrase and both <= word


def test_several_categories(page: Page, live_site: LiveSite) -> None:
    page.goto(live_site.url + "/search")
    everywhere = _keyword_results(page, "diffusion")
    vision = _keyword_results(page, "diffusion cat:cs.CV")
    learning = _keyword_results(page, "diffusion cat:cs.LG")
    either = _keyword_results(page, "diffusion cat:cs.CV cat:cs.LG")
    assert max(vision, learning) < either <= min(vision + learning, everywhere)
    assert _keyword_results(page, "diffusion cat:(cs.CV OR cs.LG)") == either
    expect(page.get_by_role("status").filter(has_text="left out")).to_have_count(0)
