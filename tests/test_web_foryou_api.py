"""The personal API (/api/me) on SQLite and PostgreSQL: ratings, library, import, mutes, feed."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed import references
from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store.accounts import create_user
from paperfeed.store.library import user_ratings
from tests.replay import arxiv_api_handler, replay
from tests.web_support import DAYS, HOSTILE, HOSTILE_ID, client, on_day, stored

PASSWORD = "correct horse battery"


def _bearer(c: TestClient, engine: Engine, username: str = "reader") -> dict[str, str]:
    with engine.begin() as conn:
        create_user(conn, username, PasswordHasher().hash(PASSWORD))
    answer = c.post("/api/login", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _ids(c: TestClient, url: str, auth: dict[str, str]) -> list[str]:
    got = c.get(url, headers=auth)
    assert got.status_code == 200, got.text
    return [i["paper"]["id"] for i in got.json()]


def _some(engine: Engine, n: int) -> list[str]:
    return sorted(p for p in on_day(engine, DAYS[0]))[:n]


def test_ratings_set_clear_and_refuse_bad_input(site: Settings, engine: Engine) -> None:
    pid = _some(engine, 1)[0]
    with client(site, engine) as c:
        auth = _bearer(c, engine)
        assert c.put(f"/api/me/ratings/{pid}", json={"rating": 1}).status_code == 401
        assert c.put(f"/api/me/ratings/{pid}", json={"rating": -1}, headers=auth).json() == {
            "id": pid,
            "rating": -1,
        }
        bad = c.put(f"/api/me/ratings/{pid}", json={"rating": 2}, headers=auth)
        assert bad.status_code == 422 and "rating" in bad.json()["detail"]
        for loose in (True, -1.0, "1"):  # a rating is the number 1 or -1, nothing like it
            refused = c.put(f"/api/me/ratings/{pid}", json={"rating": loose}, headers=auth)
            assert refused.status_code == 422, (loose, refused.text)
        unknown = c.put("/api/me/ratings/2601.99999", json={"rating": 1}, headers=auth)
        assert unknown.status_code == 404 and "2601.99999" in unknown.json()["detail"]
        with engine.connect() as conn:
            assert user_ratings(conn, 1) == {pid: -1}
        assert c.delete(f"/api/me/ratings/{pid}", headers=auth).status_code == 200
        with engine.connect() as conn:
            assert user_ratings(conn, 1) == {}


def test_ratings_list_newest_first_like_the_library(site: Settings, engine: Engine) -> None:
    """GET /api/me/ratings lists your ratings (not a redirect to a 405), each paper as the
    library lists it, with its rating and when; only yours."""
    liked, disliked = _some(engine, 2)
    with client(site, engine) as c:
        auth, other = _bearer(c, engine), _bearer(c, engine, "someone")
        assert c.get("/api/me/ratings").status_code == 401
        c.put(f"/api/me/ratings/{liked}", json={"rating": 1}, headers=auth)
        c.put(f"/api/me/ratings/{disliked}", json={"rating": -1}, headers=auth)
        got = c.get("/api/me/ratings", headers=auth, follow_redirects=False)
        assert got.status_code == 200, got.text
        assert [(i["paper"]["id"], i["rating"]) for i in got.json()] == [
            (disliked, -1),
            (liked, 1),
        ]
        assert all(i["ratedAt"].endswith("Z") and i["paper"]["title"] for i in got.json())
        assert c.get("/api/me/ratings", headers=other).json() == []
        summary = c.get("/openapi.json").json()["paths"]["/api/me/ratings"]["get"]["summary"]
        assert summary == "List your ratings"


def test_mutes_removal_refuses_unknown_kinds_and_takes_a_json_body(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        auth = _bearer(c, engine)
        mute = {"kind": "keyword", "value": "Diffusion"}
        assert c.post("/api/me/mutes", json=mute, headers=auth).status_code == 201
        # again: 200, the same body (it answered 201 each time: "added" or "there already"?)
        again = c.post("/api/me/mutes", json=mute, headers=auth)
        assert again.status_code == 200 and again.json()["value"] == "diffusion"
        follow = {"kind": "category", "value": "cs.LG"}
        assert c.post("/api/me/follows", json=follow, headers=auth).status_code == 201
        assert c.post("/api/me/follows", json=follow, headers=auth).status_code == 200
        assert len(c.get("/api/me/mutes", headers=auth).json()) == 1
        for path in ("/api/me/mutes", "/api/me/follows"):
            bogus = c.delete(f"{path}?kind=bogus&value=x", headers=auth)
            assert bogus.status_code == 400, bogus.text
            assert "author" in bogus.json()["detail"] and "category" in bogus.json()["detail"]
        neither = c.delete("/api/me/mutes", headers=auth)
        assert neither.status_code == 400 and "kind" in neither.json()["detail"]
        gone = c.request("DELETE", "/api/me/mutes", json=mute, headers=auth)
        assert gone.status_code == 200, gone.text
        assert gone.json() == {"kind": "keyword", "value": "diffusion", "removed": True}
        assert c.get("/api/me/mutes", headers=auth).json() == []
        again = c.delete("/api/me/mutes?kind=keyword&value=diffusion", headers=auth)
        assert again.status_code == 200 and again.json()["removed"] is False  # idempotent
        # A control character is dropped before the answer says what was muted, as it is stored.
        nul = c.post(
            "/api/me/mutes", json={"kind": "keyword", "value": "zz\u0000top"}, headers=auth
        )
        assert nul.status_code == 201 and nul.json()["value"] == "zztop", nul.text
        assert [m["value"] for m in c.get("/api/me/mutes", headers=auth).json()] == ["zztop"]
        c.request(
            "DELETE", "/api/me/mutes", json={"kind": "keyword", "value": "zztop"}, headers=auth
        )
        # Punctuation alone would mute every paper with maths ("$"): refused, with the reason.
        for path, kind in (("/api/me/mutes", "keyword"), ("/api/me/follows", "search")):
            sign = c.post(path, json={"kind": kind, "value": " $ "}, headers=auth)
            assert sign.status_code == 400, sign.text
            assert sign.json()["detail"] == f"a {kind} needs a letter or digit, not just '$'"
        assert c.get("/api/me/mutes", headers=auth).json() == []


def test_library_save_with_collection_and_list(site: Settings, engine: Engine) -> None:
    first, second = _some(engine, 2)
    with client(site, engine) as c:
        auth = _bearer(c, engine)
        body = {"paper_id": first, "collection": "Reading group"}
        assert c.post("/api/me/library", json=body, headers=auth).status_code == 201
        assert c.post("/api/me/library", json={"paper_id": second}, headers=auth).status_code == 201
        missing = c.post("/api/me/library", json={"paper_id": "nope"}, headers=auth)
        assert missing.status_code == 404
        items = c.get("/api/me/library", headers=auth).json()
        assert {i["paper"]["id"]: i["collections"] for i in items} == {
            first: ["Reading group"],
            second: [],
        }
        assert {i["state"] for i in items} == {"to_read"}
        # A state and a note given when saving are kept (they were dropped without a word) ...
        body = {"paper_id": second, "state": "read", "note": "Lemma **2**"}
        assert c.post("/api/me/library", json=body, headers=auth).status_code == 200
        kept = {i["paper"]["id"]: i for i in c.get("/api/me/library", headers=auth).json()}
        assert (kept[second]["state"], kept[second]["note"]) == ("read", "Lemma **2**")
        # ... and a field the API does not know is named, not ignored.
        typo = c.post("/api/me/library", json={"paper_id": second, "colection": "x"}, headers=auth)
        assert typo.status_code == 422 and "colection" in typo.json()["detail"]


def _bibtex(by_id: str, title: str) -> str:
    return (
        f"@article{{one, title={{Something}}, eprint={{{by_id}}}, archivePrefix={{arXiv}}}}\n"
        f"@inproceedings{{two, title={{{{{title}}}}}, year={{2026}}}}\n"
        "@misc{broken, title={Never closed\n"
        "@article{three, title={A paper this store does not have}, doi={10.9999/none}}\n"
    )


def test_import_bibtex_reports_malformed_and_unmatched_and_imports_the_rest(
    site: Settings, engine: Engine
) -> None:
    by_id, by_title = _some(engine, 2)
    title = on_day(engine, DAYS[0])[by_title].title
    with client(site, engine) as c:
        auth = _bearer(c, engine)
        files = {"file": ("my.bib", _bibtex(by_id + "v2", title).encode(), "application/x-bibtex")}
        report = c.post("/api/me/library/import", files=files, headers=auth).json()
        saved = {i["paper"]["id"] for i in c.get("/api/me/library", headers=auth).json()}
    assert report["matched"] == 2 and saved == {by_id, by_title}
    reasons = sorted(u["reason"] for u in report["unmatched"])
    assert reasons[0].startswith("cannot be read (") and reasons[1] == "not in this store"


def test_import_ris_and_csl_json(site: Settings, engine: Engine) -> None:
    a, b = _some(engine, 2)
    ris = f"TY  - JOUR\nTI  - Whatever\nUR  - https://arxiv.org/abs/{a}\nER  - \n"
    csl = json.dumps([{"title": "x", "URL": f"https://arxiv.org/abs/{b}"}, {"type": "book"}])
    with client(site, engine) as c:
        auth = _bearer(c, engine)
        one = c.post("/api/me/library/import", files={"file": ("a.ris", ris)}, headers=auth)
        two = c.post("/api/me/library/import", files={"file": ("a.json", csl)}, headers=auth)
    assert (one.json()["matched"], one.json()["unmatched"]) == (1, [])
    assert two.json()["matched"] == 1 and len(two.json()["unmatched"]) == 1


def test_import_through_the_api_keeps_notes_tags_and_reading_state(
    site: Settings, engine: Engine
) -> None:
    a, b = _some(engine, 2)
    ris = (
        f"TY  - GEN\nTI  - x\nUR  - https://arxiv.org/abs/{a}\nN1  - arXiv:{a}\n"
        "N1  - Compare with the **baseline**.\nKW  - Theory\nKW  - read\nKW  - ***\nER  - \n"
        f"TY  - GEN\nTI  - y\nUR  - https://arxiv.org/abs/{b}\nKW  - Theory\nKW  - ***\nER  - \n"
    )
    with client(site, engine) as c:
        auth = _bearer(c, engine)
        url = "/api/me/library/import"
        plain = c.post(url, files={"file": ("a.ris", ris)}, headers=auth).json()
        filed = c.post(
            url, files={"file": ("a.ris", ris)}, data={"tags_as_collections": "true"}, headers=auth
        ).json()
        items = {i["paper"]["id"]: i for i in c.get("/api/me/library", headers=auth).json()}
    assert (plain["matched"], plain["notes"], plain["read"]) == (2, 1, 1)
    assert (plain["tags"], plain["collections"]) == (["***", "Theory"], [])
    assert [p["reason"] for p in filed["problems"]] == [  # once, not once per paper
        "tag “***”: a collection name has 1 to 200 characters, with letters or digits"
    ]
    assert (filed["notes"], filed["read"], filed["tags"]) == (0, 0, [])  # nothing twice
    assert filed["collections"] == ["Theory"]
    assert items[a]["note"] == "Compare with the **baseline**." and items[a]["state"] == "read"
    assert items[b]["state"] == "to_read"
    assert items[a]["collections"] == items[b]["collections"] == ["Theory"]


def _unknown_ids_bibtex(known: str) -> bytes:
    return (
        f"@article{{here, title={{x}}, eprint={{{known}}}}}\n"
        "@article{new, title={Fetched}, eprint={1605.08386v1}, archivePrefix={arXiv}}\n"
        "@article{nowhere, title={Not on arXiv either}, eprint={0000.00000}}\n"
    ).encode()


def test_import_fetches_arxiv_papers_the_store_lacks(site: Settings, engine: Engine) -> None:
    known = _some(engine, 1)[0]
    assert "1605.08386" not in stored(engine)
    with replay(arxiv_api_handler) as server:
        fetching = site.model_copy(update={"arxiv_api_url": server.url})
        with client(fetching, engine) as c:
            auth = _bearer(c, engine)
            files = {"file": ("my.bib", _unknown_ids_bibtex(known))}
            report = c.post("/api/me/library/import", files=files, headers=auth).json()
            saved = {i["paper"]["id"] for i in c.get("/api/me/library", headers=auth).json()}
    assert report["fetched"] == ["1605.08386"] and report["matched"] == 2
    assert saved == {known, "1605.08386"}
    assert stored(engine)["1605.08386"].title == "Heat-bath random walks with Markov bases"
    assert [u["reason"] for u in report["unmatched"]] == [
        "not in this store; arXiv has no paper 0000.00000"
    ]
    asked = [r.params.get("id_list") for r in server.requests]
    assert asked == ["1605.08386,0000.00000"]  # one request, as Submit makes


def test_import_fetches_at_most_the_configured_number_and_rate(
    site: Settings, engine: Engine
) -> None:
    limits = {"import_fetch_max": 1, "submit_rate_limit": 1}
    with replay(arxiv_api_handler) as server:
        one = site.model_copy(update={"arxiv_api_url": server.url, **limits})
        with client(one, engine) as c:
            auth = _bearer(c, engine)
            files = {"file": ("my.bib", _unknown_ids_bibtex(_some(engine, 1)[0]))}
            report = c.post("/api/me/library/import", files=files, headers=auth).json()
            again = c.post("/api/me/library/import", files=files, headers=auth).json()
    assert report["fetched"] == ["1605.08386"]
    assert [u["reason"] for u in report["unmatched"]] == [
        "not in this store; not fetched: one import fetches at most 1"
    ]
    assert [r.params.get("id_list") for r in server.requests] == ["1605.08386"]
    # The second import finds 1605.08386 stored; fetching 0000.00000 is over the rate limit.
    assert again["matched"] == 2 and again["fetched"] == []
    assert "too many imports fetching from arXiv" in again["unmatched"][0]["reason"]


def test_import_with_arxiv_unreachable_saves_the_rest(site: Settings, engine: Engine) -> None:
    known = _some(engine, 1)[0]
    closed = site.model_copy(
        update={"arxiv_api_url": "http://127.0.0.1:9/api/query", "http_retries": 0}
    )
    with client(closed, engine) as c:
        auth = _bearer(c, engine)
        files = {"file": ("my.bib", _unknown_ids_bibtex(known))}
        response = c.post("/api/me/library/import", files=files, headers=auth)
        saved = {i["paper"]["id"] for i in c.get("/api/me/library", headers=auth).json()}
    report = response.json()
    assert response.status_code == 200 and report["matched"] == 1 and report["fetched"] == []
    assert saved == {known}
    reasons = [u["reason"] for u in report["unmatched"]]
    assert len(reasons) == 2 and all("can't be reached from this server" in r for r in reasons)


def test_import_refuses_garbage_and_huge_files(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        auth = _bearer(c, engine)
        junk = c.post(
            "/api/me/library/import", files={"file": ("x.bin", b"\xff\xfe\x00")}, headers=auth
        )
        huge = c.post(
            "/api/me/library/import",
            files={"file": ("x.bib", b"@" * (references.MAX_IMPORT_BYTES + 1))},
            headers=auth,
        )
        none = c.post("/api/me/library/import", files={"file": ("x.txt", b"hello")}, headers=auth)
    assert junk.status_code == 400 and "UTF-8" in junk.json()["detail"]
    assert huge.status_code == 413 and "MB" in huge.json()["detail"]
    assert none.status_code == 400 and "BibTeX" in none.json()["detail"]


def test_feed_ranks_the_window_with_reasons_and_applies_mutes(
    site: Settings, engine: Engine
) -> None:
    embed_papers(site, engine)
    liked = _some(engine, 2)
    since, until = DAYS[0].isoformat(), DAYS[-1].isoformat()
    with client(site, engine) as c:
        auth = _bearer(c, engine)
        assert c.get("/api/me/feed", headers=auth).json() == []  # no signals: nothing to rank
        for pid in liked:
            c.put(f"/api/me/ratings/{pid}", json={"rating": 1}, headers=auth)
        url = f"/api/me/feed?since={since}&until={until}&limit=100"
        items = c.get(url, headers=auth).json()
        ids = [i["paper"]["id"] for i in items]
        assert ids and not set(liked) & set(ids)  # rated papers are not recommended again
        assert all(i["why"] and i["title"] for i in items)
        assert HOSTILE_ID in ids
        one_day = f"/api/me/feed?since={until}&until={until}&limit=100"
        last = {i["paper"]["id"] for i in c.get(one_day, headers=auth).json()}
        assert last and last <= set(on_day(engine, DAYS[-1]))  # the window bounds the candidates
        follow = {"kind": "author", "value": HOSTILE.authors[0]}
        assert c.post("/api/me/follows", json=follow, headers=auth).status_code == 201
        top = c.get(url, headers=auth).json()[0]
        assert top["paper"]["id"] == HOSTILE_ID
        assert top["why"] == f"by {HOSTILE.authors[0]}, whom you follow"
        mute = {"kind": "category", "value": "cs.CR"}
        assert c.post("/api/me/mutes", json=mute, headers=auth).status_code == 201
        muted = [i["paper"]["id"] for i in c.get(url, headers=auth).json()]
        assert HOSTILE_ID not in muted
        # The page's windows by name: today is the newest listing day; the month holds them all.
        today = _ids(c, "/api/me/feed?window=today&limit=100", auth)
        assert today and today == _ids(c, one_day, auth)
        assert _ids(c, "/api/me/feed?window=month&limit=100", auth) == _ids(c, url, auth)
        backwards = c.get(f"/api/me/feed?since={until}&until={since}", headers=auth)
        assert backwards.status_code == 400
        assert backwards.json()["detail"] == f"since ({until}) must not be after until ({since})"
        # no until sent: the message names what the window ends at, not a parameter not sent
        later = c.get("/api/me/feed?since=2030-01-01", headers=auth).json()["detail"]
        assert later.startswith(f"since (2030-01-01) is after the newest day of listings ({until})")
        assert "until is left out" in later
        searched = c.get(f"/api/papers/search?q=graph&since={until}&until={since}")
        assert searched.status_code == 400
        assert f"since ({until}) is after until ({since})" in searched.json()["detail"]
        assert c.get("/api/me/feed?limit=0", headers=auth).status_code == 422


def test_import_reads_arxiv_ids_as_semantic_scholar_zotero_and_google_scholar_write_them(
    site: Settings, engine: Engine
) -> None:
    # Titles that match nothing: each entry can only be matched by the arXiv id it carries.
    a, b, c_id = _some(engine, 3)
    semantic_scholar = (
        f"@article{{S2, title={{No such title}}, author={{A. B}}, journal={{ArXiv}},"
        f" year={{2025}}, volume={{abs/{a}}},"
        " url={https://api.semanticscholar.org/CorpusID:1}}\n"
    )
    zotero_ris = f"TY  - PREP\nTI  - Nor this one\nDO  - 10.48550/arXiv.{b}\nER  - \n"
    csl = json.dumps([{"type": "article", "title": "Nor that", "DOI": f"10.48550/ARXIV.{c_id}"}])
    with client(site, engine) as c:
        auth = _bearer(c, engine)
        reports = [
            c.post("/api/me/library/import", files={"file": (name, body)}, headers=auth).json()
            for name, body in (("s2.bib", semantic_scholar), ("z.ris", zotero_ris), ("z.json", csl))
        ]
    assert [(r["ids"], r["unmatched"]) for r in reports] == [([a], []), ([b], []), ([c_id], [])]


def test_library_api_edits_pages_and_filters_and_lists_collections(
    site: Settings, engine: Engine
) -> None:
    ids = _some(engine, 4)
    with client(site, engine) as c:
        auth = _bearer(c, engine)
        for pid in ids:
            c.post("/api/me/library", json={"paper_id": pid}, headers=auth)
        c.post("/api/me/library", json={"paper_id": ids[1], "collection": "Proofs"}, headers=auth)
        edit = {"state": "read", "note": "Zelda's trick"}
        edited = c.patch(f"/api/me/library/{ids[0]}", json=edit, headers=auth)
        empty = c.patch(f"/api/me/library/{ids[0]}", json={}, headers=auth)
        unsaved = c.patch("/api/me/library/2101.00001", json=edit, headers=auth)
        everything = c.get("/api/me/library", headers=auth)
        page = c.get("/api/me/library?limit=3&p=1", headers=auth)
        read = c.get("/api/me/library?state=read", headers=auth)
        found = c.get("/api/me/library?q=ZELDA", headers=auth)
        bad = c.get("/api/me/library?state=skimmed", headers=auth)
        [proofs] = c.get("/api/me/collections", headers=auth).json()
        inside = c.get(f"/api/me/library?collection={proofs['id']}", headers=auth)
        elsewhere = c.get("/api/me/library?collection=999", headers=auth)
    assert edited.json() == {"paper_id": ids[0], "state": "read", "note": "Zelda's trick"}
    assert (empty.status_code, unsaved.status_code) == (400, 404)  # nothing to change; not saved
    assert len(everything.json()) == 4 and everything.headers["X-Total-Count"] == "4"
    assert [i["paper"]["id"] for i in page.json()] == [everything.json()[3]["paper"]["id"]]
    assert page.headers["X-Total-Count"] == "4"
    assert [i["paper"]["id"] for i in read.json()] == [ids[0]]
    assert [i["paper"]["id"] for i in found.json()] == [ids[0]]
    assert bad.status_code == 422 and "state" in bad.json()["detail"]
    assert elsewhere.status_code == 404
    assert proofs | {"id": 0} == {
        "id": 0,
        "name": "Proofs",
        "description": "",
        "visibility": "private",
        "url": None,
        "papers": 1,
    }
    assert [i["paper"]["id"] for i in inside.json()] == [ids[1]]


def test_library_api_changes_several_papers_at_once(site: Settings, engine: Engine) -> None:
    """`POST /api/me/library/bulk`: mark, add, move, take out and remove; ids not saved are
    reported; bad requests are 4xx with a reason, another reader's collection a 404."""
    ids = _some(engine, 4)
    with client(site, engine) as c:
        auth = _bearer(c, engine)
        other = _bearer(c, engine, "other")
        for pid in ids[:3]:
            c.post("/api/me/library", json={"paper_id": pid}, headers=auth)
        c.post("/api/me/library", json={"paper_id": ids[0], "collection": "Theirs"}, headers=other)
        [theirs] = c.get("/api/me/collections", headers=other).json()
        url = "/api/me/library/bulk"
        read = c.post(url, json={"paper_ids": ids, "action": "read"}, headers=auth)
        added = c.post(
            url, json={"paper_ids": ids[:2], "action": "add", "collection": "Proofs"}, headers=auth
        )
        [proofs] = c.get("/api/me/collections", headers=auth).json()
        move = {"paper_ids": [ids[1]], "action": "move", "collection": "Lemmas"}
        moved = c.post(url, json=move | {"from_collection": proofs["id"]}, headers=auth)
        sizes = {
            col["name"]: col["papers"] for col in c.get("/api/me/collections", headers=auth).json()
        }
        stolen = c.post(url, json=move | {"from_collection": theirs["id"]}, headers=auth)
        nameless = c.post(url, json={"paper_ids": ids, "action": "add"}, headers=auth)
        empty = c.post(url, json={"paper_ids": [], "action": "read"}, headers=auth)
        unknown = c.post(url, json={"paper_ids": ids, "action": "archive"}, headers=auth)
        many = c.post(url, json={"paper_ids": ["1"] * 1001, "action": "read"}, headers=auth)
        removed = c.post(url, json={"paper_ids": ids[2:], "action": "remove"}, headers=auth)
        left = _ids(c, "/api/me/library?state=read", auth)
        theirs_after = _ids(c, "/api/me/library", other)
    assert read.status_code == 200, read.text
    assert read.json() == {
        "action": "read",
        "changed": 3,
        "not_saved": [ids[3]],
        "collection": None,
    }
    assert added.json()["changed"] == 2 and added.json()["collection"]["name"] == "Proofs"
    assert moved.json()["changed"] == 1 and sizes == {"Proofs": 1, "Lemmas": 1}
    assert stolen.status_code == 404
    assert nameless.status_code == 400 and "collection" in nameless.json()["detail"]
    assert (empty.status_code, unknown.status_code, many.status_code) == (422, 422, 422)
    assert removed.json()["changed"] == 1 and removed.json()["not_saved"] == [ids[3]]
    assert sorted(left) == sorted(ids[:2])
    assert theirs_after == [ids[0]]


