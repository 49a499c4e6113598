"""A script keeps a reader's collections and private feed URL through the JSON API, as the
library page's forms do: it makes a collection, renames and shares it, gives it a new link,
deletes it, and makes, replaces and revokes the private For you feed URL; the pages and feeds
then say what it did, on SQLite and PostgreSQL. Another reader gets a 404, a read-only token
a 403 and a bad name a 400 saying why."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.test_web_collection_sections import CHAOS, GRAPHS, _site
from tests.web_support import bearer


def _said(answer: Any, status: int, words: str) -> None:
    assert answer.status_code == status, answer.text
    assert words in str(answer.json()["detail"]), answer.text


def _page(c: TestClient, url: str) -> int:
    c.cookies.clear()  # as a visitor, not signed in
    return c.get(urlsplit(url).path).status_code


def test_a_script_makes_renames_shares_and_deletes_a_collection(
    settings: Settings, engine: Engine
) -> None:
    with _site(settings, engine) as c:
        auth = bearer(c, "ada")
        made = c.post(
            "/api/me/collections",
            json={"name": "  Reading   group ", "description": "Tuesdays *at 3*"},
            headers=auth,
        )
        assert made.status_code == 201, made.text
        group = made.json()
        assert group == {
            "id": group["id"],
            "name": "Reading group",
            "description": "Tuesdays *at 3*",
            "visibility": "private",
            "url": None,
            "papers": 0,
        }
        again = c.post("/api/me/collections", json={"name": "reading group"}, headers=auth)
        assert (again.status_code, again.json()) == (200, group)  # the one it has, unchanged
        one = f"/api/me/collections/{group['id']}"
        put = c.put(f"{one}/papers/{GRAPHS.id}", headers=auth)
        assert put.status_code == 200, put.text

        shared = c.patch(one, json={"visibility": "public", "name": "Graph club"}, headers=auth)
        assert shared.status_code == 200, shared.text
        club = shared.json()
        assert (club["name"], club["visibility"], club["papers"]) == ("Graph club", "public", 1)
        assert club["description"] == "Tuesdays *at 3*"  # not given: kept
        assert str(club["url"]).startswith(settings.public_url.rstrip("/") + "/c/")
        assert _page(c, club["url"]) == 200
        c.cookies.clear()
        assert "Graph club" in c.get("/collections").text  # listed, being public
        listed = c.get("/api/me/collections", headers=auth).json()
        assert [x["name"] for x in listed] == ["Graph club"]

        relinked = c.post(f"{one}/link", headers=auth)
        assert relinked.status_code == 200, relinked.text
        assert relinked.json()["url"] != club["url"]
        assert _page(c, club["url"]) == 404  # the old link stopped working
        assert _page(c, relinked.json()["url"]) == 200

        gone = c.delete(one, headers=auth)
        assert gone.json() == {"id": group["id"], "removed": True}
        assert _page(c, relinked.json()["url"]) == 404
        assert c.delete(one, headers=auth).json() == {"id": group["id"], "removed": False}
        saved = c.get("/api/me/library", headers=auth).json()
        assert [item["paper"]["id"] for item in saved] == [GRAPHS.id]  # it stays saved


def test_bad_requests_for_collections_say_why_and_change_nothing(
    settings: Settings, engine: Engine
) -> None:
    with _site(settings, engine) as c:
        grace = bearer(c, "grace")
        auth = bearer(c, "ada")
        first = c.post("/api/me/collections", json={"name": "Chaos"}, headers=auth).json()
        second = c.post("/api/me/collections", json={"name": "Graphs"}, headers=auth).json()
        one = f"/api/me/collections/{second['id']}"
        _said(c.patch(one, json={"name": "chaos"}, headers=auth), 400, "already have a")
        _said(c.patch(one, json={}, headers=auth), 400, "give a name, a description or")
        _said(c.patch(one, json={"visibility": "everyone"}, headers=auth), 422, "private")
        _said(c.patch(one, json={"titel": "x"}, headers=auth), 422, "titel")
        _said(c.post("/api/me/collections", json={"name": "!!!"}, headers=auth), 400, "letters")
        reserved = c.post("/api/me/collections", json={"name": "paperfeed:liked"}, headers=auth)
        assert reserved.status_code == 400, reserved.text
        _said(c.patch(one, json={"name": "x"}, headers=grace), 404, "no such collection")
        assert c.delete(one, headers=grace).json() == {"id": second["id"], "removed": False}
        _said(c.post(f"{one}/link", headers=grace), 404, "no such collection")
        named = {"name": "read only", "read_only": True}
        reader = c.post("/api/me/tokens", json=named, headers=auth).json()["token"]
        looks = {"Authorization": f"Bearer {reader}"}
        assert c.delete(one, headers=looks).status_code == 403
        assert c.get("/api/me/collections", headers=looks).status_code == 200
        listed = c.get("/api/me/collections", headers=auth).json()
        assert [(x["id"], x["name"]) for x in listed] == [
            (first["id"], "Chaos"),
            (second["id"], "Graphs"),
        ]


def test_a_script_makes_replaces_and_revokes_the_private_feed_url(
    settings: Settings, engine: Engine
) -> None:
    with _site(settings, engine) as c:
        auth = bearer(c, "ada")
        assert c.put(f"/api/me/ratings/{CHAOS.id}", json={"rating": 1}, headers=auth).is_success
        assert c.get("/api/me/feed-url", headers=auth).json() == {"url": None, "exists": False}
        made = c.post("/api/me/feed-url", headers=auth)
        assert made.status_code == 201, made.text
        url = made.json()["url"]
        assert url.startswith(settings.public_url.rstrip("/") + "/feeds/for-you/")
        c.cookies.clear()
        feed = c.get(urlsplit(url).path + "?window=all")
        assert feed.status_code == 200 and "<feed" in feed.text, feed.text
        assert c.get(urlsplit(url).path.replace(".atom", ".rss")).status_code == 200
        assert c.get("/api/me/feed-url", headers=auth).json() == {"url": None, "exists": True}
        newer = c.post("/api/me/feed-url", headers=auth).json()["url"]
        assert newer != url and _page(c, url) == 404 and _page(c, newer) == 200
        assert c.delete("/api/me/feed-url", headers=auth).json() == {"removed": True}
        assert _page(c, newer) == 404
        assert c.delete("/api/me/feed-url", headers=auth).json() == {"removed": False}
        assert c.get("/api/me/feed-url", headers=auth).json()["exists"] is False
