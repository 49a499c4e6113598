"""A bot polling the API, on SQLite and PostgreSQL: every read carries an ETag, and asking again
with If-None-Match is a 304 without a body until the answer changes (comments, collections, a
user, a paper's Markdown and BibTeX, the caller's own library), as documented in OpenAPI."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import DAYS, bearer, client, on_day


def _polled(c: TestClient, path: str, auth: dict[str, str]) -> str:
    """The ETag of `path`, after checking that asking again with it is a bodiless 304."""
    first = c.get(path, headers=auth)
    assert first.status_code == 200, (path, first.text)
    tag = first.headers["etag"]
    assert tag.startswith('W/"'), (path, tag)
    for held in (tag, tag.removeprefix("W/"), f'"other", {tag}', "*"):
        same = c.get(path, headers=auth | {"If-None-Match": held})
        assert same.status_code == 304 and same.content == b"", (path, held)
        assert same.headers["etag"] == tag and "content-type" not in same.headers
    assert c.head(path, headers=auth).headers["etag"] == tag
    other = c.get(path, headers=auth | {"If-None-Match": '"other"'})
    assert other.status_code == 200 and other.content == first.content
    return tag


def test_every_read_a_bot_polls_is_a_304_until_it_changes(site: Settings, engine: Engine) -> None:
    pid = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as c:
        auth = bearer(c, "bot")
        c.cookies.clear()
        assert c.post("/api/me/library", json={"paper_id": pid}, headers=auth).status_code < 300
        public = (
            f"/api/papers/{pid}/comments",
            "/api/collections",
            "/api/users/bot",
            f"/papers/{pid}.md",
            f"/papers/{pid}/bibtex",
        )
        tags = {path: _polled(c, path, {}) for path in public}
        tags["/api/me/library"] = _polled(c, "/api/me/library", auth)
        said = c.post(f"/api/papers/{pid}/comments", json={"body": "a new result"}, headers=auth)
        assert said.status_code == 201, said.text
        for path in (f"/api/papers/{pid}/comments", "/api/me/library"):
            held = {"If-None-Match": tags[path]}
            changed = c.get(path, headers=(auth if "/me/" in path else {}) | held)
            assert changed.status_code == 200 and changed.headers["etag"] != tags[path], path
        assert "a new result" in c.get(f"/api/papers/{pid}/comments").text


def test_a_refusal_carries_no_etag(site: Settings, engine: Engine) -> None:
    """Only a 200 is tagged: a 404 or 401 is not something to poll."""
    with client(site, engine) as c:
        for path in ("/api/users/nobody", "/api/me/library", "/papers/2601.00000.md"):
            got = c.get(path, headers={"If-None-Match": "*"})
            assert got.status_code in (401, 404) and "etag" not in got.headers, path


def test_the_schema_names_the_etag_and_the_304_of_every_read(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        paths = c.get("/openapi.json").json()["paths"]
    reads = {p: ops["get"] for p, ops in paths.items() if p.startswith("/api/") and "get" in ops}
    assert "/api/papers/{paper_id}/comments" in reads and "/api/me/library" in reads
    for path, operation in reads.items():
        responses = operation["responses"]
        assert "ETag" in responses["200"]["headers"] and "304" in responses, path
