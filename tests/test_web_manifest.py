"""The web app manifest: served to a browser without cookies, private sites included, and its
addresses under the path the site is served at."""

from __future__ import annotations

from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import open_store
from tests.web_support import client, web_settings


def test_a_private_site_gives_its_manifest_to_a_browser_without_cookies(
    settings: Settings, engine: Engine
) -> None:
    """Browsers fetch the manifest without the reader's cookies: on a private site it was sent
    to sign in, so a signed-in reader's phone could not add the site as an app."""
    with client(web_settings(settings, private=True, signup="closed"), engine) as c:
        got = c.get("/manifest.webmanifest", follow_redirects=False)
        assert got.status_code == 200
        assert got.headers["content-type"] == "application/manifest+json"
        assert got.json()["start_url"] == "/"
        assert c.get("/", follow_redirects=False).status_code == 303  # the rest stays shut


def test_the_manifests_addresses_lie_under_the_base_urls_path(
    sqlite_settings: Settings,
) -> None:
    s = web_settings(sqlite_settings, base_url="https://lab.example/papers")
    engine = open_store(s)
    try:
        with client(s, engine) as c:
            read = c.get("/papers/manifest.webmanifest").json()
            for icon in read["icons"]:
                assert icon["src"].startswith("/papers/static/v/")
                assert c.get(icon["src"]).status_code == 200
            assert read["start_url"] == read["scope"] == "/papers/"
            assert 'rel="manifest" href="/papers/manifest.webmanifest"' in c.get("/papers/").text
    finally:
        engine.dispose()
