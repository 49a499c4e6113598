"""A reader types a field and a space into the search box ("title: diffusion"), in headless
Chromium: the field is read, and the page lists what "diffusion" lists, not only the papers that
also hold the word "title"."""

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
    assert found, summary.inner_text()
    return int(found[1].replace(",", ""))


def test_title_and_a_space_searches_the_words_after_it(page: Page, live_site: LiveSite) -> None:
    page.goto(live_site.url + "/search")
    plain = _keyword_results(page, "diffusion")
    assert plain > 10
    assert _keyword_results(page, "title: diffusion") == plain
    expect(page.locator("form.search-form").get_by_label("Query")).to_have_value(
        "title: diffusion"
    )  # what was typed stays in the box
    assert _keyword_results(page, "Title:  diffusion") == plain
