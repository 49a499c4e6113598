"""A reader types a name without its umlaut, as a German keyboard-less reader spells it out,
into the header box and into the search page's author filter, in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator

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

PAPERS = [
    Paper(
        id="2607.00201",
        title="Multimodal Schrödinger Bridge for Deepfake Localization",
        abstract="We learn a Schrödinger bridge between real and forged images.",
        authors=("Thomas Müller", "Ann Lee"),
        categories=("cs.CV",),
    ),
    Paper(
        id="2607.00202",
        title="Bridges between image domains",
        abstract="Paired translation of images without a diffusion prior.",
        authors=("Ann Lee",),
        categories=("cs.CV",),
    ),
]


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


def test_schroedinger_typed_in_the_header_finds_schroedinger_with_its_umlaut(
    page: Page, site_url: str
) -> None:
    page.goto(site_url + "/")
    header = page.locator("form.searchbox")
    header.get_by_label("Search papers").fill("Schroedinger bridge")
    header.get_by_role("button", name="Search").click()
    first = page.locator("article.card").first
    expect(first).to_contain_text("Multimodal Schrödinger Bridge")
    expect(first.locator("mark").first).to_have_text("Schrödinger")
    expect(page.locator(".suggestion")).to_have_count(0)  # no "Did you mean schrodinger"


def test_the_author_filter_spelled_out_finds_the_name_with_its_umlaut(
    page: Page, site_url: str
) -> None:
    page.goto(site_url + "/search")
    form = page.locator("form.search-form")
    form.get_by_label("Query").fill("bridge")
    form.locator("summary", has_text="Filters").click()
    form.get_by_label("Author").fill("Thomas Mueller")
    form.get_by_role("button", name="Search").click()
    expect(page.locator("article.card")).to_have_count(1)
    expect(page.locator("article.card")).to_contain_text("Thomas Müller")
