"""A reader types a phrase into an OR group and an archive into "cat:" in the search box, in
headless Chromium over the demo store: '("graph neural network" OR diffusion)' lists the papers
holding the phrase or the word (it read the phrase as words), "cat:cs" keeps every cs category (it
searched the word "cs"), and a mistyped "cat:qbio" is said, with what was meant."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite
from tests.browser.search_support import keyword_results

pytestmark = pytest.mark.browser


def test_a_phrase_or_a_word(page: Page, live_site: LiveSite) -> None:
    page.goto(live_site.url + "/search")
    phrase = keyword_results(page, '"graph neural network"')
    word = keyword_results(page, "diffusion")
    assert phrase > 0 and word > 0
    either = keyword_results(page, '("graph neural network" OR diffusion)')
    assert max(phrase, word) < either <= phrase + word


def test_an_archive_and_a_mistyped_one(page: Page, live_site: LiveSite) -> None:
    page.goto(live_site.url + "/search")
    everywhere = keyword_results(page, "diffusion")
    vision = keyword_results(page, "diffusion cat:cs.CV")
    in_cs = keyword_results(page, "diffusion cat:cs")
    assert 0 < vision < in_cs <= everywhere
    keyword_results(page, "diffusion cat:qbio")
    notice = page.get_by_role("status").filter(has_text="cat:qbio")
    expect(notice).to_contain_text("was left out of the search")
    expect(notice).to_contain_text("Did you mean q-bio?")
    assert keyword_results(page, "diffusion cat:qbio") == everywhere
