"""A visitor's browser gets the home page gzipped from the page cache's kept compression (issue
14): Chromium reads it whole, and the visitor's token in it lets them upvote after signing up."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from paperfeed.web.deps import Site
from tests.browser.conftest import _serve


@dataclass
class KeptSite:
    url: str
    app: FastAPI

    def kept_home(self) -> object:
        """The page cache's entry for the home page (None: not kept)."""
        site: Site = self.app.state.site
        return site.cache.get(("/", "", site.data_version()))


@pytest.fixture
def kept_site(demo_settings: Settings, tmp_path: Path) -> Iterator[KeptSite]:
    """The demo store served, its data version trusted for an hour: a kept page is answered by
    the site middleware, before the routes, at every visit after the first."""
    data = tmp_path / "data"
    shutil.copytree(demo_settings.data_dir, data, ignore=shutil.ignore_patterns("index"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = Settings(
        data_dir=data,
        embed_model="static",
        page_cache_check_seconds=3600.0,
        listen_url=f"http://127.0.0.1:{port}",
        _env_file=None,
    )
    engine = open_store(settings)
    app = create_app(settings, engine)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    with sock:
        thread = _serve(server, sock)
        try:
            yield KeptSite(f"http://127.0.0.1:{port}", app)
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            engine.dispose()


def test_a_visitor_reads_the_kept_gzip_page_and_upvotes_from_it(
    kept_site: KeptSite, page: Page
) -> None:
    first = page.goto(kept_site.url + "/")
    assert first is not None and first.headers.get("content-encoding") == "gzip"
    cards = page.locator("article.card").count()
    assert cards > 0
    again = page.goto(kept_site.url + "/")  # from the cache, joined from its kept compression
    assert again is not None and again.headers.get("content-encoding") == "gzip"
    kept = kept_site.kept_home()
    assert kept is not None and getattr(kept, "packed", None)  # compressed with the page
    expect(page.locator("article.card")).to_have_count(cards)  # the whole page, read
    expect(page.locator("footer")).to_be_visible()

    card = page.locator("article.card").first
    card_id = card.locator(".card-body").get_attribute("id")
    assert card_id
    before = int(card.locator(".vote .count").inner_text())
    card.locator(".vote button").click()  # posts the form with the token from the gzip page
    note = card.locator(".vote-note")
    expect(note).to_contain_text("to upvote")  # a refused token would have left the page
    note.get_by_role("link", name="create an account").click()
    page.get_by_label("User name").fill("gzipreader")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(f"{kept_site.url}/papers/{card_id.removeprefix('card-')}")  # the vote counted
    vote = page.locator("form.vote").first
    expect(vote.locator("button")).to_have_attribute("aria-pressed", "true")
    expect(vote.locator(".count")).to_have_text(str(before + 1))
