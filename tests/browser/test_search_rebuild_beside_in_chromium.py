"""While a new keyword index is built beside the current one, a reader searching with the search
page's own form gets results from the current one, in headless Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from paperfeed.search import SearchService
from paperfeed.search.beside import beside
from paperfeed.search.keyword import SCHEMA_VERSION, KeywordIndex, saved_state
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from tests.digest_support import free_port, serve

pytestmark = pytest.mark.browser


def test_the_search_form_finds_papers_while_the_index_is_rebuilt_beside(
    page: Page, demo_settings: Settings, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_settings.data_dir, data, ignore=shutil.ignore_patterns("index"))
    # Any build from scratch is one searches do not wait for (they said "being built": 503).
    settings = Settings(data_dir=data, search_wait_for_build=0, _env_file=None)
    engine = open_store(settings)
    service = SearchService(settings, engine)
    service.refresh()  # the index of the previous version, which current queries can read
    service.close()
    live = settings.index_dir / "keyword"
    state = json.loads((live / "paperfeed-state.json").read_text())
    (live / "paperfeed-state.json").write_text(json.dumps(state | {"schema": SCHEMA_VERSION - 1}))
    # Another worker is building the new index beside it (it holds the new folder's writer).
    writer = KeywordIndex(beside(live)).index.writer(15_000_000, 1)
    try:
        with serve(create_app(settings, engine), free_port()) as url:
            page.goto(url + "/search")
            form = page.locator("form.search-form")
            form.get_by_label("Query").fill("graph neural networks")
            form.get_by_role("button", name="Search").click()
            expect(page.locator("article.card").first).to_be_visible()
            expect(page.locator("main")).not_to_contain_text("being built")
            assert "q=graph+neural+networks" in page.url
            assert saved_state(live)[0] == SCHEMA_VERSION - 1 and beside(live).exists()
    finally:
        writer.rollback()
        writer.wait_merging_threads()
        del writer
        engine.dispose()
