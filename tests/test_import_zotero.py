"""Import from a Zotero library: read through Zotero's Web API (replayed on loopback), a hundred
items a request, the reader's key sent and never kept, matched and saved as an export of the same
library would be; Zotero's refusals and failures are 4xx/502s that say what to change.

The items are CSL-JSON as Zotero writes arXiv preprints (the id in URL, DOI and number, the
arXiv line in the note); the paging follows Zotero's documented headers (`Total-Results`,
`Last-Modified-Version`, `Link`)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, select, update

from paperfeed import references
from paperfeed.models import Paper
from paperfeed.pipeline import Context, find_job
from paperfeed.pipeline.zotero_sync import sync_due, sync_link
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers, zotero_links
from paperfeed.store.library import library, user_collections
from tests.replay import (
    ZOTERO_KEY,
    Handler,
    ReplayServer,
    Reply,
    Request,
    arxiv_api_handler,
    replay,
    zotero_api,
)
from tests.web_support import (
    bearer,
    client,
    csrf_token,
    sign_in_as,
    sign_up,
    user_id,
    web_settings,
)

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
        ({"id": "4455"}, 403, "Zotero keeps this library private"),
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


# --- a library kept in step ------------------------------------------------------------------


def _more_papers(n: int) -> list[Paper]:
    return [
        Paper(id=f"2507.{20000 + i}", title=f"Later graph study {i}", listing_date=DAY)
        for i in range(n)
    ]


def _later_item(paper: Paper) -> dict[str, object]:
    key = f"L{int(paper.id.replace('.', '')) % 10_000_000:07d}"  # as Zotero's keys: 8 of A-Z, 0-9
    return {"id": f"4455/{key}", "type": "article", "title": paper.title,
            "URL": f"https://arxiv.org/abs/{paper.id}"}  # fmt: skip


def _synced_ago(engine: Engine, uid: int, ago: timedelta) -> None:
    """Date the reader's link's last sync back (it was synced as it was linked)."""
    at = datetime.now(UTC).replace(tzinfo=None) - ago
    with engine.begin() as conn:
        conn.execute(
            update(zotero_links.zotero_links)
            .where(zotero_links.zotero_links.c.user_id == uid)
            .values(synced_at=at)
        )


def test_a_kept_library_syncs_what_is_new_daily_and_when_asked(settings: Settings) -> None:
    library_items = LIBRARY[:20]
    handler = zotero_api({"/users/4455/items/top": library_items}, {"/users/4455/items/top": KEY})
    later = _more_papers(3)
    with site(settings, handler) as (s, engine, zotero), client(s, engine) as c:
        with engine.begin() as conn:
            upsert_papers(conn, later)
        auth = bearer(c, "reader")
        body = {"id": "4455", "key": KEY, "keep": True, "collection": "Zotero"}
        first = c.post("/api/me/library/import/zotero", json=body, headers=auth).json()
        linked = c.get("/api/me/zotero", headers=auth).json()
        uid = user_id(engine, "reader")
        with engine.connect() as conn:
            kept = zotero_links.get_link(conn, uid)
        # two papers saved in Zotero an hour after the import: asked for, then a daily run's
        library_items += [_later_item(p) for p in later[:2]]
        _synced_ago(engine, uid, timedelta(hours=1))
        asked_now = c.post("/api/me/zotero/sync", headers=auth)
        again = c.post("/api/me/zotero/sync", headers=auth)
        library_items.append(_later_item(later[2]))
        job = find_job("zotero")
        assert job is not None
        tomorrow = datetime.now(UTC) + timedelta(hours=21)
        daily = job.run(Context(engine, s, clock=lambda: tomorrow))
        quiet = job.run(Context(engine, s, clock=lambda: tomorrow + timedelta(hours=1)))
        with engine.connect() as conn:
            saved = {e.paper_id for e in library(conn, uid)}
            in_zotero = [c_.name for c_ in user_collections(conn, uid)]
        asked = [(r.params.get("format"), r.params.get("since")) for r in zotero.requests]
    assert (first["linked"], first["added"]) == (True, 20)
    assert kept is not None and (kept.version, kept.api_key) == (20, KEY)
    assert linked["key_hint"] == "…" + KEY[-4:] and KEY not in json.dumps(linked)
    assert (linked["library"], linked["id"], linked["collection"]) == ("user", "4455", "Zotero")
    assert asked_now.status_code == 200, asked_now.text
    assert asked_now.json() == {"items": 2, "added": 2, "removed": 0, "error": None}
    assert again.status_code == 429 and "Retry-After" in again.headers
    assert daily == {"due": 1, "synced": 1, "failed": 0, "items": 1, "added": 1, "removed": 0}
    assert quiet == {"due": 0, "synced": 0, "failed": 0, "items": 0, "added": 0, "removed": 0}
    # each sync asks only for what changed since the last, then which items the library
    # holds now (its version moved): a quiet library would cost the first request alone
    assert asked == [("csljson", None), ("csljson", "20"), ("keys", None)] + [
        ("csljson", "22"),
        ("keys", None),
    ]
    assert saved == {p.id for p in _papers()[:20]} | {p.id for p in later}
    assert in_zotero == ["Zotero"]


def test_a_failed_sync_is_recorded_and_the_next_one_starts_where_it_was(
    settings: Settings,
) -> None:
    items = LIBRARY[:10]
    private = {"/users/4455/items/top": KEY}
    handler = zotero_api({"/users/4455/items/top": items}, private)
    with site(settings, handler) as (s, engine, zotero), client(s, engine) as c:
        auth = bearer(c, "reader")
        c.post("/api/me/library/import/zotero", json={"id": "4455", "key": KEY, "keep": True},
               headers=auth)  # fmt: skip
        uid = user_id(engine, "reader")
        private["/users/4455/items/top"] = "ANOTHERKEY"  # the reader revoked the key in Zotero
        items += LIBRARY[10:12]
        later = datetime.now(UTC) + timedelta(hours=21)
        failed = sync_due(engine, s, later.replace(tzinfo=None))
        shown = c.get("/api/me/zotero", headers=auth).json()
        private["/users/4455/items/top"] = KEY  # a new key made; the next day's run
        done = sync_due(engine, s, (later + timedelta(hours=21)).replace(tzinfo=None))
        with engine.connect() as conn:
            link = zotero_links.get_link(conn, uid)
        sinces = [r.params.get("since") for r in zotero.requests]
    assert failed["failed"] == 1 and failed["synced"] == 0
    assert "refused the API key" in (shown["error"] or "")
    assert done == {"due": 1, "synced": 1, "failed": 0, "items": 2, "added": 2, "removed": 0}
    assert link is not None and link.error is None and link.version == 12
    assert sinces == [None, "10", "10", None]  # the failed sync's version was kept


def test_unlinking_forgets_the_key_and_keeps_the_papers_on_the_page_too(
    settings: Settings,
) -> None:
    with site(settings) as (s, engine, _zotero), client(s, engine) as c:
        sign_up(c, "reader")
        token = csrf_token(c, "/library/import")
        form = {"zotero_id": "4455", "zotero_key": KEY, "keep": "true", "csrf_token": token}
        linked = c.post("/library/import/zotero", data=form)
        page = c.get("/library/import").text
        synced = c.post("/library/zotero/sync", data={"csrf_token": token})
        unlinked = c.post("/library/zotero/unlink", data={"csrf_token": token})
        uid = user_id(engine, "reader")
        with engine.connect() as conn:
            gone = zotero_links.get_link(conn, uid)
            saved = library(conn, uid)
        no_link_sync = c.post("/library/zotero/sync", data={"csrf_token": token})
    assert linked.status_code == 200 and f"<strong>{STORED}</strong> papers matched" in linked.text
    assert "Your Zotero library, kept in step" in page and "…" + KEY[-4:] in page
    assert KEY not in page  # the kept key is never shown again
    assert "Sync now" in page and "Unlink" in page
    assert synced.status_code == 429 and "synced a moment ago" in synced.text
    assert unlinked.status_code == 200 and "Unlinked: the key is forgotten" in unlinked.text
    assert gone is None and len(saved) == STORED
    assert no_link_sync.status_code == 404


def test_the_link_is_in_the_account_export_without_its_key_and_goes_with_the_account(
    settings: Settings,
) -> None:
    with site(settings) as (s, engine, _zotero), client(s, engine) as c:
        auth = bearer(c, "reader")
        c.post("/api/me/library/import/zotero", json={"id": "4455", "key": KEY, "keep": True},
               headers=auth)  # fmt: skip
        exported = c.get("/api/me/export", headers=auth)
        uid = user_id(engine, "reader")
        gone = c.request("DELETE", "/api/me", json={"password": "correct horse battery"},
                         headers=auth)  # fmt: skip
        with engine.connect() as conn:
            left = zotero_links.get_link(conn, uid)
            items_left = _noted(conn, uid)
    assert exported.status_code == 200
    assert exported.json()["zotero_library"][0]["library_id"] == "4455"
    noted = exported.json()["zotero_items"]
    assert len(noted) == STORED and {"item_key": "A0000003", "paper_id": "2506.10003",
                                     "owned": True} in noted  # fmt: skip
    assert KEY not in exported.text
    assert gone.status_code in (200, 204), gone.text
    assert left is None and items_left == set()


def test_one_sync_of_a_link_at_a_time(settings: Settings) -> None:
    with site(settings) as (s, engine, _zotero), client(s, engine) as c:
        auth = bearer(c, "reader")
        c.post("/api/me/library/import/zotero", json={"id": "4455", "key": KEY, "keep": True},
               headers=auth)  # fmt: skip
        uid = user_id(engine, "reader")
        now = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=21)
        with engine.begin() as conn:
            assert zotero_links.claim(conn, uid, now, now - timedelta(minutes=30)) is not None
        busy = sync_link(engine, s, uid, now + timedelta(minutes=1))
        taken_over = sync_link(engine, s, uid, now + timedelta(minutes=31))  # that one died
    assert busy.skipped
    assert not taken_over.skipped and taken_over.error is None


def test_unlinking_through_the_api_is_idempotent(settings: Settings) -> None:
    with site(settings) as (s, engine, _zotero), client(s, engine) as c:
        auth = bearer(c, "reader")
        none_yet = c.get("/api/me/zotero", headers=auth)
        c.post("/api/me/library/import/zotero", json={"id": "4455", "key": KEY, "keep": True},
               headers=auth)  # fmt: skip
        first = c.delete("/api/me/zotero", headers=auth)
        again = c.delete("/api/me/zotero", headers=auth)
        after = c.get("/api/me/zotero", headers=auth)
        sync = c.post("/api/me/zotero/sync", headers=auth)
        with engine.connect() as conn:
            kept = len(library(conn, user_id(engine, "reader")))
    assert none_yet.status_code == 404 and "no Zotero library" in none_yet.json()["detail"]
    assert (first.status_code, first.json()) == (200, {"removed": True})
    assert (again.status_code, again.json()) == (200, {"removed": False})
    assert after.status_code == 404 and sync.status_code == 404
    assert kept == STORED  # the papers imported stay


def test_a_sync_fetches_an_arxiv_paper_the_store_lacks(settings: Settings) -> None:
    """A paper saved in Zotero that is not here is fetched from arXiv (replayed) by the daily
    job, as an import fetches it, and saved."""
    items = LIBRARY[:5]
    handler = zotero_api({"/users/4455/items/top": items}, {"/users/4455/items/top": KEY})
    with (
        replay(arxiv_api_handler) as arxiv,
        site(settings, handler, arxiv_api_url=arxiv.url) as (s, engine, _zotero),
        client(s, engine) as c,
    ):
        auth = bearer(c, "reader")
        body = {"id": "4455", "key": KEY, "keep": True}
        assert c.post("/api/me/library/import/zotero", json=body, headers=auth).status_code == 200
        items.append({"id": "4455/OLD", "type": "article", "title": "An older preprint",
                      "URL": "https://arxiv.org/abs/1605.08386v1"})  # fmt: skip
        later = (datetime.now(UTC) + timedelta(hours=21)).replace(tzinfo=None)
        done = sync_due(engine, s, later)
        with engine.connect() as conn:
            saved = {e.paper_id for e in library(conn, user_id(engine, "reader"))}
    assert done["added"] == 1 and done["synced"] == 1, done
    assert "1605.08386" in saved and len(saved) == 6
    assert [r.params.get("id_list") for r in arxiv.requests] == ["1605.08386"]


def _noted(conn: Connection, uid: int) -> set[str]:
    """The Zotero item keys noted for the reader's link."""
    items = zotero_links.zotero_items
    return set(conn.scalars(select(items.c.item_key).where(items.c.user_id == uid)))


