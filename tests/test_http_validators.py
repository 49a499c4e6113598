"""What an HTTP cache relies on: a 304 says what its 200 says (Vary, ETag, Cache-Control), a
gzipped answer never shares a strong ETag with the plain one, and a HEAD's Content-Length is
the GET's or absent (RFC 9110 8.6, 8.8.3, 15.4.5)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.test_page_weight import GZIP, PLAIN, Sent, _raw
from tests.web_support import bearer, client

API = "/api/daily_papers?limit=20"
CSS = "/static/site.css"
# HTTP behaviour, the same over either store.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def kept(site: Settings) -> Settings:
    """The site trusting its data version for an hour: kept answers come from the middleware."""
    return site.model_copy(update={"page_cache_check_seconds": 3600.0})


@pytest.fixture(params=["routed", "kept"])
def c(request: pytest.FixtureRequest, site: Settings, engine: Engine) -> Iterator[TestClient]:
    settings = request.getfixturevalue("kept") if request.param == "kept" else site
    with client(settings, engine) as c:
        c.get(API)  # kept from now on, where the site keeps answers
        yield c


def _vary(sent: Sent) -> set[str]:
    return {n.strip().lower() for v in sent.headers.get_list("vary") for n in v.split(",")}


def _asks(c: TestClient) -> list[tuple[str, dict[str, str]]]:
    """A visitor's and a script's (bearer token) reads of the API, and a static file."""
    return [(API, {}), (API, bearer(c, "poller")), (CSS, {})]


def test_a_304_says_what_its_200_says(c: TestClient) -> None:
    for path, auth in _asks(c):
        for coding in (GZIP, PLAIN):
            ok = _raw(c, path, auth | coding)
            assert ok.status_code == 200 and "accept-encoding" in _vary(ok), (path, coding)
            again = _raw(c, path, auth | coding | {"if-none-match": ok.headers["etag"]})
            assert again.status_code == 304, (path, coding)
            assert _vary(again) == _vary(ok), (path, auth, coding)
            assert again.headers["etag"] == ok.headers["etag"], (path, coding)
            assert again.headers.get("cache-control") == ok.headers.get("cache-control"), path


def test_a_gzipped_answer_has_an_etag_of_its_own_and_either_one_matches(c: TestClient) -> None:
    for path, auth in _asks(c):
        packed, plain = _raw(c, path, auth | GZIP), _raw(c, path, auth | PLAIN)
        assert packed.headers["content-encoding"] == "gzip", path
        assert "content-encoding" not in plain.headers, path
        tag, other = packed.headers["etag"], plain.headers["etag"]
        assert tag.startswith("W/") or tag != other, (path, tag, other)  # a strong tag: one body
        for held in (tag, other):
            for coding in (GZIP, PLAIN):
                again = _raw(c, path, auth | coding | {"if-none-match": held})
                assert again.status_code == 304, (path, held, coding)


def _head(c: TestClient, path: str, headers: dict[str, str]) -> Sent:
    with c.stream("HEAD", path, headers=headers) as response:
        return Sent(response.status_code, response.headers, b"".join(response.iter_raw()))


def test_a_head_says_the_length_of_its_get_or_none(c: TestClient) -> None:
    """A gzipped page's length changes with its per-answer CSRF token: its HEAD names none. The
    plain page (tokens of one length), JSON and CSS have one length: their HEAD names it."""
    packed = _head(c, "/signin", GZIP)
    assert packed.status_code == 200 and packed.headers["content-encoding"] == "gzip"
    assert "content-length" not in packed.headers and packed.content == b""
    assert int(_raw(c, "/signin", GZIP).headers["content-length"]) > 0
    for path, coding in (("/signin", PLAIN), (API, GZIP), (API, PLAIN), (CSS, GZIP)):
        got = _raw(c, path, coding)
        head = _head(c, path, coding)
        assert head.headers.get("content-encoding") == got.headers.get("content-encoding")
        assert head.headers["content-length"] == str(len(got.content)), (path, coding)