def test_the_bulk_actions_offered_are_those_the_store_does() -> None:
    """The page's and the API's list of bulk actions is the store's."""
    from typing import get_args

    from paperfeed.store.library import BULK_ACTIONS
    from paperfeed.web.me_api import BulkAction

    assert get_args(BulkAction) == BULK_ACTIONS


def test_an_import_that_meets_another_into_the_same_library_starts_again(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two imports at once (a script's retry, two tabs) gave a 500: the second to commit met
    the first's rows. Here the other import commits its save first; this one starts again."""
    from paperfeed.store import library as lib

    a, b = _some(engine, 2)
    ris = "".join(
        f"TY  - JOUR\nTI  - x\nUR  - https://arxiv.org/abs/{pid}\nER  - \n" for pid in (a, b)
    )
    real = lib.save_papers
    raced: list[str] = []

    def save_after_the_other(conn, user_id, paper_ids):  # type: ignore[no-untyped-def]
        if not raced:  # the other import saves the first paper and commits, in between
            raced.append(paper_ids[0])
            with engine.begin() as other:
                real(other, user_id, paper_ids[:1])
        return real(conn, user_id, paper_ids)

    monkeypatch.setattr(lib, "save_papers", save_after_the_other)
    with client(site, engine) as c:
        auth = _bearer(c, engine)
        done = c.post("/api/me/library/import", files={"file": ("a.ris", ris)}, headers=auth)
        assert done.status_code == 200, done.text
        assert done.json()["matched"] == 2 and raced == [a]
        assert sorted(_ids(c, "/api/me/library", auth)) == [a, b]