def _removed(items: list[dict[str, object]], i: int) -> None:
    """Item i leaves the Zotero library (deleted, trashed or taken out of the collection): the
    library's version moves on."""
    version = max(int(str(item.get("_v", n))) for n, item in enumerate(items, 1))
    items[i] = items[i] | {"_gone": True, "_v": version + 1}


def test_an_item_removed_in_zotero_leaves_the_library_where_the_link_put_it(
    settings: Settings,
) -> None:
    items = LIBRARY[:10] + [LIBRARY[5] | {"id": "4455/D0000005"}]  # paper 5 twice in Zotero
    handler = zotero_api({"/users/4455/items/top": items}, {"/users/4455/items/top": KEY})
    ids = [p.id for p in _papers()[:10]]
    with site(settings, handler) as (s, engine, zotero), client(s, engine) as c:
        auth = bearer(c, "reader")
        c.post("/api/me/library", json={"paper_id": ids[0]}, headers=auth)  # saved before
        body = {"id": "4455", "key": KEY, "keep": True, "collection": "Zotero"}
        first = c.post("/api/me/library/import/zotero", json=body, headers=auth).json()
        uid = user_id(engine, "reader")
        for i in (0, 1, 5):  # the one saved before, one the link brought, one of paper 5's two
            _removed(items, i)
        _synced_ago(engine, uid, timedelta(hours=1))
        token = sign_in_as(c, "reader")
        synced = c.post("/library/zotero/sync", data={"csrf_token": token})  # "Sync now"
        c.cookies.clear()
        shown = c.get("/api/me/zotero", headers=auth).json()
        with engine.connect() as conn:
            saved = {e.paper_id for e in library(conn, uid)}
            noted = _noted(conn, uid)
        before_quiet = len(zotero.requests)
        tomorrow = datetime.now(UTC) + timedelta(hours=21)
        quiet = sync_due(engine, s, tomorrow.replace(tzinfo=None))  # nothing changed in Zotero
        quiet_asked = [r.params.get("format") for r in zotero.requests[before_quiet:]]
    assert (first["added"], first["saved"]) == (9, 10)
    assert synced.status_code == 200
    assert "0 papers added to your library, 1 taken out (gone from Zotero)" in synced.text
    assert (shown["added"], shown["removed"], shown["error"]) == (0, 1, None)
    assert saved == set(ids) - {ids[1]}  # saved before the link, and still in Zotero once: stay
    assert noted == {f"A{i:07d}" for i in range(10) if i not in (0, 1, 5)} | {"D0000005"}
    assert quiet["removed"] == 0 and quiet_asked == ["csljson"]  # a quiet library: one request


