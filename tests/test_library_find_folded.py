"""Finding in a library: notes match without their accents and in any case (as titles and
names do), and an editor's find inside a shared collection covers the collection's papers and
its public notes, on both databases."""

from __future__ import annotations

import unicodedata
from datetime import date

from sqlalchemy import Engine, select, text, update

from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import library as lib
from paperfeed.store import migrate, upsert_papers
from paperfeed.store import shared_lists as lists
from paperfeed.store.accounts import create_user
from tests.web_support import client, post_form, sign_up, statements

FOLDED = "0038"  # the migration that folds the notes written before it
BEFORE = "0037"

RESUME, NAIVE, STRASSE, PLAIN = "2607.00101", "2607.00102", "2607.00103", "2607.00104"
PAPERS = [
    Paper(id=RESUME, title="Résumé of kernel methods", authors=("Anna Péntek",)),
    Paper(id=NAIVE, title="Bayes nets", authors=("Bo Li",)),
    Paper(id=STRASSE, title="Street maps", authors=("Cy Ng",)),
    Paper(id=PLAIN, title="Plain graphs", authors=("Di Wu",)),
]
NOTES = {
    NAIVE: "A naïve baseline; see the Café talk by ZOË",
    STRASSE: unicodedata.normalize("NFD", "Große Straße, Ångström units"),  # decomposed
}


def _papers(*papers: Paper) -> list[Paper]:
    return [
        Paper(
            id=p.id,
            title=p.title,
            authors=p.authors,
            source="test",
            listing_date=date(2026, 6, 24),
        )
        for p in papers
    ]


def _library(engine: Engine) -> int:
    with engine.begin() as conn:
        upsert_papers(conn, _papers(*PAPERS))
        uid: int = create_user(conn, "phd", "x").id
        lib.save_papers(conn, uid, [p.id for p in PAPERS])
        lib.update_item(conn, uid, NAIVE, note=NOTES[NAIVE])
        lib.add_note(conn, uid, STRASSE, NOTES[STRASSE])
    return uid


def _found(engine: Engine, uid: int, words: str) -> set[str]:
    with engine.connect() as conn:
        return {i.paper_id for i in lib.library(conn, uid, words=words)}


def test_notes_are_found_without_their_accents_and_in_any_case(engine: Engine) -> None:
    uid = _library(engine)

    def found(words: str) -> set[str]:
        return _found(engine, uid, words)

    assert found("resume") == found("pentek") == {RESUME}  # titles and names, as before
    for words in ("naive", "NAÏVE", "cafe", "Café", "zoë", "ZOE", "café naive zoe"):
        assert found(words) == {NAIVE}, words
    for words in ("strasse", "STRASSE", "große", "angstrom", "Ångström"):
        assert found(words) == {STRASSE}, words
    assert found("caf%") == found("caf_") == set()  # wildcards taken literally
    with engine.begin() as conn:  # the folded note follows every write of the note
        lib.update_item(conn, uid, NAIVE, note="plain words now")
    assert found("cafe") == set() and found("PLAIN") == {NAIVE, PLAIN}


def _keys(engine: Engine) -> dict[str, str]:
    items, filed = lib.library_items.c, lib.collection_items.c
    with engine.connect() as conn:
        keys = conn.execute(select(items.paper_id, items.note_key)).all()
        listed = conn.execute(select(filed.paper_id, filed.note_key)).all()
    return {str(pid): str(key) for pid, key in keys} | {
        f"listed {pid}": str(key) for pid, key in listed
    }


