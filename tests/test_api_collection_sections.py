"""A reading group's bot keeps its collection's sections through the JSON API, as its owner and
editors do with the page's forms: it lists, adds, renames, moves and deletes headings and files
papers under them, on SQLite and PostgreSQL; the collection's page then shows what it did.
Others get a 404, a read-only token a 403, and a bad heading a 400 saying why."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import collection_sections as cs
from paperfeed.store import library as lib
from paperfeed.store.collection_editors import add_editor
from tests.test_web_collection_sections import (
    CHAOS,
    GRAPHS,
    LOOSE,
    SENSORS,
    _headings_and_papers,
    _imported,
    _site,
)
from tests.web_support import bearer, post_form, sign_in_as

PASSWORD = "correct horse battery"
ORAL, POSTER = "Oral 1: Retrieval", "Poster Session A (14:00-15:30)"


def _login(c: TestClient, name: str) -> dict[str, str]:
    """A sign-in's bearer token for an account that exists."""
    c.cookies.clear()
    token = c.post("/api/login", json={"username": name, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _listed(c: TestClient, cid: int, auth: dict[str, str]) -> list[tuple[str, int, int]]:
    got = c.get(f"/api/me/collections/{cid}/sections", headers=auth)
    assert got.status_code == 200, got.text
    return [(s["title"], s["position"], s["papers"]) for s in got.json()]


def _said(answer: Any, status: int, words: str) -> None:
    assert answer.status_code == status, answer.text
    assert words in answer.json()["detail"], answer.text


def test_the_owner_keeps_the_sections_through_the_api_and_the_page_shows_them(
    settings: Settings, engine: Engine
) -> None:
    with _site(settings, engine) as c:
        found = _imported(c, engine)
        auth = _login(c, "ada")
        base = f"/api/me/collections/{found.id}"
        assert _listed(c, found.id, auth) == [(ORAL, 1, 1), (POSTER, 2, 2)]
        added = c.post(f"{base}/sections", json={"title": "  Late   breaking "}, headers=auth)
        assert added.status_code == 201, added.text
        late = added.json()
        assert late == {
            "id": late["id"],
            "collection_id": found.id,
            "title": "Late breaking",
            "position": 3,
            "papers": 0,
        }
        oral, poster = (c.get(f"{base}/sections", headers=auth).json()[n]["id"] for n in (0, 1))
        moved = c.patch(f"{base}/sections/{late['id']}", json={"position": 1}, headers=auth)
        assert (moved.status_code, moved.json()["position"]) == (200, 1), moved.text
        renamed = c.patch(
            f"{base}/sections/{oral}", json={"title": "Oral 1", "position": 2}, headers=auth
        )
        assert (renamed.json()["title"], renamed.json()["position"]) == ("Oral 1", 2)
        filed = c.put(
            f"{base}/papers/{CHAOS.id}/section", json={"section_id": late["id"]}, headers=auth
        )
        assert filed.status_code == 200, filed.text
        assert filed.json()["paper_id"] == CHAOS.id
        assert (filed.json()["section"]["title"], filed.json()["section"]["papers"]) == (
            "Late breaking",
            1,
        )
        out = c.put(f"{base}/papers/{SENSORS.id}/section", json={"section_id": None}, headers=auth)
        assert (out.status_code, out.json()["section"]) == (200, None), out.text
        c.put(f"{base}/papers/{LOOSE.id}/section", json={"section_id": poster}, headers=auth)
        assert _listed(c, found.id, auth) == [
            ("Late breaking", 1, 1),
            ("Oral 1", 2, 1),
            (POSTER, 3, 1),
        ]
        page = c.get(f"/c/{found.share_key}")
        deleted = c.delete(f"{base}/sections/{late['id']}", headers=auth)
        again = c.delete(f"{base}/sections/{late['id']}", headers=auth)
        after = c.get(f"/c/{found.share_key}")
    assert _headings_and_papers(page.text) == [
        SENSORS.id,
        "Late breaking",
        CHAOS.id,
        "Oral 1",
        GRAPHS.id,
        POSTER,
        LOOSE.id,
    ]
    assert deleted.json() == {"id": late["id"], "collection_id": found.id, "removed": True}
    assert (again.status_code, again.json()["removed"]) == (200, False)
    assert _headings_and_papers(after.text) == [
        SENSORS.id,
        CHAOS.id,  # its section deleted, it stays in the collection, under none
        "Oral 1",
        GRAPHS.id,
        POSTER,
        LOOSE.id,
    ]


def test_an_editor_may_a_stranger_gets_a_404_and_a_read_only_token_a_403(
    settings: Settings, engine: Engine
) -> None:
    with _site(settings, engine) as c:
        found = _imported(c, engine)
        eddie, fran = bearer(c, "eddie"), bearer(c, "fran")
        with engine.begin() as conn:
            assert add_editor(conn, found, "eddie")
        owner = _login(c, "ada")
        made = c.post("/api/me/tokens", json={"name": "bot", "read_only": True}, headers=owner)
        reader = {"Authorization": f"Bearer {made.json()['token']}"}
        base = f"/api/me/collections/{found.id}"
        with engine.connect() as conn:
            oral = cs.sections(conn, found.id)[0]
        edited = c.post(f"{base}/sections", json={"title": "Eddie's"}, headers=eddie)
        filed = c.put(
            f"{base}/papers/{LOOSE.id}/section", json={"section_id": oral.id}, headers=eddie
        )
        stranger = [
            c.get(f"{base}/sections", headers=fran),
            c.post(f"{base}/sections", json={"title": "Fran's"}, headers=fran),
            c.patch(f"{base}/sections/{oral.id}", json={"title": "Fran's"}, headers=fran),
            c.delete(f"{base}/sections/{oral.id}", headers=fran),
            c.put(f"{base}/papers/{LOOSE.id}/section", json={"section_id": None}, headers=fran),
        ]
        read = c.get(f"{base}/sections", headers=reader)
        refused = [
            c.post(f"{base}/sections", json={"title": "Bot's"}, headers=reader),
            c.patch(f"{base}/sections/{oral.id}", json={"position": 2}, headers=reader),
            c.delete(f"{base}/sections/{oral.id}", headers=reader),
            c.put(f"{base}/papers/{LOOSE.id}/section", json={"section_id": None}, headers=reader),
        ]
        listed = _listed(c, found.id, owner)
    assert edited.status_code == 201 and filed.status_code == 200, (edited.text, filed.text)
    for answer in stranger:
        _said(answer, 404, "no such collection of yours")
    assert read.status_code == 200
    for answer in refused:
        _said(answer, 403, "read-only")
    assert listed == [(ORAL, 1, 2), (POSTER, 2, 2), ("Eddie's", 3, 0)]


def test_a_bad_heading_or_section_is_refused_saying_why_as_the_form_does(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _site(settings, engine) as c:
        found = _imported(c, engine)
        auth = _login(c, "ada")
        base = f"/api/me/collections/{found.id}"
        with engine.begin() as conn:
            oral, poster = cs.sections(conn, found.id)
            other = lib.ensure_collection(conn, found.user_id, "Other")
            theirs = cs.add_section(conn, other.id, "Theirs")

        def add(title: str) -> Any:
            return c.post(f"{base}/sections", json={"title": title}, headers=auth)

        _said(add("   "), 400, "a section needs a heading")
        _said(add("x" * 201), 400, "at most 200 characters")
        duplicate = f"this collection has a section “{ORAL.upper()}” already"
        _said(add(ORAL.upper()), 400, duplicate)
        renamed = c.patch(f"{base}/sections/{poster.id}", json={"title": ORAL}, headers=auth)
        _said(renamed, 400, f"a section “{ORAL}” already")
        cased = c.patch(f"{base}/sections/{oral.id}", json={"title": ORAL.lower()}, headers=auth)
        assert cased.status_code == 200  # its own heading, in other letters
        _said(c.patch(f"{base}/sections/{oral.id}", json={}, headers=auth), 400, "give a title")
        gone = c.patch(f"{base}/sections/{theirs.id}", json={"position": 1}, headers=auth)
        _said(gone, 404, "no such section in this collection")
        alien = c.put(
            f"{base}/papers/{GRAPHS.id}/section", json={"section_id": theirs.id}, headers=auth
        )
        _said(alien, 400, "no such section in this collection")
        elsewhere = f"/api/me/collections/{other.id}/papers/{GRAPHS.id}/section"
        absent = c.put(elsewhere, json={"section_id": None}, headers=auth)
        _said(absent, 404, "that paper is not in this collection")
        unknown = c.post(f"{base}/sections", json={"title": "A", "heading": "B"}, headers=auth)
        _said(unknown, 422, "heading")
        nowhere = c.patch(f"{base}/sections/{oral.id}", json={"position": 0}, headers=auth)
        assert nowhere.status_code == 422
        monkeypatch.setattr(cs, "SECTIONS_MAX", 2)
        _said(add("Third"), 400, "at most 2 sections")
        sign_in_as(c, "ada")
        form = post_form(c, f"/c/{found.share_key}/sections", {"title": ORAL.upper()})
    assert form.status_code == 400 and duplicate in form.text  # the form says it alike
