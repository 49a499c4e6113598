"""Library, collections, ratings, follows, mutes and feed tokens on both databases."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.store import library as lib
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import create_user
from paperfeed.store.tables import metadata

PAPERS = [
    Paper(id=f"2601.0000{i}", title=f"Paper {i}", source="test", listing_date=date(2026, 1, i))
    for i in range(1, 4)
]


def _user(engine: Engine, name: str = "ada") -> int:
    with engine.begin() as conn:
        upsert_papers(conn, PAPERS)
        return create_user(conn, name, "x").id


def test_migration_matches_the_library_tables(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    about_mine = [d for d in diff if _table_of(d) in _LIBRARY_TABLES]
    assert about_mine == []


def _table_of(diff: object) -> str:
    entry = diff[0] if isinstance(diff, list) else diff
    op, *rest = entry  # type: ignore[misc]
    if op.endswith(("_table",)):
        return str(rest[0].name)
    if op.endswith(("_index", "_constraint", "_fk")):
        return str(rest[0].table.name)
    return str(rest[1])  # column-level: (op, schema, table, column, ...)


_LIBRARY_TABLES = {
    "library_items",
    "collections",
    "collection_items",
    "ratings",
    "follows",
    "mutes",
    "feed_tokens",
    "signal_versions",
}


def test_save_with_collection_and_note_then_unsave(engine: Engine) -> None:
    uid = _user(engine)
    with engine.begin() as conn:
        assert lib.save_paper(conn, uid, "2601.00001", "Graph things")
        assert not lib.save_paper(conn, uid, "2601.00001", "Other")
        assert lib.update_item(conn, uid, "2601.00001", state="read", note="*good*")
        with pytest.raises(lib.LibraryError):
            lib.update_item(conn, uid, "2601.00001", state="skimmed")
    with engine.connect() as conn:
        [item] = lib.library(conn, uid)
        assert (item.state, item.note, item.collections) == (
            "read",
            "*good*",
            ("Graph things", "Other"),
        )
        graph = lib.user_collections(conn, uid)[0]
        assert graph.slug == "graph-things" and graph.visibility == "private"
        assert lib.shared_collection(conn, graph.share_key) is None
    with engine.begin() as conn:
        lib.edit_collection(conn, uid, graph.id, "GNNs", "unlisted")
        assert lib.shared_collection(conn, graph.share_key) is not None
        assert lib.unsave_paper(conn, uid, "2601.00001")
        assert lib.library(conn, uid) == []
        assert lib.collection_paper_ids(conn, graph.id) == []


def test_ratings_follows_mutes_bump_the_signal_version(engine: Engine) -> None:
    uid = _user(engine)
    with engine.begin() as conn:
        assert lib.signal_version(conn, uid) == 0
        lib.set_rating(conn, uid, "2601.00002", -1)
        lib.set_rating(conn, uid, "2601.00003", 1)
        assert lib.user_ratings(conn, uid) == {"2601.00002": -1, "2601.00003": 1}
        with pytest.raises(lib.LibraryError):
            lib.set_rating(conn, uid, "2601.00003", 2)
        lib.set_rating(conn, uid, "2601.00003", None)
        assert lib.add_interest(conn, uid, "follow", "category", "cs.LG", "cs.LG")
        assert not lib.add_interest(conn, uid, "follow", "category", "cs.LG", "cs.LG")
        assert lib.add_interest(conn, uid, "mute", "keyword", "llm", "LLM")
        with pytest.raises(lib.LibraryError):
            lib.add_interest(conn, uid, "mute", "search", "x", "x")
        assert lib.signal_version(conn, uid) == 5
        signals = lib.paper_signals(conn, uid)
        assert [(s.paper_id, s.sign) for s in signals] == [("2601.00002", -1)]
        assert [m.value for m in lib.interests(conn, uid, "mute")] == ["llm"]
        assert lib.remove_interest(conn, uid, "mute", "keyword", "llm")
        # Never both: muting what one follows ends the follow, and following ends the mute.
        assert lib.add_interest(conn, uid, "follow", "author", "yang li", "Yang Li")
        assert lib.add_interest(conn, uid, "mute", "author", "yang li", "Yang Li")
        assert [i.value for i in lib.interests(conn, uid, "follow")] == ["cs.LG"]
        assert lib.add_interest(conn, uid, "follow", "author", "yang li", "Yang Li")
        assert lib.interests(conn, uid, "mute") == []


def test_feed_token_is_revocable(engine: Engine) -> None:
    uid = _user(engine)
    with engine.begin() as conn:
        old = lib.new_feed_token(conn, uid)
        new = lib.new_feed_token(conn, uid)
        assert lib.feed_token_user(conn, old) is None
        assert lib.feed_token_user(conn, new) == uid
        lib.revoke_feed_tokens(conn, uid)
        assert lib.feed_token_user(conn, new) is None


def test_an_added_note_goes_below_the_readers_own_once_and_within_the_limit(
    engine: Engine,
) -> None:
    uid = _user(engine)
    pid = PAPERS[0].id
    with engine.begin() as conn:
        assert not lib.add_note(conn, uid, pid, "not saved yet")
        lib.save_paper(conn, uid, pid)
        lib.update_item(conn, uid, pid, note="Mine.")
        assert lib.add_note(conn, uid, pid, "  Imported.\n")
        assert not lib.add_note(conn, uid, pid, "Imported.")  # already there
        assert not lib.add_note(conn, uid, pid, "   ")
        with pytest.raises(lib.LibraryError, match="20,000 characters"):
            lib.add_note(conn, uid, pid, "x" * lib.NOTE_MAX)
        assert lib.mark_read(conn, uid, pid) and not lib.mark_read(conn, uid, pid)
        [item] = lib.library(conn, uid)
    assert (item.note, item.state) == ("Mine.\n\nImported.", "read")


def test_a_library_is_searched_by_title_author_and_note_words_in_any_case(
    engine: Engine,
) -> None:
    uid = _user(engine)
    with engine.begin() as conn:
        upsert_papers(
            conn,
            [
                Paper(
                    id="2601.00011",
                    title="Graph Transformers at 100% scale",
                    authors=("Ada Byron",),
                    source="test",
                ),
                Paper(
                    id="2601.00012",
                    title="Diffusion for graphs",
                    authors=("Alan Turing",),
                    source="test",
                ),
                Paper(
                    id="2601.00013",
                    title="Gödel numbering, über alles",
                    authors=("İsmail Işık",),
                    source="test",
                ),
            ],
        )
        for pid in ("2601.00011", "2601.00012", "2601.00013", PAPERS[0].id):
            lib.save_paper(conn, uid, pid)
        lib.update_item(conn, uid, PAPERS[0].id, note="Compare with the GRAPH baseline")

        def found(words: str) -> set[str]:
            return {i.paper_id for i in lib.library(conn, uid, words=words)}

        assert found("graph") == {"2601.00011", "2601.00012", PAPERS[0].id}
        assert found("graph turing") == {"2601.00012"}  # every word, each anywhere
        assert found("BYRON") == {"2601.00011"}
        assert found("100%") == {"2601.00011"} and found("1_0") == set()  # no wildcards
        assert found("") == found("   ") and len(found("")) == 4
        # Without the accents, or with them: the title's and names' keys.
        assert found("godel") == found("Gödel") == found("uber isik") == {"2601.00013"}
        assert found("ismail") == found("İsmail") == {"2601.00013"}


def test_a_library_in_the_order_asked(engine: Engine) -> None:
    from datetime import datetime

    uid = _user(engine)
    titles = {"2601.00021": "beta", "2601.00022": "Alpha", "2601.00023": "gamma"}
    published = {"2601.00021": 1, "2601.00022": 3, "2601.00023": 2}
    with engine.begin() as conn:
        upsert_papers(
            conn,
            [
                Paper(id=i, title=t, source="test", published=datetime(2026, 1, published[i]))
                for i, t in titles.items()
            ],
        )
        for pid in ("2601.00022", "2601.00023", "2601.00021"):  # saved in this order
            lib.save_paper(conn, uid, pid)

        def ids(order: str) -> list[str]:
            return [i.paper_id for i in lib.library(conn, uid, order=order)]

        assert ids("added") == ["2601.00021", "2601.00023", "2601.00022"]
        assert ids("published") == ["2601.00022", "2601.00023", "2601.00021"]
        assert ids("title") == ["2601.00022", "2601.00021", "2601.00023"]  # any case
        for order in ("published", "title"):  # words with an order that joins the papers
            found = lib.library(conn, uid, words="TA", order=order)  # beta, not Alpha or gamma
            assert [i.paper_id for i in found] == ["2601.00021"]
            assert len(lib.library(conn, uid, words="a", order=order)) == 3
        with pytest.raises(lib.LibraryError, match="order is one of"):
            ids("random")


def test_a_bulk_change_touches_only_saved_papers_and_says_what_it_did(engine: Engine) -> None:
    """Marking, adding, moving, taking out and removing several saved papers at once: papers
    not saved are reported and left alone; a paper already in a state or a collection is not
    counted again; removing takes papers out of their collections too."""
    user = _user(engine)
    one, two, three = (p.id for p in PAPERS)
    with engine.begin() as conn:
        lib.save_paper(conn, user, one)
        lib.save_paper(conn, user, two, "Old")
        lib.mark_read(conn, user, two)
        marked = lib.bulk_change(conn, user, [one, two, three, one], "read")
        assert (marked.changed, marked.not_saved) == (1, (three,))
        assert {i.paper_id: i.state for i in lib.library(conn, user)} == {one: "read", two: "read"}
        added = lib.bulk_change(conn, user, [one, two], "add", "Reading group")
        assert added.changed == 2 and added.into is not None and added.into.name == "Reading group"
        assert lib.bulk_change(conn, user, [one, two], "add", "reading group").changed == 0
        old = lib.ensure_collection(conn, user, "Old")
        moved = lib.bulk_change(conn, user, [two], "move", "New", old.id)
        assert moved.changed == 1 and lib.collection_paper_ids(conn, old.id) == []
        assert lib.collections_holding(conn, user, two) == ("New", "Reading group")
        group = lib.ensure_collection(conn, user, "Reading group")
        assert lib.bulk_change(conn, user, [one], "take_out", out_of=group.id).changed == 1
        assert lib.collection_paper_ids(conn, group.id) == [two]
        before = lib.signal_version(conn, user)
        removed = lib.bulk_change(conn, user, [one, two], "remove")
        assert removed.changed == 2 and lib.library(conn, user) == []
        assert lib.collection_paper_ids(conn, group.id) == []
        assert lib.signal_version(conn, user) > before
        for bad in (
            lambda: lib.bulk_change(conn, user, [], "read"),
            lambda: lib.bulk_change(conn, user, [one], "archive"),
            lambda: lib.bulk_change(conn, user, [one], "add", " "),
            lambda: lib.bulk_change(conn, user, [one], "take_out"),
            lambda: lib.bulk_change(conn, user, [str(i) for i in range(lib.BULK_MAX + 1)], "read"),
        ):
            with pytest.raises(lib.LibraryError):
                bad()


def test_a_collection_is_copied_in_chunks_keeping_what_the_reader_had(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copying another reader's collection saves its papers (a paper saved already keeps its
    state and note) into a collection of the reader's; ids are looked up `IN_CHUNK` at a time
    (a big collection would pass SQLite's parameter limit in one statement)."""
    monkeypatch.setattr(lib, "IN_CHUNK", 2)
    owner = _user(engine)
    with engine.begin() as conn:
        reader = create_user(conn, "bob", "x").id
        source = lib.ensure_collection(conn, owner, "Week 1", "For Monday", "public")
        for p in PAPERS:
            lib.save_paper(conn, owner, p.id, "Week 1")
        lib.save_paper(conn, reader, PAPERS[0].id)
        lib.update_item(conn, reader, PAPERS[0].id, "read", "mine")
        target, saved, added = lib.copy_collection(conn, reader, source, "Course")
        again = lib.copy_collection(conn, reader, source, "Course")
        items = {i.paper_id: i for i in lib.library(conn, reader)}
        assert lib.saved_ids(conn, reader, [p.id for p in PAPERS] + ["2601.99999"]) == set(items)
    assert (target.name, target.description, saved, added) == ("Course", "For Monday", 2, 3)
    assert again[1:] == (0, 0)
    assert set(items) == {p.id for p in PAPERS}
    assert (items[PAPERS[0].id].state, items[PAPERS[0].id].note) == ("read", "mine")
    assert all(i.collections == ("Course",) for i in items.values())


