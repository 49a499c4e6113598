"""A reader clicks Sign out while the server's disk is full: the browser is signed out anyway
and the page says the sign-in lives on the server until it expires (a real tmpfs; root only)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from tests.browser.conftest import sign_up
from tests.digest_support import free_port, serve
from tests.disk_support import small_disk, truncate_wal


def test_clicking_sign_out_on_a_full_disk_signs_this_browser_out(
    page: Page, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        port = free_port()
        settings = Settings(  # type: ignore[call-arg]
            data_dir=disk.path / "data",
            embed_model="static",
            listen_url=f"http://127.0.0.1:{port}",
            _env_file=None,
        )
        engine = open_store(settings)
        try:
            with serve(create_app(settings, engine), port) as url:
                sign_up(page, url, "ada")
                expect(page.get_by_role("button", name="Sign out")).to_be_visible()
                truncate_wal(engine)
                disk.fill()
                page.get_by_role("button", name="Sign out").click()
                expect(page.get_by_role("status")).to_contain_text(
                    "could not be ended on the server"
                )
                expect(page.get_by_role("link", name="Sign in")).to_be_visible()
                expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
                page.goto(url + "/account")
                expect(page).to_have_url(url + "/signin?next=/account")
                disk.free()
        finally:
            engine.dispose()
