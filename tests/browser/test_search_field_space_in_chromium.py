"""A reader types a field and a space into the search box ("title: diffusion"), in headless
Chromium: the field is read, and the page lists what "diffusion" lists, not only the papers that
also hold the word "title"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite
from tests.browser.search_support import keyword_results

pytestmark = pytest.mark.browser


def test_title_and_a_space_searches_the_words_after_it(page: Page, live_site: LiveSite) -> None:
    page.goto(live_site.url + "/search")
    plain = keyword_results(page, "diffusion")
    assert plain > 10
    assert keyword_results(page, "title: diffusion") == plain
    expect(page.locator("form.search-form").get_by_label("Query")).to_have_value(
        "title: diffusion"
    )  # what was typed stays in the box
    assert keyword_results(page, "Title:  diffusion") == plain
