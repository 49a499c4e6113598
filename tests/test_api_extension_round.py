"""The JSON API as a browser extension and a Zotero plugin use it, on SQLite and PostgreSQL:
every personal list a page at a time, calls from another origin, and refusals in one shape."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.util import utcnow
from tests.replay import Reply, replay
from tests.replay import Request as ReplayRequest
from tests.web_support import DAYS, bearer, client, on_day, post_form

CATEGORIES = ("cs.CL", "cs.CV", "cs.LG", "cs.AI", "stat.ML")


def _follow_pages(c: TestClient, url: str) -> tuple[list[object], int, set[str]]:
    """Every item of a list, following `Link: rel="next"`; the pages and the totals said."""
    items: list[object] = []
    pages, totals = 0, set()
    next_url: str | None = url
    while next_url is not None:
        got = c.get(next_url)
        assert got.status_code == 200, got.text
        items += got.json()
        pages += 1
        totals.add(got.headers["X-Total-Count"])
        following = got.links.get("next")
        at = urlsplit(following["url"]) if following else None
        next_url = f"{at.path}?{at.query}" if at else None
    return items, pages, totals


def test_ratings_follows_and_mutes_come_a_page_at_a_time(site: Settings, engine: Engine) -> None:
    """A client syncing a reader's ratings, follows and mutes pages them as it pages the
    library: `limit`, `p`, Link rel=next/prev and X-Total-Count; without `limit`, all at once."""
    with client(site, engine) as c:
        c.headers.update(bearer(c, "zotero"))
        rated = sorted(on_day(engine, DAYS[1]))[:5]
        for pid in rated:
            assert c.put(f"/api/me/ratings/{pid}", json={"rating": 1}).status_code == 200
        for name in CATEGORIES:
            assert c.post("/api/me/follows", json={"kind": "category", "value": name}).is_success
            muted = c.post("/api/me/mutes", json={"kind": "keyword", "value": f"word {name}"})
            assert muted.status_code == 201, muted.text

        for path, key in (("ratings", "paper"), ("follows", "value"), ("mutes", "label")):
            whole = c.get(f"/api/me/{path}")
            assert len(whole.json()) == 5 and whole.headers["X-Total-Count"] == "5", path
            assert "link" not in whole.headers
            items, pages, totals = _follow_pages(c, f"/api/me/{path}?limit=2")
            assert items == whole.json() and pages == 3 and totals == {"5"}, path
            last = c.get(f"/api/me/{path}?limit=2&p=2")
            assert len(last.json()) == 1 and "next" not in last.links
            assert "p=1" in last.links["prev"]["url"] and "limit=2" in last.links["prev"]["url"]
            assert c.get(f"/api/me/{path}?limit=2&p=3").json() == []
            for bad in ("limit=0", "limit=1001", "p=-1", "limit=two"):
                refused = c.get(f"/api/me/{path}?{bad}")
                assert refused.status_code == 422, (path, bad)
                assert set(refused.json()) == {"detail"} and refused.json()["detail"], bad
            assert key in str(whole.json()[0])


def test_the_schema_documents_the_paging_of_every_personal_list(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        paths = c.get("/openapi.json").json()["paths"]
    for path in ("/api/me/ratings", "/api/me/follows", "/api/me/mutes", "/api/me/library"):
        get = paths[path]["get"]
        names = {p["name"] for p in get["parameters"]}
        assert {"p", "limit"} <= names, path
        assert {"Link", "X-Total-Count"} <= set(get["responses"]["200"]["headers"]), path


ELSEWHERE = "https://elsewhere.example"
EXTENSION = "chrome-extension://abcdefghijklmnop"


def _preflight(c: TestClient, path: str, origin: str, method: str, headers: str) -> Any:
    return c.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


def test_any_origin_may_read_the_public_api_and_feeds_without_cookies(
    site: Settings, engine: Engine
) -> None:
    """A page of another site reads public GETs (`*`, never with credentials), sees the
    paging headers, and gets nothing CORS on the HTML site."""
    pid = sorted(on_day(engine, DAYS[1]))[0]
    with client(site, engine) as c:
        for path in (
            "/api/daily_papers?limit=2",
            f"/api/papers/{pid}",
            "/feeds/daily.atom",
            "/openapi.json",
            f"/papers/{pid}/bibtex",
            "/api/nothing-here",
        ):
            got = c.get(path, headers={"Origin": ELSEWHERE})
            assert got.headers["access-control-allow-origin"] == "*", path
            assert "access-control-allow-credentials" not in got.headers, path
        # The same answer for every origin, or none (a feed reader): one copy in a shared cache.
        feed = c.get("/feeds/daily.atom")
        assert feed.headers["access-control-allow-origin"] == "*"
        assert "origin" not in feed.headers.get("vary", "").lower()
        exposed = got.headers["access-control-expose-headers"]
        assert {"Link", "X-Total-Count", "ETag", "Retry-After"} <= set(exposed.split(", "))
        # Every header the API documents is readable by another origin's script (the ids not
        # found, the cursor, the mutes' count and a search's fallback were not).
        safelisted = {"cache-control", "content-language", "content-length", "content-type"}
        safelisted |= {"expires", "last-modified", "pragma"}
        documented = {
            name.lower()
            for operation in _operations(c.get("/openapi.json").json())
            for answer in operation.get("responses", {}).values()
            for name in answer.get("headers", {})
        }
        assert {"x-not-found", "x-next-cursor"} <= documented
        readable = {h.lower() for h in exposed.split(", ")}
        assert documented - safelisted <= readable and "x-hidden-by-mutes" in readable
        assert (
            "access-control-allow-origin" not in c.get("/", headers={"Origin": ELSEWHERE}).headers
        )
        # Conditional GETs are preflighted: allowed for any origin.
        ok = _preflight(c, "/api/daily_papers", ELSEWHERE, "GET", "if-none-match")
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "*"


def test_only_configured_origins_may_send_a_bearer_token_or_write(
    site: Settings, engine: Engine
) -> None:
    """The preflight of a bearer-token call or a write is answered 200 for an origin in
    PAPERFEED_CORS_ORIGINS (that origin echoed, no credentials) and refused in the API's error
    shape for any other; another origin's write gets no CORS header to read it by."""
    configured = site.model_copy(update={"cors_origins": f"{EXTENSION},https://app.example.org"})
    with client(configured, engine) as c:
        for method, headers in (("GET", "authorization"), ("POST", "authorization,content-type")):
            ok = _preflight(c, "/api/me/library", EXTENSION, method, headers)
            assert ok.status_code == 200, ok.text
            assert ok.headers["access-control-allow-origin"] == EXTENSION
            assert method in ok.headers["access-control-allow-methods"]
            assert "Authorization" in ok.headers["access-control-allow-headers"]
            assert "access-control-allow-credentials" not in ok.headers

            refused = _preflight(c, "/api/me/library", ELSEWHERE, method, headers)
            assert refused.status_code == 400
            assert refused.headers["content-type"] == "application/json"
            assert "PAPERFEED_CORS_ORIGINS" in refused.json()["detail"]
            assert "Authorization" not in refused.headers.get("access-control-allow-headers", "")

        auth = bearer(c, "extension")
        c.cookies.clear()
        mine = c.get("/api/me/library", headers=auth | {"Origin": EXTENSION})
        assert mine.status_code == 200 and mine.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in mine.headers
        login = {"username": "extension", "password": "correct horse battery"}
        theirs = c.post("/api/login", json=login, headers={"Origin": ELSEWHERE})
        assert "access-control-allow-origin" not in theirs.headers


