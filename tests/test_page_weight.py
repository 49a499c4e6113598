"""A reader on a slow, metered connection: compressed answers, static files kept for a year."""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.web.assets import FOREVER, STATIC, version
from tests.web_support import HOSTILE_ID, client, sign_up

GZIP = {"accept-encoding": "gzip"}
PLAIN = {"accept-encoding": "identity"}


@dataclass
class Sent:
    """An answer as sent: its body not decoded, however it was encoded."""

    status_code: int
    headers: httpx.Headers
    content: bytes


def _raw(c: TestClient, path: str, headers: dict[str, str]) -> Sent:
    with c.stream("GET", path, headers=headers) as response:
        body = b"".join(response.iter_raw())
    return Sent(response.status_code, response.headers, body)


def _static_links(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


def test_pages_api_and_static_files_come_gzipped_when_asked(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        css = next(link for link in _static_links(c.get("/").text) if link.endswith(".css"))
        paths = ["/", "/", f"/papers/{HOSTILE_ID}", "/api/daily_papers?limit=20", css]  # "/" twice:
        for path in paths:  # the second from the page cache, answered before the routes
            packed, plain = _raw(c, path, GZIP), _raw(c, path, PLAIN)
            assert packed.status_code == plain.status_code == 200, path
            assert packed.headers["content-encoding"] == "gzip", path
            assert "accept-encoding" in packed.headers["vary"].lower(), path
            assert "content-encoding" not in plain.headers, path
            body = gzip.decompress(packed.content)
            assert int(packed.headers["content-length"]) < len(body), path
            if path.startswith("/static/"):
                assert body == plain.content == (STATIC / "site.css").read_bytes()


def test_a_large_static_file_streams_gzipped_whole(site: Settings, engine: Engine) -> None:
    """katex.min.js goes out in several chunks: each one compressed, the whole intact."""
    with client(site, engine) as c:
        packed = _raw(c, f"/static/v/{version()}/katex/katex.min.js", GZIP)
    assert packed.headers["content-encoding"] == "gzip"
    assert gzip.decompress(packed.content) == (STATIC / "katex/katex.min.js").read_bytes()


def test_feeds_fonts_and_small_answers_are_not_compressed_twice(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        feed = _raw(c, "/feeds/daily.rss", GZIP)  # the feed gzips itself, once
        assert feed.headers["content-encoding"] == "gzip"
        assert gzip.decompress(feed.content).startswith(b"<?xml")
        fonts = sorted((STATIC / "katex/fonts").glob("*.woff2"))
        font = _raw(c, f"/static/v/{version()}/katex/fonts/{fonts[0].name}", GZIP)
        assert "content-encoding" not in font.headers  # woff2 is compressed already
        assert font.content == fonts[0].read_bytes()
        small = _raw(c, "/healthz", GZIP)
        assert small.status_code == 200 and "content-encoding" not in small.headers


def test_pages_link_versioned_static_files_kept_for_a_year(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        links = _static_links(c.get("/").text)
        assert links and all(link.startswith(f"/static/v/{version()}/") for link in links)
        for link in links:
            answer = c.get(link)
            assert answer.status_code == 200 and answer.headers["cache-control"] == FOREVER
            again = c.get(link, headers={"if-none-match": answer.headers["etag"]})
            assert again.status_code == 304 and again.headers["cache-control"] == FOREVER
        # Unversioned, or from another release: kept, but checked with the server first.
        for path in ("/static/site.css", "/static/v/0123456789ab/site.css"):
            answer = c.get(path)
            assert answer.status_code == 200 and answer.headers["cache-control"] == "no-cache"
        assert c.get(f"/static/v/{version()}/nothing.css").status_code == 404
        assert c.get(f"/static/v/{version()}/../../app.py").status_code == 404


def test_signed_in_readers_keep_static_files_too(site: Settings, engine: Engine) -> None:
    """Signed in, every static file came with `private, no-store`: each page fetched them all
    again (about 350 KB at every click). Pages stay private, static files are kept."""
    with client(site, engine) as c:
        sign_up(c, "metered")
        page = c.get("/for-you")
        assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
        links = _static_links(page.text)
        assert links
        for link in links:
            assert c.get(link).headers["cache-control"] == FOREVER, link


def test_math_renderer_is_named_not_loaded_by_the_page(site: Settings, engine: Engine) -> None:
    """KaTeX (300 KB) is not in the page's head: the page's script fetches it, from the
    versioned folder the body names, when there is a formula to typeset."""
    with client(site, engine) as c:
        html = c.get(f"/papers/{HOSTILE_ID}").text
        assert "katex.min" not in html
        [folder] = re.findall(r'data-katex="([^"]+)"', html)
        assert folder == f"/static/v/{version()}/katex/"
        for name in ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js"):
            answer = c.get(folder + name)
            assert answer.status_code == 200 and answer.headers["cache-control"] == FOREVER
