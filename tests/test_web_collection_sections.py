"""A workshop's accepted papers pasted with their programme's headings keep them: the import
files each paper under its heading, the collection's page shows the headings in order, and its
owner and editors arrange them with plain forms; others only read them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import collection_sections as cs
from paperfeed.store import library as lib
from paperfeed.store import upsert_papers
from paperfeed.store.collection_editors import add_editor
from tests.web_support import client, post_form, sign_in_as, web_settings

DAY = date(2026, 3, 2)
GRAPHS = Paper(
    id="2504.12588",
    title="Simplifying Graph Transformers for Node Classification",
    authors=("Liheng Ma", "Mark Coates"),
    listing_date=DAY,
)
SENSORS = Paper(
    id="2503.11731",
    title="Industrial-Grade Sensor Simulation via Gaussian Splatting",
    listing_date=DAY,
)
CHAOS = Paper(id="2602.20021", title="Agents of Chaos in Multi-Agent Worlds", listing_date=DAY)
LOOSE = Paper(id="2506.01928", title="Esoteric Language Models", listing_date=DAY)
PROGRAMME = f"""Accepted Papers
https://arxiv.org/abs/{LOOSE.id}

## Oral 1: Retrieval
1. {GRAPHS.title}. Liheng Ma, Mark Coates

