"""Import from a Zotero library: read through Zotero's Web API (replayed on loopback), a hundred
items a request, the reader's key sent and never kept, matched and saved as an export of the same
library would be; Zotero's refusals and failures are 4xx/502s that say what to change.

The items are CSL-JSON as Zotero writes arXiv preprints (the id in URL, DOI and number, the
arXiv line in the note); the paging follows Zotero's documented headers (`Total-Results`,
`Last-Modified-Version`, `Link`)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import Engine

from paperfeed import references
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.library import library, user_collections
from tests.replay import ZOTERO_KEY, Handler, ReplayServer, Reply, Request, replay, zotero_api
from tests.web_support import bearer, client, csrf_token, sign_up, user_id, web_settings

DAY = date(2025, 6, 2)
KEY = ZOTERO_KEY
STORED = 125  # papers here that the library names
ABSENT = 5  # journal articles of the library that are not here


def _papers() -> list[Paper]:
    return [
        Paper(
            id=f"2506.{10000 + i}",
            title=f"Sparse graph study number {i}",
            authors=("Jane Doe", "Rick Roe"),
            listing_date=DAY,
        )
        for i in range(STORED)
    ]


def _item(i: int) -> dict[str, object]:
    """The i-th item of the library, as Zotero's API gives it in CSL-JSON."""
    if i >= STORED:
        return {
            "id": f"4455/J{i:07d}",
            "type": "article-journal",
            "title": f"A wet-lab protocol, part {i}",
            "container-title": "Journal of Protocols",
            "author": [{"family": "Moss", "given": "Kim"}],
            "issued": {"date-parts": [["2019", 3, 1]]},
            "DOI": f"10.1000/protocol.{i}",
        }
    pid = f"2506.{10000 + i}"
    item: dict[str, object] = {
        "id": f"4455/A{i:07d}",
        "type": "article",
        "title": f"Sparse graph study number {i}",
        "author": [{"family": "Doe", "given": "Jane"}, {"family": "Roe", "given": "Rick"}],
        "issued": {"date-parts": [["2025", 6, 2]]},
        "publisher": "arXiv",
        "source": "arXiv.org",
        "number": f"arXiv:{pid}",
        "note": f"arXiv:{pid} [cs]",
    }
    # Zotero keeps the arXiv id in different fields by how the item was saved: each is read.
    if i % 3 == 0:
        item["URL"] = f"http://arxiv.org/abs/{pid}"
    elif i % 3 == 1:
        item["DOI"] = f"10.48550/arXiv.{pid}"
    return item


LIBRARY = [_item(i) for i in range(STORED + ABSENT)]


zotero_handler = zotero_api(
    {
        "/users/4455/items/top": LIBRARY,  # private: KEY reads it
        "/groups/77/items/top": LIBRARY[:40],  # public
        "/groups/77/collections/ABCD2345/items/top": LIBRARY[:10],
    },
    {"/users/4455/items/top": KEY},
)


@contextmanager
def site(
    settings: Settings, handler: Handler = zotero_handler, **changes: object
) -> Iterator[tuple[Settings, Engine, ReplayServer]]:
    """The site's settings (Zotero replayed by `handler`) over a store of the stored papers."""
    from paperfeed.store import open_store

    with replay(handler) as zotero:
        given = {"zotero_api_url": zotero.url, "http_retries": 0} | changes
        s = web_settings(settings, **given)
        engine = open_store(s)
        with engine.begin() as conn:
            upsert_papers(conn, _papers())
        try:
            yield s, engine, zotero
        finally:
            engine.dispose()


def test_a_private_library_is_read_page_by_page_and_imported(settings: Settings) -> None:
    with site(settings) as (s, engine, zotero), client(s, engine) as c:
        auth = bearer(c, "reader")
        body = {"id": "4455", "key": KEY, "collection": "From Zotero"}
        got = c.post("/api/me/library/import/zotero", json=body, headers=auth)
        assert got.status_code == 200, got.text
        report = got.json()
        again = c.post("/api/me/library/import/zotero", json=body, headers=auth).json()
        asked = zotero.requests
    assert report["zotero_items"] == STORED + ABSENT
    assert (report["matched"], report["added"]) == (STORED, STORED)
    assert report["matched_by"] == {"arxiv id": STORED, "doi": 0, "title": 0}
    assert len(report["unmatched"]) == ABSENT
    assert report["unmatched"][0]["title"] == f"A wet-lab protocol, part {STORED}"
    assert report["into"]["name"] == "From Zotero"
    assert (again["matched"], again["added"]) == (STORED, 0)  # an import again adds nothing new
    with engine.connect() as conn:
        saved = {entry.paper_id for entry in library(conn, user_id(engine, "reader"))}
        assert [col.name for col in user_collections(conn, user_id(engine, "reader"))] == [
            "From Zotero"
        ]
    assert saved == {p.id for p in _papers()}
    first = asked[:2]  # two requests an import: items 0-99, then 100-129
    assert [r.params["start"] for r in first] == ["0", "100"]
    assert {r.params["limit"] for r in first} == {"100"}
    assert {r.headers["zotero-api-key"] for r in first} == {KEY}


