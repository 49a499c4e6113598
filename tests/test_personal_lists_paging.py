"""The personal lists that came all at once (collections, followed collections, follows, mutes)
page as the library does, on both databases: 50 unless asked, Link rel=next/prev,
X-Total-Count, a 422 naming a bad parameter, and the paging in the OpenAPI schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperfeed.settings import Settings
from paperfeed.store import library as lib
from paperfeed.store import shared_lists as lists
from paperfeed.store.accounts import users
from tests.web_support import bearer, client, web_settings

OWN = 123  # collections of the reader's own: two full pages and a part
PER_OWNER = 28  # shared collections of each of two owners, of the same names: 56 followed
INTERESTS = 61  # follows, and mutes: a full page and one more
PATHS = ("collections", "followed-collections", "follows", "mutes")
SHAPES = {
    "collections": {"id", "name", "description", "visibility", "url", "papers"},
    "followed-collections": {"id", "name", "description", "url"},
    "follows": {"kind", "value", "label"},
    "mutes": {"kind", "value", "label"},
}


def _user_id(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return int(str(conn.scalar(select(users.c.id).where(users.c.username == name))))


def _fill(engine: Engine, reader: int, owners: list[int]) -> None:
    """The reader's collections, follows and mutes, and the owners' shared collections (two
    of each name) that the reader follows."""
    with engine.begin() as conn:
        for n in range(OWN):
            lib.ensure_collection(conn, reader, f"Reading {n:03}", visibility="public")
        for owner in owners:
            for n in range(PER_OWNER):
                shared = lib.ensure_collection(conn, owner, f"Group {n}", visibility="unlisted")
                lists.follow_collection(conn, reader, shared)
        for n in range(INTERESTS):
            lib.add_interest(conn, reader, "follow", "search", f"topic {n}", f"Topic {n}")
            lib.add_interest(conn, reader, "mute", "keyword", f"word {n}", f"Word {n}")


def _walk(c: TestClient, path: str, auth: dict[str, str], public_url: str) -> list[Any]:
    """Each page of a list from its first, following rel="next" to the end; every page says
    the same total, and each but the first links back."""
    pages: list[Any] = []
    totals: set[str] = set()
    at: str | None = path
    while at is not None:
        got = c.get(at, headers=auth)
        assert got.status_code == 200, got.text
        totals.add(got.headers["x-total-count"])
        link = got.headers.get("link", "")
        assert ('rel="prev"' in link) == bool(pages), (at, link)
        pages.append(got.json())
        found = re.findall(r'<([^>]+)>; rel="next"', link)
        at = found[0].removeprefix(public_url.rstrip("/")) if found else None
    assert totals == {str(sum(len(p) for p in pages))}, (path, totals)
    return pages


def test_each_personal_list_walks_to_its_end_fifty_at_a_time(
    settings: Settings, engine: Engine
) -> None:
    site = web_settings(settings)
    with client(site, engine) as c:
        for owner in ("owner-a", "owner-b"):
            bearer(c, owner)
        auth = bearer(c, "reader")
        reader = _user_id(engine, "reader")
        _fill(engine, reader, [_user_id(engine, "owner-a"), _user_id(engine, "owner-b")])
        sizes = {}
        for path in PATHS:
            pages = _walk(c, f"/api/me/{path}", auth, site.public_url)
            items = [i for p in pages for i in p]
            sizes[path] = [len(p) for p in pages]
            assert all(set(i) == SHAPES[path] for i in items), path
            keys = [str(i.get("id", i.get("value"))) for i in items]
            assert len(set(keys)) == len(keys), path  # each once
            whole = c.get(f"/api/me/{path}?limit=1000", headers=auth)
            assert whole.json() == items and "link" not in whole.headers, path  # same order
            small = _walk(c, f"/api/me/{path}?limit=7", auth, site.public_url)
            assert [i for p in small for i in p] == items, path
        assert sizes == {
            "collections": [50, 50, 23],
            "followed-collections": [50, 6],
            "follows": [50, 11],
            "mutes": [50, 11],
        }
        names = [
            f["name"] for f in c.get("/api/me/followed-collections?limit=4", headers=auth).json()
        ]
        assert names == ["Group 0", "Group 0", "Group 1", "Group 1"]  # by name, owners apart
        mine = c.get("/api/me/collections?limit=2&p=1", headers=auth)
        assert [m["name"] for m in mine.json()] == ["Reading 002", "Reading 003"]
        assert all(m["url"].startswith(site.public_url.rstrip("/") + "/c/") for m in mine.json())
        beyond = c.get("/api/me/follows?p=5", headers=auth)
        assert beyond.json() == [] and beyond.headers["x-total-count"] == str(INTERESTS)


def test_bad_paging_is_a_422_naming_the_parameter(settings: Settings, engine: Engine) -> None:
    site = web_settings(settings)
    with client(site, engine) as c:
        auth = bearer(c, "reader")
        for path in PATHS:
            for bad, name in (
                ("limit=0", "limit"),
                ("limit=1001", "limit"),
                ("limit=ten", "limit"),
                ("p=-1", "p"),
                ("p=x", "p"),
            ):
                refused = c.get(f"/api/me/{path}?{bad}", headers=auth)
                assert refused.status_code == 422, (path, bad, refused.text)
                detail = refused.json()["detail"]
                assert isinstance(detail, str) and re.search(rf"\b{name}\b", detail), detail
            assert c.get(f"/api/me/{path}").status_code == 401  # still needs a sign-in


def test_the_schema_documents_each_lists_paging(settings: Settings, engine: Engine) -> None:
    with client(web_settings(settings), engine) as c:
        paths = c.get("/openapi.json").json()["paths"]
    for path in PATHS:
        get = paths[f"/api/me/{path}"]["get"]
        [limit] = [q for q in get["parameters"] if q["name"] == "limit"]
        assert limit["schema"]["default"] == 50, path
        assert "50 when left out" in limit["description"], path
        assert "p" in {q["name"] for q in get["parameters"]}, path
        assert {"Link", "X-Total-Count"} <= set(get["responses"]["200"]["headers"]), path


def test_the_paging_table_in_the_docs_says_what_the_schema_does(
    settings: Settings, engine: Engine
) -> None:
    """docs/api.md's paging table: each list's default and largest `limit`, and whether it
    says X-Total-Count, as the OpenAPI schema has them; each list of yours is in it."""
    text = (Path(__file__).parent.parent / "docs" / "api.md").read_text()
    rows = re.findall(r"^\| `GET (/api/[^|]+)\| (\d+), ([\d,]+) \| (yes|no) \|$", text, re.M)
    with client(web_settings(settings), engine) as c:
        paths = c.get("/openapi.json").json()["paths"]
    listed = set()
    for names, default, most, total in rows:
        for name in re.findall(r"`?(/api/[^`]+)`", "`" + names):
            get = paths[name.replace("{id}", "{paper_id}")]["get"]
            [limit] = [q["schema"] for q in get["parameters"] if q["name"] == "limit"]
            said = (
                limit["default"],
                limit["maximum"],
                "X-Total-Count" in get["responses"]["200"]["headers"],
            )
            assert said == (int(default), int(most.replace(",", "")), total == "yes"), name
            listed.add(name)
    assert {f"/api/me/{path}" for path in (*PATHS, "library", "ratings")} <= listed, listed
    assert {"/api/daily_papers", "/api/trending", "/api/papers/search"} <= listed, listed