def test_linking_again_keeps_what_the_link_brought_and_unlinking_forgets_the_items(
    settings: Settings,
) -> None:
    items = LIBRARY[:10]
    handler = zotero_api({"/users/4455/items/top": items}, {"/users/4455/items/top": KEY})
    with site(settings, handler) as (s, engine, _zotero), client(s, engine) as c:
        auth = bearer(c, "reader")
        body = {"id": "4455", "key": KEY, "keep": True}
        c.post("/api/me/library/import/zotero", json=body, headers=auth)
        again = c.post("/api/me/library/import/zotero", json=body, headers=auth).json()
        uid = user_id(engine, "reader")
        _removed(items, 2)
        _synced_ago(engine, uid, timedelta(hours=1))
        synced = c.post("/api/me/zotero/sync", headers=auth).json()
        c.delete("/api/me/zotero", headers=auth)
        with engine.connect() as conn:
            saved = {e.paper_id for e in library(conn, uid)}
            noted = _noted(conn, uid)
    assert again["added"] == 0  # linked again (a new key, say): nothing new to add
    assert synced["removed"] == 1  # …and what the first link brought still leaves with its item
    assert saved == {p.id for p in _papers()[:10]} - {"2506.10002"}
    assert noted == set()  # unlinked: the items are forgotten, the papers stay


