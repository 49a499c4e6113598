"""With the search index folder deleted and its build held, a reader searching with the search
page's own Search button gets papers from the store and a notice that search is being rebuilt,
in headless Chromium (it was a 503 page for the whole build)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from paperfeed.search import SearchService
from paperfeed.search.keyword import KeywordIndex
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from tests.digest_support import free_port, serve

pytestmark = pytest.mark.browser


def test_the_search_button_finds_papers_while_the_index_is_built_from_scratch(
    page: Page, demo_settings: Settings, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_settings.data_dir, data, ignore=shutil.ignore_patterns("index"))
    settings = Settings(data_dir=data, search_wait_for_build=0, _env_file=None)
    engine = open_store(settings)
    service = SearchService(settings, engine)
    service.refresh()
    service.close()
    live = settings.index_dir / "keyword"
    shutil.rmtree(live)  # the operator's index folder is gone
    writer = KeywordIndex(live).index.writer(15_000_000, 1)  # another worker builds it, held
    try:
        with serve(create_app(settings, engine), free_port()) as url:
            page.goto(url + "/search")
            form = page.locator("form.search-form")
            form.get_by_label("Query").fill("graph neural networks")
            form.get_by_role("button", name="Search").click()
            expect(page.locator("article.card").first).to_be_visible()
            notice = page.locator("p.notice.rebuilding")
            expect(notice).to_contain_text("Search is being rebuilt (0% done)")
            expect(notice).to_contain_text("may miss papers")
            assert "q=graph+neural+networks" in page.url
    finally:
        writer.rollback()
        writer.wait_merging_threads()
        del writer
        engine.dispose()