def test_a_cors_origin_must_be_an_origin() -> None:
    taken = Settings(
        cors_origins=" https://App.example.org/ , moz-extension://x-1 ", _env_file=None
    )
    assert taken.cors_origins == "https://app.example.org,moz-extension://x-1"
    for wrong in ("https://app.example.org/path", "app.example.org", "https://a.org?x"):
        with pytest.raises(ValidationError, match="is no origin"):
            Settings(cors_origins=wrong, _env_file=None)


def test_a_feed_asked_with_an_empty_or_malformed_parameter_is_a_400_that_says_why(
    site: Settings, engine: Engine
) -> None:
    """A feed reader given `/feeds/search.atom?q=` got a 422 (the API's validation status), and
    `q=*` or `q=%20` a feed of every paper; now each is a 400 naming the parameter."""
    with client(site, engine) as c:
        for query, says in (
            ("q=", "q: "),
            ("", "q: Field required"),
            ("q=*", "no words to search for"),
            ("q=%20", "no words to search for"),
            ("q=mamba&mode=", "mode: use one of hybrid, keyword, semantic"),
            ("q=mamba&page=", "page: "),
            ("q=mamba&page=0", "page: "),
        ):
            got = c.get(f"/feeds/search.atom?{query}")
            assert got.status_code == 400, (query, got.status_code)
            assert got.headers["content-type"] == "application/json"
            assert list(got.json()) == ["detail"] and says in got.json()["detail"], got.text
        for path in ("/feeds/daily.atom?page=abc", "/feeds/trending.rss?page=-1"):
            assert c.get(path).status_code == 400, path
        assert c.get("/feeds/search.atom?q=attention").status_code == 200
        # The API keeps its documented 422 for a parameter of the wrong type.
        assert c.get("/api/papers/search?q=").status_code == 422