Poster Session A (14:00-15:30)
{SENSORS.title}
https://arxiv.org/abs/{SENSORS.id}
{CHAOS.title}
https://arxiv.org/abs/{CHAOS.id}
"""
HOSTILE = "<script>alert(1)</script> **bold** $x^2$"


@contextmanager
def _site(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with engine.begin() as conn:
        upsert_papers(conn, [GRAPHS, SENSORS, CHAOS, LOOSE])
    with client(web_settings(settings), engine) as c:
        yield c


def _imported(c: TestClient, engine: Engine) -> lib.Collection:
    """Ada imports the programme into her public collection "Workshop"."""
    token = sign_in_as(c, "ada", new=True)
    made = {"name": "Workshop", "visibility": "public", "csrf_token": token}
    assert c.post("/collections", data=made, follow_redirects=False).status_code == 303
    sent = {"text": PROGRAMME, "collection": "Workshop", "csrf_token": token}
    report = c.post("/library/import", data=sent)
    assert report.status_code == 200, report.text
    assert "under its sections “Oral 1: Retrieval”, “Poster Session A (14:00-15:30)”" in (
        report.text
    )
    assert "“Poster Session A (14:00-15:30)” is a heading, not a paper" in report.text
    return _workshop(engine)


def _workshop(engine: Engine) -> lib.Collection:
    with engine.connect() as conn:
        cid = conn.scalars(select(lib.collections.c.id).where(lib.collections.c.name == "Workshop"))
        found = lib.get_collection(conn, cid.one())
    assert found is not None
    return found


def _headings_and_papers(html: str) -> list[str]:
    """The page's section headings and papers' ids, in order."""
    found = re.finditer(r'<h2 class="list-section-heading"[^>]*>(.*?)</h2>|data-id="([^"]+)"', html)
    return [m[1] or m[2] for m in found]


def test_a_pasted_programme_shows_its_papers_under_their_headings(
    settings: Settings, engine: Engine
) -> None:
    with _site(settings, engine) as c:
        found = _imported(c, engine)
        c.cookies.clear()  # the public reads it
        page = c.get(f"/c/{found.share_key}")
    assert page.status_code == 200
    assert _headings_and_papers(page.text) == [
        LOOSE.id,
        "Oral 1: Retrieval",
        GRAPHS.id,
        "Poster Session A (14:00-15:30)",
        SENSORS.id,
        CHAOS.id,
    ]
    assert 'id="sections"' not in page.text  # no controls for a reader


def test_the_api_text_import_files_papers_under_headings(
    settings: Settings, engine: Engine
) -> None:
    with _site(settings, engine) as c:
        sign_in_as(c, "ada", new=True)
        c.cookies.clear()
        token = c.post("/api/login", json={"username": "ada", "password": "correct horse battery"})
        auth = {"Authorization": f"Bearer {token.json()['token']}"}
        sent = {"text": PROGRAMME, "collection": "Workshop"}
        got = c.post("/api/me/library/import", data=sent, headers=auth)
    assert got.status_code == 200, got.text
    assert got.json()["sections"] == ["Oral 1: Retrieval", "Poster Session A (14:00-15:30)"]
    found = _workshop(engine)
    with engine.connect() as conn:
        placed = {pid: s.title for pid, s in cs.paper_sections(conn, found.id).items()}
    assert placed == {
        GRAPHS.id: "Oral 1: Retrieval",
        SENSORS.id: "Poster Session A (14:00-15:30)",
        CHAOS.id: "Poster Session A (14:00-15:30)",
    }


def test_the_owner_adds_renames_moves_and_deletes_sections_with_forms(
    settings: Settings, engine: Engine
) -> None:
    with _site(settings, engine) as c:
        found = _imported(c, engine)
        base = f"/c/{found.share_key}"
        with engine.connect() as conn:
            oral, poster = cs.sections(conn, found.id)
        added = post_form(c, f"{base}/sections", {"title": "  Late   breaking "})
        assert added.status_code == 303 and added.headers["location"].startswith(f"{base}#section-")
        late = int(added.headers["location"].rpartition("-")[2])
        assert post_form(c, f"{base}/sections/{late}/move", {"to": "1"}).status_code == 303
        moved = post_form(c, f"{base}/section", {"paper_id": CHAOS.id, "section": str(late)})
        assert moved.headers["location"] == f"{base}#note-{CHAOS.id}"
        renamed = post_form(c, f"{base}/sections/{oral.id}/rename", {"title": "Oral 1"})
        assert renamed.status_code == 303
        post_form(c, f"{base}/section", {"paper_id": LOOSE.id, "section": str(poster.id)})
        post_form(c, f"{base}/section", {"paper_id": SENSORS.id, "section": ""})
        page = c.get(base)
        assert _headings_and_papers(page.text) == [
            SENSORS.id,
            "Late breaking",
            CHAOS.id,
            "Oral 1",
            GRAPHS.id,
            "Poster Session A (14:00-15:30)",
            LOOSE.id,
        ]
        assert post_form(c, f"{base}/sections/{late}/delete", {}).status_code == 303
        after = c.get(base)
    assert _headings_and_papers(after.text) == [
        SENSORS.id,
        CHAOS.id,  # its section deleted, it stays, under none
        "Oral 1",
        GRAPHS.id,
        "Poster Session A (14:00-15:30)",
        LOOSE.id,
    ]


def test_a_heading_is_inert_text_and_a_bad_one_is_refused_with_why(
    settings: Settings, engine: Engine
) -> None:
    with _site(settings, engine) as c:
        found = _imported(c, engine)
        base = f"/c/{found.share_key}"
        added = post_form(c, f"{base}/sections", {"title": HOSTILE})
        section = added.headers["location"].rpartition("-")[2]
        post_form(c, f"{base}/section", {"paper_id": GRAPHS.id, "section": section})
        page = c.get(base).text
        long = post_form(c, f"{base}/sections", {"title": "x" * 201})
        empty = post_form(c, f"{base}/sections", {"title": "   "})
        alien = post_form(c, f"{base}/section", {"paper_id": GRAPHS.id, "section": "999"})
        word = post_form(c, f"{base}/section", {"paper_id": GRAPHS.id, "section": "first"})
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** $x^2$</h2>" in page
    assert "<script>alert(1)" not in page
    assert (long.status_code, empty.status_code, alien.status_code) == (400, 400, 400)
    assert "at most 200 characters" in long.text and "needs a heading" in empty.text
    assert "no such section in this collection" in alien.text
    assert word.status_code == 400 and "section must be" in word.text


def test_an_editor_arranges_sections_and_a_follower_cannot(
    settings: Settings, engine: Engine
) -> None:
    with _site(settings, engine) as c:
        found = _imported(c, engine)
        base = f"/c/{found.share_key}"
        sign_in_as(c, "eddie", new=True)
        sign_in_as(c, "fran", new=True)
        with engine.begin() as conn:
            assert add_editor(conn, found, "eddie")
        refused = post_form(c, f"{base}/sections", {"title": "Fran's"})
        assert "Sections</h2>" not in c.get(base).text
        sign_in_as(c, "eddie")
        assert "Sections</h2>" in c.get(base).text
        assert post_form(c, f"{base}/sections", {"title": "Eddie's"}).status_code == 303
    assert refused.status_code == 404
    with engine.connect() as conn:
        assert [s.title for s in cs.sections(conn, found.id)][-1] == "Eddie's"


def test_feeds_and_exports_carry_each_papers_section_in_the_pages_order(
    settings: Settings, engine: Engine
) -> None:
    with _site(settings, engine) as c:
        found = _imported(c, engine)
        c.cookies.clear()
        got = {fmt: c.get(f"/c/{found.share_key}/feed.{fmt}") for fmt in FORMATS}
    assert all(r.status_code == 200 for r in got.values()), {f: r.text for f, r in got.items()}
    atom, rss = got["atom"].text, got["rss"].text
    assert 'term="Oral 1: Retrieval"' in atom and 'label="Oral 1: Retrieval"' in atom
    assert "#sections" in atom  # its scheme: the collection's page
    assert ">Poster Session A (14:00-15:30)</category>" in rss
    for fmt, response in got.items():  # every format lists the papers as the page does
        order = [m[0] for m in re.finditer("|".join(re.escape(p) for p in ORDER), response.text)]
        assert list(dict.fromkeys(order)) == ORDER, fmt
    assert "Oral 1: Retrieval" in got["ris"].text and "Oral 1: Retrieval" in got["json"].text
    assert "Oral 1: Retrieval" in got["bib"].text  # keywords: what Zotero reads as tags


FORMATS = ("atom", "rss", "bib", "ris", "json")
ORDER = [LOOSE.id, GRAPHS.id, SENSORS.id, CHAOS.id]  # under none, then by heading


def test_the_api_lists_a_collections_papers_with_their_sections(
    settings: Settings, engine: Engine
) -> None:
    with _site(settings, engine) as c:
        found = _imported(c, engine)
        c.cookies.clear()
        token = c.post("/api/login", json={"username": "ada", "password": "correct horse battery"})
        auth = {"Authorization": f"Bearer {token.json()['token']}"}
        listed = c.get(f"/api/me/library?collection={found.id}&order=list", headers=auth)
        plain = c.get("/api/me/library", headers=auth)
    assert [(i["paper"]["id"], i["section"]) for i in listed.json()] == [
        (LOOSE.id, None),
        (GRAPHS.id, "Oral 1: Retrieval"),
        (SENSORS.id, "Poster Session A (14:00-15:30)"),
        (CHAOS.id, "Poster Session A (14:00-15:30)"),
    ]
    assert all("section" not in i for i in plain.json())  # no collection: no section


def test_a_copy_of_the_collection_keeps_its_sections(settings: Settings, engine: Engine) -> None:
    with _site(settings, engine) as c:
        found = _imported(c, engine)
        sign_in_as(c, "bea", new=True)
        copied = post_form(c, f"/c/{found.share_key}/copy", {"name": "Bea's workshop"})
    assert copied.status_code == 303
    with engine.connect() as conn:
        cid = conn.scalars(
            select(lib.collections.c.id).where(lib.collections.c.name == "Bea's workshop")
        ).one()
        placed = {pid: s.title for pid, s in cs.paper_sections(conn, cid).items()}
        order = lib.collection_paper_ids(conn, cid, "list")
    assert placed == {
        GRAPHS.id: "Oral 1: Retrieval",
        SENSORS.id: "Poster Session A (14:00-15:30)",
        CHAOS.id: "Poster Session A (14:00-15:30)",
    }
    assert order == ORDER
