"""The JSON API as a client or a bot uses it, on SQLite and PostgreSQL: a long discussion read
a page at a time by following `Link: rel="next"`, and empty filters meaning no filter."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store.accounts import users
from paperfeed.store.community import add_comment
from paperfeed.store.digests import find_subscriber
from paperfeed.store.library import edit_collection
from tests.digest_support import Sink
from tests.web_support import DAYS, bearer, client, on_day


def _follow(c: TestClient, site: Settings, url: str) -> tuple[list[dict[str, object]], int]:
    """Every item of a paged list, following its `Link: rel="next"` to the end; the pages."""
    items: list[dict[str, object]] = []
    pages = 0
    next_url: str | None = url
    while next_url is not None:
        got = c.get(next_url)
        assert got.status_code == 200, got.text
        assert got.headers["content-type"] == "application/json"
        items += got.json()
        pages += 1
        following = got.links.get("next")
        next_url = None
        if following:
            at = urlsplit(following["url"])
            assert following["url"].startswith(site.public_url.rstrip("/") + "/api/"), following
            next_url = f"{at.path}?{at.query}"
    return items, pages


def _discussion(c: TestClient, engine: Engine, pid: str, threads: int) -> dict[str, str]:
    """`threads` top-level comments on `pid` (stored directly: the rate limit is not the
    point here), the first with two replies; a reader's bearer header."""
    auth = bearer(c, "bot")
    with engine.begin() as conn:
        uid = conn.execute(users.select().where(users.c.username == "bot")).one().id
        first = add_comment(conn, pid, uid, "comment 0", None)
        for n in range(1, threads):
            add_comment(conn, pid, uid, f"comment {n}", None)
        for n in range(2):
            add_comment(conn, pid, uid, f"reply {n}", first)
    return auth


def test_a_long_discussion_comes_a_page_at_a_time_with_a_link_to_the_next(
    site: Settings, engine: Engine
) -> None:
    """Past 50 threads the API answers 50 and names the next page (Link, RFC 8288) and the
    total (X-Total-Count); following the links reads every comment once, replies included."""
    pid = sorted(on_day(engine, DAYS[1]))[0]
    with client(site, engine) as c:
        _discussion(c, engine, pid, 120)
        first = c.get(f"/api/papers/{pid}/comments")
        assert first.status_code == 200
        assert len(first.json()) == 50 and first.headers["X-Total-Count"] == "120"
        assert "next" in first.links and "prev" not in first.links

        for sort in ("top", "new"):
            items, pages = _follow(c, site, f"/api/papers/{pid}/comments?sort={sort}&limit=40")
            assert pages == 3
            tops = [str(i["body"]) for i in items]
            assert sorted(tops) == sorted(f"comment {n}" for n in range(120))
            replies = [r for i in items for r in i["replies"]]  # type: ignore[attr-defined]
            assert [r["body"] for r in replies] == ["reply 0", "reply 1"]

        last = c.get(f"/api/papers/{pid}/comments?limit=40&p=2")
        assert "next" not in last.links and "p=1" in last.links["prev"]["url"]
        assert c.get(f"/api/papers/{pid}/comments?p=3&limit=40").json() == []
        for bad in ("limit=0", "limit=101", "p=-1", "limit=ten"):
            refused = c.get(f"/api/papers/{pid}/comments?{bad}")
            assert refused.status_code == 422, (bad, refused.text)
            assert refused.json()["detail"].startswith(bad.split("=")[0] + ":"), refused.text


def test_a_short_discussion_is_one_page_without_links(site: Settings, engine: Engine) -> None:
    pid = sorted(on_day(engine, DAYS[1]))[0]
    with client(site, engine) as c:
        _discussion(c, engine, pid, 3)
        got = c.get(f"/api/papers/{pid}/comments")
        assert len(got.json()) == 3 and got.headers["X-Total-Count"] == "3"
        assert "link" not in got.headers