def test_a_garbled_list_of_items_fails_the_sync_and_takes_nothing_out(
    settings: Settings,
) -> None:
    items = LIBRARY[:10]
    served = zotero_api({"/users/4455/items/top": items}, {"/users/4455/items/top": KEY})

    def garbled(req: Request) -> Reply:
        if req.params.get("format") == "keys":
            return Reply(b"<html>maintenance</html>", content_type="text/html")
        return served(req)

    with site(settings, garbled) as (s, engine, _zotero), client(s, engine) as c:
        auth = bearer(c, "reader")
        body = {"id": "4455", "key": KEY, "keep": True}
        c.post("/api/me/library/import/zotero", json=body, headers=auth)
        uid = user_id(engine, "reader")
        _removed(items, 3)
        _synced_ago(engine, uid, timedelta(hours=1))
        synced = c.post("/api/me/zotero/sync", headers=auth).json()
        with engine.connect() as conn:
            saved = len(library(conn, uid))
            link = zotero_links.get_link(conn, uid)
    assert synced["removed"] == 0 and "not one key a line" in synced["error"]
    assert saved == 10
    assert link is not None and link.version == 10  # the next sync reads again from there


@pytest.mark.parametrize(
    ("source_id", "key"),
    [
        ("4455/ABCD2345", "ABCD2345"),  # the Web API's CSL-JSON
        ("http://zotero.org/users/4455/items/ABCD2345", "ABCD2345"),  # the desktop app's
        ("", None),
        ("4455/not a key", None),
    ],
)
def test_an_items_key_is_read_from_its_csl_id(source_id: str, key: str | None) -> None:
    from paperfeed.ingest.zotero import item_key

    assert item_key(source_id) == key
