"""A reader types a phrase and a word, and several categories, into the search box, in headless
Chromium over the demo store: '"graph neural network" diffusion' lists only papers holding both
(it listed every paper holding the phrase), and "cat:cs.CV cat:cs.LG" or "cat:(cs.CV OR cs.LG)"
keeps papers in either category (it kept no category, or searched the words "cs", "cv", "lg")."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite
from tests.browser.search_support import keyword_results

pytestmark = pytest.mark.browser


def test_a_phrase_and_a_word(page: Page, live_site: LiveSite) -> None:
    page.goto(live_site.url + "/search")
    phrase = keyword_results(page, '"graph neural network"')
    word = keyword_results(page, "diffusion")
    both = keyword_results(page, '"graph neural network" diffusion')
    assert 0 < both < phrase and both <= word


def test_several_categories(page: Page, live_site: LiveSite) -> None:
    page.goto(live_site.url + "/search")
    everywhere = keyword_results(page, "diffusion")
    vision = keyword_results(page, "diffusion cat:cs.CV")
    learning = keyword_results(page, "diffusion cat:cs.LG")
    either = keyword_results(page, "diffusion cat:cs.CV cat:cs.LG")
    assert max(vision, learning) < either <= min(vision + learning, everywhere)
    assert keyword_results(page, "diffusion cat:(cs.CV OR cs.LG)") == either
    expect(page.get_by_role("status").filter(has_text="left out")).to_have_count(0)