def test_the_schema_documents_the_discussions_paging(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        operation = c.get("/openapi.json").json()["paths"]["/api/papers/{paper_id}/comments"]
    names = {p["name"]: p for p in operation["get"]["parameters"]}
    assert names["limit"]["schema"]["maximum"] == 100 and names["limit"]["schema"]["default"] == 50
    assert names["p"]["schema"]["minimum"] == 0
    assert {"Link", "X-Total-Count"} <= set(operation["get"]["responses"]["200"]["headers"])


# An endpoint, the parameters it needs, and its filters that an empty value leaves out.
EMPTY_FILTERS = [
    (
        "/api/papers/search",
        {"q": "model", "mode": "keyword"},
        ("category", "author", "since", "until"),
    ),
    (
        "/feeds/search.atom",
        {"q": "model", "mode": "keyword"},
        ("category", "author", "since", "until"),
    ),
    ("/api/me/library", {}, ("collection", "state", "q")),
    ("/api/me/feed", {}, ("since", "until", "collection")),
]


def test_an_empty_filter_is_one_left_out_on_every_endpoint(site: Settings, engine: Engine) -> None:
    """`category=` was a 400 where `author=` was no filter: a filter given empty (as a form's
    empty field sends it) now answers what leaving it out answers, everywhere."""
    with client(site, engine) as c:
        auth = bearer(c, "bot")
        saved = c.post("/api/me/library", json={"paper_id": _a_paper(engine)}, headers=auth)
        assert saved.status_code in (200, 201), saved.text
        for path, needed, filters in EMPTY_FILTERS:
            plain = c.get(path, params=needed, headers=auth)
            assert plain.status_code == 200, (path, plain.text)
            for name in filters:
                got = c.get(path, params=needed | {name: ""}, headers=auth)
                assert got.status_code == 200, (path, name, got.text)
                if path.startswith("/api/"):
                    assert got.json() == plain.json(), (path, name)


def test_a_filter_of_the_wrong_shape_is_still_refused_in_words(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        for name, value, status in (("category", "000", 400), ("since", "yesterday", 422)):
            got = c.get("/api/papers/search", params={"q": "model", name: value})
            assert got.status_code == status, got.text
            assert got.json()["detail"].startswith(f"{name}:"), got.text


def _a_paper(engine: Engine) -> str:
    return sorted(on_day(engine, DAYS[0]))[0]


def test_a_subscription_takes_what_its_schema_allows(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    """JSON's 20.0 is the whole number 20 (it was refused as not one), and a list given as
    null is none (it was taken, though the schema did not say so)."""
    settings = site.model_copy(update={"smtp_port": sink.port, "digest_send_rate": 0})
    with client(settings, engine) as c:
        doc = c.get("/openapi.json").json()
        body = doc["paths"]["/api/subscribe"]["post"]["requestBody"]["content"]
        seeds = body["application/json"]["schema"]["properties"]["seeds"]
        assert {"type": "null"} in seeds["anyOf"]
        sent = {"email": "bot@example.org", "max_papers": 20.0, "seeds": None}
        got = c.post("/api/subscribe", json=sent)
        assert got.status_code == 202, got.text
        assert c.post("/api/subscribe", json=sent | {"max_papers": 20.5}).status_code == 400
    with engine.connect() as conn:
        row = find_subscriber(conn, "bot@example.org")
    assert row is not None and row["max_papers"] == 20


# Lists of papers a client pages through, and what it asks of each.
PAPER_LISTS = [
    ("/api/daily_papers", "limit=2"),
    ("/api/daily_papers", f"limit=2&date={DAYS[1]}"),
    ("/api/trending", "limit=2"),
    ("/api/papers/search", "q=model&mode=keyword&limit=2"),
    ("/api/me/library", "limit=2"),
]


def test_every_list_names_its_next_page_and_following_them_reads_it_all(
    site: Settings, engine: Engine
) -> None:
    """The daily papers, trending, search and a reader's library page as a discussion does:
    following `Link: rel="next"` (kept parameters, `p` changed) reads the whole list once."""
    with client(site, engine) as c:
        auth = bearer(c, "bot")
        for pid in sorted(on_day(engine, DAYS[1]))[:5]:
            c.post("/api/me/library", json={"paper_id": pid}, headers=auth)
        c.headers.update(auth)
        for path, query in PAPER_LISTS:
            whole = c.get(f"{path}?{query.replace('limit=2', 'limit=100')}").json()
            items, pages = _follow(c, site, f"{path}?{query}")
            ids = [str(i["paper"]["id"]) for i in items]  # type: ignore[index]
            assert ids == [i["paper"]["id"] for i in whole], path
            assert len(whole) > 2 and pages == (len(whole) + 1) // 2, (path, pages)


def test_public_collections_page_with_links_too(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        auth = bearer(c, "bot")
        pid = _a_paper(engine)
        for n in range(3):
            made = c.post(
                "/api/me/library", json={"paper_id": pid, "collection": f"list {n}"}, headers=auth
            )
            assert made.status_code in (200, 201), made.text
        with engine.begin() as conn:  # shared from the library page, not the API
            uid = conn.execute(users.select().where(users.c.username == "bot")).one().id
            for one in c.get("/api/me/collections", headers=auth).json():
                assert edit_collection(conn, uid, one["id"], "", "public")
        items, pages = _follow(c, site, "/api/collections?limit=2")
        assert sorted(str(i["name"]) for i in items) == ["list 0", "list 1", "list 2"]
        assert pages == 2


def _takes_empty(schema: dict[str, Any]) -> bool:
    """Whether a parameter's schema documents "" as a value it takes."""
    if "pattern" in schema and re.search(schema["pattern"], "") is None:
        return False
    if "anyOf" in schema:
        return any(_takes_empty(s) for s in schema["anyOf"])
    if schema.get("type") != "string" or schema.get("minLength", 0) > 0 or "format" in schema:
        return False
    return "" in schema.get("enum", [""])


def test_the_schema_says_an_empty_filter_is_taken(site: Settings, engine: Engine) -> None:
    """A client generated from /openapi.json (or schemathesis) sends `since=` as the server
    takes it: the schema must not call it invalid."""
    with client(site, engine) as c:
        doc = c.get("/openapi.json").json()
    for path, _needed, filters in EMPTY_FILTERS:
        if path.startswith("/api/"):
            found = {p["name"]: p["schema"] for p in doc["paths"][path]["get"]["parameters"]}
            for name in filters:
                assert _takes_empty(found[name]), (path, name, found[name])


def test_a_body_that_is_not_json_is_a_415_that_says_what_to_send(
    site: Settings, engine: Engine
) -> None:
    """A bot posting its comment as text or a form got a 422 about "a valid dictionary"."""
    pid = _a_paper(engine)
    with client(site, engine) as c:
        auth = bearer(c, "bot")
        for media, body in (("text/plain", "hi"), ("application/x-www-form-urlencoded", "body=hi")):
            got = c.post(
                f"/api/papers/{pid}/comments",
                content=body,
                headers=auth | {"Content-Type": media},
            )
            assert got.status_code == 415, got.text
            assert got.json() == {
                "detail": f"send the body as JSON (Content-Type: application/json), not {media}"
            }
        bad = c.put(f"/api/me/ratings/{pid}", json={"rating": 7}, headers=auth)
        assert bad.status_code == 422 and bad.json()["detail"].startswith("rating:")
        broken = c.post(
            f"/api/papers/{pid}/comments",
            content="{bad",
            headers=auth | {"Content-Type": "application/json"},
        )
        assert broken.status_code == 422 and "not valid JSON" in broken.json()["detail"]
        assert c.get(f"/api/papers/{pid}/comments").json() == []  # nothing was posted


def test_a_client_polling_a_list_gets_304_until_it_changes(site: Settings, engine: Engine) -> None:
    """Public lists and papers carry an ETag; If-None-Match with it is a 304 without a body,
    through the route and through the kept answer alike, until the data changes."""
    pid = _a_paper(engine)
    with client(site, engine) as c:
        for path in ("/api/daily_papers?limit=2", "/api/trending", f"/api/papers/{pid}"):
            first = c.get(path)
            tag = first.headers["etag"]
            again = c.get(path)  # now answered from what was kept
            assert again.headers["etag"] == tag and again.content == first.content
            strong = tag.removeprefix("W/")  # a gzipped answer's tag is weak
            for held in (tag, strong, f"W/{strong}", f'"other", {tag}', "*"):
                same = c.get(path, headers={"If-None-Match": held})
                assert same.status_code == 304 and same.content == b"", (path, held)
                assert same.headers["etag"] == tag
            assert c.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
        tag = c.get(f"/api/papers/{pid}").headers["etag"]
        auth = bearer(c, "bot")
        assert c.post(f"/api/papers/{pid}/upvote", headers=auth).status_code == 200
        c.headers.pop("Authorization", None)
        changed = c.get(f"/api/papers/{pid}", headers={"If-None-Match": tag})
        assert changed.status_code == 200 and changed.headers["etag"] != tag
        assert changed.json()["upvotes"] == c.get(f"/api/papers/{pid}").json()["upvotes"]


def test_the_schema_names_the_etag_and_the_304(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        paths = c.get("/openapi.json").json()["paths"]
    for path in (
        "/api/daily_papers",
        "/api/trending",
        "/api/papers/search",
        "/api/papers/{paper_id}",
        "/api/papers/{paper_id}/similar",
    ):
        responses = paths[path]["get"]["responses"]
        assert "ETag" in responses["200"]["headers"] and "304" in responses, path
