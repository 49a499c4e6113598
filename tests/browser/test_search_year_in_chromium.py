"""A reader types a year into the search page's own box, as arXiv users do, in headless
Chromium: the results are that year's papers, and a malformed year is said on the page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from paperfeed.models import Paper
from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store import open_store, upsert_papers
from paperfeed.web.app import create_app
from tests.digest_support import free_port, serve
from tests.web_support import web_settings

pytestmark = pytest.mark.browser

DIFFUSION = "Denoising diffusion models generate images by reversing a noising process."
PAPERS = [
    Paper("2403.00011", "Diffusion models of 2024", DIFFUSION, ("Ann Lee",), ("cs.CV",),
          listing_date=date(2024, 3, 5)),
    Paper("2507.00011", "Diffusion models of 2025", DIFFUSION, ("Bo Li",), ("cs.CV",),
          listing_date=date(2025, 7, 15)),
    Paper("2603.00011", "Diffusion models of 2026", DIFFUSION, ("Cy Wu",), ("cs.CV",),
          listing_date=date(2026, 3, 2)),
]  # fmt: skip


@pytest.fixture
def site_url(sqlite_settings: Settings) -> Iterator[str]:
    settings = web_settings(sqlite_settings, page_size=30)
    engine = open_store(settings)
    with engine.begin() as conn:
        upsert_papers(conn, PAPERS)
    embed_papers(settings, engine)
    try:
        with serve(create_app(settings, engine), free_port()) as url:
            yield url
    finally:
        engine.dispose()


def _search(page: Page, url: str, typed: str) -> None:
    page.goto(url + "/search")
    form = page.locator("form.search-form")
    form.get_by_label("Query").fill(typed)
    form.get_by_role("button", name="Search").click()


def test_diffusion_year_2025_lists_only_that_years_paper(page: Page, site_url: str) -> None:
    # "year:2025" was searched as the words "year" and "2025": every year's diffusion papers.
    _search(page, site_url, "diffusion year:2025")
    cards = page.locator("article.card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Diffusion models of 2025")
    expect(page.get_by_label("Query")).to_have_value("diffusion year:2025")


def test_a_malformed_year_is_said_and_the_words_still_searched(page: Page, site_url: str) -> None:
    _search(page, site_url, "diffusion year:20x5")
    expect(page.get_by_role("status").filter(has_text="year:20x5 was left out")).to_be_visible()
    expect(page.locator("article.card")).to_have_count(3)
