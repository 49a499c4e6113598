"""A reader in conference season types a venue phrase into the search box ("ECCV 2026") in
headless Chromium and clicks Search: the papers whose arXiv comments or journal reference name
it are listed, not only those whose title or abstract says it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import ColumnElement, func, or_, select

from paperfeed.store.tables import papers
from tests.browser.conftest import LiveSite
from tests.browser.search_support import keyword_results

pytestmark = pytest.mark.browser


def _holding(site: LiveSite, *columns: ColumnElement[str]) -> int:
    """How many stored papers say "ECCV 2026" in one of these columns."""
    said = [func.lower(func.coalesce(c, "")).contains("eccv 2026") for c in columns]
    with site.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(or_(*said))).scalar_one())


def test_a_venue_phrase_finds_the_papers_whose_comments_name_it(
    page: Page, live_site: LiveSite
) -> None:
    c = papers.c
    in_text = _holding(live_site, c.title, c.abstract)
    expected = _holding(live_site, c.title, c.abstract, c.comments, c.journal_ref)
    assert expected > 100 > in_text  # the demo's comments say "Accepted to ECCV 2026"
    page.goto(live_site.url + "/search")
    # The phrase found only the papers whose title or abstract said it.
    assert keyword_results(page, '"ECCV 2026"') >= expected
    expect(page.locator("form.search-form").get_by_label("Query")).to_have_value('"ECCV 2026"')
    assert keyword_results(page, 'venue:"ECCV 2026"') >= expected