def test_a_group_and_one_collection_of_it_need_no_key(settings: Settings) -> None:
    with site(settings) as (s, engine, zotero), client(s, engine) as c:
        auth = bearer(c, "reader")
        body = {"library": "group", "id": "77", "collection_key": "ABCD2345"}
        got = c.post("/api/me/library/import/zotero", json=body, headers=auth)
        whole = c.post(
            "/api/me/library/import/zotero",
            json={"library": "group", "id": "77"},
            headers=auth,
        )
        asked = zotero.requests
    assert got.status_code == 200, got.text
    assert (got.json()["zotero_items"], got.json()["added"]) == (10, 10)
    assert (whole.json()["zotero_items"], whole.json()["added"]) == (40, 30)
    assert [r.path for r in asked] == [
        "/groups/77/collections/ABCD2345/items/top",
        "/groups/77/items/top",
    ]
    assert all("zotero-api-key" not in r.headers for r in asked)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        ({"id": "4455", "key": "WRONGKEY0123456789abcdef"}, 403, "refused the API key"),
        ({"id": "4455"}, 403, "keeps private this library"),
        ({"id": "9999", "key": KEY}, 404, "no such library"),
        ({"library": "group", "id": "77", "collection_key": "ZZZZ9999"}, 404, "no such collection"),
    ],
)
def test_zotero_refusals_say_what_to_change_and_import_nothing(
    settings: Settings, body: dict[str, str], status: int, said: str
) -> None:
    with site(settings) as (s, engine, zotero), client(s, engine) as c:
        auth = bearer(c, "reader")
        got = c.post("/api/me/library/import/zotero", json=body, headers=auth)
        with engine.connect() as conn:
            assert library(conn, user_id(engine, "reader")) == []
    assert got.status_code == status, got.text
    assert said in got.json()["detail"]


def test_bad_fields_are_refused_before_zotero_is_asked(settings: Settings) -> None:
    with site(settings) as (s, engine, zotero), client(s, engine) as c:
        auth = bearer(c, "reader")
        answers = [
            c.post("/api/me/library/import/zotero", json=body, headers=auth)
            for body in (
                {"id": "jane_doe"},  # a user name, not the user ID
                {"id": "4455", "key": "has spaces and ; symbols"},
                {"id": "4455", "collection_key": "abc"},
                {"id": "4455", "library": "team"},
                {"id": "4455", "colection": "typo"},
            )
        ]
        asked = zotero.requests
    assert [a.status_code for a in answers] == [422] * 5
    assert asked == []


def test_zotero_down_or_garbled_is_a_502_and_a_huge_library_a_413(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def garbled(req: Request) -> Reply:
        return Reply(b"<html>maintenance</html>", content_type="text/html")

    body = {"id": "4455", "key": KEY}
    with site(settings, garbled) as (s, engine, _zotero), client(s, engine) as c:
        unreadable = c.post(
            "/api/me/library/import/zotero", json=body, headers=bearer(c, "garbled")
        )
    down = f"http://127.0.0.1:{_closed_port()}"
    with site(settings, zotero_api_url=down) as (s, engine, _zotero), client(s, engine) as c:
        unreachable = c.post("/api/me/library/import/zotero", json=body, headers=bearer(c, "down"))
    monkeypatch.setattr(references, "MAX_IMPORT_BYTES", 20_000)
    with site(settings) as (s, engine, _zotero), client(s, engine) as c:
        huge = c.post("/api/me/library/import/zotero", json=body, headers=bearer(c, "huge"))
        with engine.connect() as conn:
            assert library(conn, user_id(engine, "huge")) == []
    assert unreadable.status_code == 502 and "not CSL-JSON" in unreadable.json()["detail"]
    assert unreachable.status_code == 502
    assert "could not read the library from Zotero" in unreachable.json()["detail"]
    assert huge.status_code == 413 and "a collection at a time" in huge.json()["detail"]


def test_the_import_page_form_imports_and_a_refusal_keeps_the_fields(settings: Settings) -> None:
    with site(settings) as (s, engine, zotero), client(s, engine) as c:
        sign_up(c, "reader")
        page = c.get("/library/import").text
        form = {"zotero_library": "user", "zotero_id": "4455", "zotero_key": KEY}
        token = csrf_token(c, "/library/import")
        done = c.post("/library/import/zotero", data=form | {"csrf_token": token})
        refused = c.post(
            "/library/import/zotero",
            data=form | {"zotero_key": "WRONGKEY0123456789abcdef", "csrf_token": token},
        )
        no_token = c.post("/library/import/zotero", data=form)
    assert 'action="/library/import/zotero"' in page and "Import from Zotero" in page
    assert done.status_code == 200
    assert f"<strong>{STORED}</strong> papers matched" in done.text
    assert f"{ABSENT} entries not imported" in done.text
    assert refused.status_code == 403
    assert "Nothing was imported: Zotero refused the API key" in refused.text
    assert 'value="4455"' in refused.text and "WRONGKEY" not in refused.text  # the key not echoed
    assert no_token.status_code == 403


def test_a_site_without_a_zotero_address_offers_no_zotero_import(settings: Settings) -> None:
    with site(settings, zotero_api_url="") as (s, engine, _zotero), client(s, engine) as c:
        auth = bearer(c, "reader")
        got = c.post("/api/me/library/import/zotero", json={"id": "4455"}, headers=auth)
        sign_up(c, "second")
        page = c.get("/library/import").text
    assert got.status_code == 404 and "does not read Zotero libraries" in got.json()["detail"]
    assert "Import from Zotero" not in page