def test_notes_written_before_the_migration_are_found_after_it(engine: Engine) -> None:
    uid = _library(engine)
    with engine.begin() as conn:
        group = lib.ensure_collection(conn, uid, "Thesis")
        lib.add_to_collection(conn, group.id, PLAIN)
        lists.set_item_note(conn, group.id, PLAIN, "Chapter 2: Érdős")
    with engine.begin() as conn:  # as the store was before: nothing folded
        conn.execute(update(lib.library_items).values(note_key=""))
        conn.execute(update(lib.collection_items).values(note_key=""))
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{BEFORE}'"))
    assert _found(engine, uid, "naive") == set()
    migrate(engine)
    assert _found(engine, uid, "naive") == _found(engine, uid, "cafe") == {NAIVE}
    assert _found(engine, uid, "strasse") == {STRASSE}
    with engine.connect() as conn:
        assert [i.paper_id for i in lib.library(conn, uid, group.id, "erdos")] == [PLAIN]
    keys = _keys(engine)
    assert keys[NAIVE] == "a naive baseline; see the cafe talk by zoe"
    assert keys[f"listed {PLAIN}"] == "chapter 2: erdos" and keys[RESUME] == ""
    with engine.begin() as conn:  # run again: nothing changes
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{BEFORE}'"))
    migrate(engine)
    assert _keys(engine) == keys
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version >= FOLDED


LEAD, ANA = 1, 2  # user ids in the order the test signs them up


def test_an_editors_find_in_a_shared_collection_covers_its_papers_and_public_notes(
    site: Settings, engine: Engine
) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, _papers(*PAPERS))
    with client(site, engine) as lead, client(site, engine) as ana:
        sign_up(lead, "lead")
        for pid in (RESUME, NAIVE, STRASSE):
            post_form(lead, f"/papers/{pid}/save", {"collection": "Reading group", "next": "/"})
        sign_up(ana, "ana")
        with engine.begin() as conn:
            (group,) = lib.user_collections(conn, LEAD)
            lists.set_item_note(conn, group.id, NAIVE, "Café session, chapter 3")
            lib.update_item(conn, LEAD, RESUME, note="secret plan")  # the owner's private note
            lib.save_papers(conn, ANA, [STRASSE, PLAIN])
            lib.update_item(conn, ANA, STRASSE, note="Ana's own idea")
        post_form(lead, f"/collections/{group.id}/editors", {"username": "ana"})

        def shown(c: object, words: str) -> set[str]:
            page = c.get("/library", params={"collection": group.id, "q": words})  # type: ignore[attr-defined]
            assert page.status_code == 200
            return {
                pid for pid in (RESUME, NAIVE, STRASSE, PLAIN) if f'id="item-{pid}"' in page.text
            }

        assert shown(ana, "") == {RESUME, NAIVE, STRASSE}
        assert shown(ana, "kernel") == shown(ana, "PENTEK") == {RESUME}  # not saved by Ana
        assert shown(ana, "cafe chapter") == {NAIVE}  # the collection's public note
        assert shown(ana, "own idea") == {STRASSE}  # Ana's own note
        assert shown(ana, "secret") == set()  # the owner's private note stays private
        assert shown(ana, "plain") == set()  # Ana's, but not in the collection
        assert shown(lead, "CAFÉ") == {NAIVE}  # the owner finds the public notes too
        assert shown(lead, "secret") == {RESUME}


def test_finding_in_a_library_of_a_thousand_notes_matches_in_the_database(
    engine: Engine,
) -> None:
    many = [Paper(id=f"2607.1{i:04d}", title=f"Study {i}", authors=("Ed Fu",)) for i in range(1000)]
    with engine.begin() as conn:
        upsert_papers(conn, _papers(*many))
        uid = create_user(conn, "reader", "x").id
        lib.save_papers(conn, uid, [p.id for p in many])
        for p in many[::10]:
            lib.update_item(conn, uid, p.id, note=f"Naïve reading {p.id}")
    with statements(engine) as seen:
        assert len(_found(engine, uid, "naive reading")) == 100
    # the notes are matched by the query (their folded keys), not read out and folded here
    (find,) = [s for s in seen if "FROM library_items" in s and "note_key" in s]
    assert "LIKE" in find and len(seen) <= 3
    assert _found(engine, uid, "naive 2607.10990") == {"2607.10990"}
