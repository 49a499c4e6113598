"""Compressed answers: a cached page is compressed once, not at every request (issue 14), and
`PAPERFEED_COMPRESS=false` leaves compression to a proxy."""

from __future__ import annotations

import gzip
import random
import re
import string

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.web import compress, csrf
from paperfeed.web.cache import Cached
from paperfeed.web.deps import Site
from tests.test_page_weight import GZIP, PLAIN, Sent, _raw
from tests.web_support import HOSTILE_ID, client, sign_up

_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')
API = "/api/daily_papers?limit=20"


@pytest.fixture
def kept_site(site: Settings) -> Settings:
    """The test site with its data version trusted for an hour (as in production, for a
    second): the site middleware answers kept pages itself, before the routes."""
    return site.model_copy(update={"page_cache_check_seconds": 3600.0})


def _kept(c: TestClient, path: str, query: str = "") -> Cached:
    site: Site = c.app.state.site  # type: ignore[attr-defined]
    hit = site.cache.get((path, query, site.data_version()))
    assert hit is not None, f"{path} is not in the page cache"
    return hit


def _tokens_valid(c: TestClient, html: str) -> bool:
    """Every form field holds a token that the site takes from this browser."""
    site: Site = c.app.state.site  # type: ignore[attr-defined]
    tokens = _TOKEN.findall(html)
    cookie = c.cookies[csrf.CSRF_COOKIE]
    return bool(tokens) and all(csrf.is_valid(site.secret, cookie, t) for t in tokens)


def _same_page(one: str, other: str) -> bool:
    """The same page but for the form tokens (masked afresh at every answer)."""
    blank = 'name="csrf_token" value=""'
    return _TOKEN.sub(blank, one) == _TOKEN.sub(blank, other)


def _gunzipped(sent: Sent) -> str:
    assert sent.status_code == 200
    assert sent.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in sent.headers["vary"].lower()
    assert int(sent.headers["content-length"]) == len(sent.content)
    body = gzip.decompress(sent.content)  # checks the CRC and the length too
    assert not body.startswith(b"\x1f\x8b")  # compressed once, not twice
    return body.decode()


def test_a_cached_page_is_compressed_once_for_every_visitor(
    kept_site: Settings, engine: Engine
) -> None:
    """The home page from the page cache: gzipped from the compression kept with it, each
    visitor's own form token in it, the same page as the plain answer."""
    with client(kept_site, engine) as c:
        first = _gunzipped(_raw(c, "/", GZIP))  # rendered by the route: the middleware compresses
        assert _tokens_valid(c, first)
        kept = _kept(c, "/")
        assert kept.packed == {}  # nothing compressed with the page yet
        second = _gunzipped(_raw(c, "/", GZIP))  # from the cache
        [packed] = kept.packed.values()
        third = _gunzipped(_raw(c, "/", GZIP))
        assert list(kept.packed.values()) == [packed] and kept.packed[packed.field] is packed
        assert len(packed.plain) == len(_TOKEN.findall(second)) + 1 > 2  # split at its forms
        plain = _raw(c, "/", PLAIN)
        assert "content-encoding" not in plain.headers
        assert "accept-encoding" in plain.headers["vary"].lower()
        assert int(plain.headers["content-length"]) == len(plain.content)
        text = plain.content.decode()
        for page in (second, third, text):
            assert _same_page(page, first) and _tokens_valid(c, page)
        assert _TOKEN.findall(second) != _TOKEN.findall(third)  # masked afresh every time
        assert len(_raw(c, "/", GZIP).content) < len(plain.content) / 3


def test_another_visitor_gets_the_kept_compression_with_their_token(
    kept_site: Settings, engine: Engine
) -> None:
    with client(kept_site, engine) as c:
        c.get("/")
        _raw(c, "/", GZIP)
    with client(kept_site, engine) as other:  # a new browser: another CSRF cookie
        page = _gunzipped(_raw(other, "/", GZIP))
        assert _tokens_valid(other, page)


def test_kept_api_answers_come_gzipped_with_a_weak_etag(
    kept_site: Settings, engine: Engine
) -> None:
    with client(kept_site, engine) as c:
        c.get(API)
        plain = _raw(c, API, PLAIN)  # from the cache: a strong tag for these very bytes
        packed = _raw(c, API, GZIP)
        assert _gunzipped(packed).encode() == plain.content
        tag, weak = plain.headers["etag"], packed.headers["etag"]
        assert weak.startswith("W/") and weak.removeprefix("W/") == tag.removeprefix("W/")
        again = c.get(API, headers=GZIP | {"if-none-match": weak})
        assert again.status_code == 304 and again.headers["etag"] == weak
        assert "accept-encoding" in again.headers["vary"].lower()
        assert c.get(API, headers=PLAIN | {"if-none-match": tag}).status_code == 304


def test_uncached_and_signed_in_pages_are_compressed_by_the_middleware(
    kept_site: Settings, engine: Engine
) -> None:
    with client(kept_site, engine) as c:
        paper = _gunzipped(_raw(c, f"/papers/{HOSTILE_ID}", GZIP))  # the first: rendered
        assert "Attention &lt;script&gt;" in paper
        sign_up(c, "reader")
        for path in ("/", "/for-you"):
            page = _gunzipped(_raw(c, path, GZIP))
            assert _tokens_valid(c, page)


def test_clients_that_refuse_gzip_get_the_page_plain(kept_site: Settings, engine: Engine) -> None:
    with client(kept_site, engine) as c:
        c.get("/")
        for refusal in ("gzip;q=0", "br", ""):
            sent = _raw(c, "/", {"accept-encoding": refusal})
            assert "content-encoding" not in sent.headers
            assert _tokens_valid(c, sent.content.decode())


def test_compression_off_for_a_proxy_that_compresses(kept_site: Settings, engine: Engine) -> None:
    off = kept_site.model_copy(update={"compress": False})
    with client(off, engine) as c:
        for path in ("/", "/", f"/papers/{HOSTILE_ID}", API, API):  # twice: from the cache too
            sent = _raw(c, path, GZIP)
            assert sent.status_code == 200, path
            assert "content-encoding" not in sent.headers, path
            assert "accept-encoding" not in sent.headers.get("vary", "").lower(), path
        assert _kept(c, "/").packed == {}
    assert Settings(_env_file=None).compress is True


def test_the_joined_stream_is_the_page_whatever_it_holds() -> None:
    """Fields next to each other, at either end, farther apart than deflate looks back, and
    text in other scripts: the gzip stream is the page with the field in each place."""
    rng = random.Random(14)
    letters = string.printable + "é漢\U0001f600\x00"
    marker = "@field@"
    for size in (0, 1, 60, 3000, 40000):
        stretches = ["".join(rng.choices(letters, k=rng.choice([0, size]))) for _ in range(5)]
        body = marker.join(stretches)
        kept: dict[int, compress.Packed] = {}
        for filled in ("a" * 172, "b" * 172, "short"):
            packed = compress.gzipped(body, marker, filled, kept)
            assert gzip.decompress(packed) == body.replace(marker, filled).encode()
        assert sorted(kept) == [5, 172]


def test_accept_encoding_is_read_as_http_says() -> None:
    takes = ["gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.5", "*", "x-gzip", "GZIP"]
    refuses = ["", "identity", "br", "gzip;q=0", "gzip; q=0.0", "*;q=0", "gzip;q=nonsense"]
    assert all(compress.accepts_gzip(header) for header in takes)
    assert not any(compress.accepts_gzip(header) for header in refuses)
