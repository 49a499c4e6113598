"""The JSON API as a browser extension and a Zotero plugin use it, on SQLite and PostgreSQL:
every personal list a page at a time, calls from another origin, and refusals in one shape."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import DAYS, bearer, client, on_day

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