def test_control_characters_are_no_part_of_names_notes_or_interests(engine: Engine) -> None:
    uid = _user(engine)
    with engine.begin() as conn:
        lib.save_paper(conn, uid, "2601.00002", "a\x00b\x01\x0b")
        lib.update_item(conn, uid, "2601.00002", note="line one\n\tline\x00 two\ufffe")
        lib.add_note(conn, uid, "2601.00002", "more\x07")
        shelf = lib.user_collections(conn, uid)[0]
        lib.edit_collection(conn, uid, shelf.id, "about \x1b[31mred", "private")
        assert lib.add_interest(conn, uid, "mute", "keyword", "bad\x00word", "bad\x00word")
        assert not lib.add_interest(conn, uid, "mute", "keyword", "badword", "badword")
    with engine.connect() as conn:
        [item] = lib.library(conn, uid)
        assert item.note == "line one\n\tline two\n\nmore" and item.collections == ("ab",)
        assert lib.user_collections(conn, uid)[0].description == "about [31mred"
    with engine.begin() as conn:
        assert lib.remove_interest(conn, uid, "mute", "keyword", "bad\x00word")


def test_a_save_follow_and_rating_sent_twice_at_once_both_succeed(engine: Engine) -> None:
    """A double click (or two tabs) saved, followed or rated while the first request's
    transaction was still open: the second found nothing there, inserted, and answered 500
    on the key the first had just taken. Now the second leaves the first's row."""
    uid = _user(engine)
    pid = PAPERS[0].id
    first_done, second_started = threading.Event(), threading.Event()
    answers: dict[str, object] = {}

    def first() -> None:
        with engine.begin() as conn:
            answers["first"] = (
                lib.save_paper(conn, uid, pid, "Reading"),
                lib.add_interest(conn, uid, "follow", "category", "cs.LG", "cs.LG"),
            )
            lib.set_rating(conn, uid, pid, 1)
            first_done.set()
            second_started.wait(5)
            time.sleep(0.3)  # the second is now waiting on the rows this one holds

    def second() -> None:
        first_done.wait(5)
        second_started.set()
        try:
            with engine.begin() as conn:
                answers["second"] = (
                    lib.save_paper(conn, uid, pid, "Reading"),
                    lib.add_interest(conn, uid, "follow", "category", "cs.LG", "cs.LG"),
                )
                lib.set_rating(conn, uid, pid, -1)
        except Exception as exc:  # noqa: BLE001 - what the test is about
            answers["second"] = exc

    threads = [threading.Thread(target=f) for f in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert answers == {"first": (True, True), "second": (False, False)}
    with engine.connect() as conn:
        assert [i.paper_id for i in lib.library(conn, uid)] == [pid]
        assert lib.user_ratings(conn, uid) == {pid: -1}  # the later rating stands
        assert len(lib.interests(conn, uid, "follow")) == 1
        [reading] = lib.user_collections(conn, uid)
        assert [i.paper_id for i in lib.library(conn, uid, reading.id)] == [pid]