def _busy(_: ReplayRequest) -> Reply:
    return Reply(b"busy", 503)


def test_after_arxiv_failed_an_import_reports_at_once_instead_of_waiting_again(
    site: Settings, engine: Engine
) -> None:
    """A Zotero plugin importing unknown arXiv ids while arXiv does not answer waited out the
    fetch deadline (15 s) on every import; after one failed fetch, the next imports and
    submissions within a minute say so at once, without asking arXiv again."""
    with replay(_busy) as arxiv:
        down = {"arxiv_api_url": arxiv.url, "http_retries": 0, "submit_fetch_seconds": 1.0}
        with client(site.model_copy(update=down), engine) as c:
            c.headers.update(bearer(c, "plugin"))
            files = {"file": ("ids.txt", b"2101.00001\n")}
            first = c.post("/api/me/library/import", files=files).json()
            assert "can't be reached" in first["unmatched"][0]["reason"]
            asked = len(arxiv.requests)
            assert asked == 1

            files = {"file": ("ids.txt", b"2101.00002\n2101.00003\n")}
            again = c.post("/api/me/library/import", files=files).json()
            reasons = [u["reason"] for u in again["unmatched"]]
            assert len(reasons) == 2 and all("s ago" in r for r in reasons), reasons
            new = utcnow().strftime("%y%m") + ".00004"  # within the submission window
            submitted = c.post("/api/submit", json={"id": new})
            assert submitted.status_code == 502 and "s ago" in submitted.json()["detail"]
            assert len(arxiv.requests) == asked  # arXiv was not asked again


def test_a_subscription_refused_for_too_many_requests_says_when_to_retry(
    site: Settings, engine: Engine
) -> None:
    """Every other 429 carries Retry-After; a subscription over its hourly limit did not."""
    with client(site.model_copy(update={"mailbox": True}), engine) as c:
        codes = [
            c.post("/api/subscribe", json={"email": "eel@example.org"}).status_code
            for _ in range(4)
        ]
        assert codes == [202, 202, 202, 429]
        again = c.post("/api/subscribe", json={"email": "eel@example.org"})
        assert again.status_code == 429 and again.headers["Retry-After"] == "3600"
        assert list(again.json()) == ["detail"]
        form = post_form(c, "/subscribe", {"email": "eel@example.org"})
        assert form.status_code == 429 and form.headers["Retry-After"] == "3600"


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in spec["paths"].values() for op in path.values() if isinstance(op, dict)]
