"""A collection's sections on both databases: headings in an order, papers under them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.store import collection_sections as cs
from paperfeed.store import library as lib
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import create_user
from tests.web_support import statements

PAPERS = [
    Paper(id=f"2601.0000{i}", title=f"Paper {i}", source="test", listing_date=date(2026, 1, i))
    for i in range(1, 5)
]
IDS = [p.id for p in PAPERS]


def _collection(engine: Engine) -> int:
    with engine.begin() as conn:
        upsert_papers(conn, PAPERS)
        user = create_user(conn, "ada", "x").id
        found = lib.ensure_collection(conn, user, "Workshop", visibility="public")
        lib.add_many_to_collection(conn, found.id, IDS)
    return found.id


def test_papers_are_listed_under_their_sections_in_the_sections_order(engine: Engine) -> None:
    cid = _collection(engine)
    with engine.begin() as conn:
        oral = cs.add_section(conn, cid, "  Oral 1:   Retrieval ")
        poster = cs.add_section(conn, cid, "Poster Session A (14:00-15:30)")
        assert cs.file_papers(conn, cid, {IDS[0]: poster.id, IDS[1]: oral.id}) == 2
        order = lib.collection_paper_ids(conn, cid, "list")
        placed = cs.paper_sections(conn, cid)
    assert oral.title == "Oral 1: Retrieval"
    assert {pid: s.title for pid, s in placed.items()} == {
        IDS[0]: "Poster Session A (14:00-15:30)",
        IDS[1]: "Oral 1: Retrieval",
    }
    assert cs.arranged(order, placed) == [IDS[2], IDS[3], IDS[1], IDS[0]]
    assert order == [IDS[2], IDS[3], IDS[1], IDS[0]]  # the list's places as it shows


def test_rename_reorder_and_delete_keep_the_papers(engine: Engine) -> None:
    cid = _collection(engine)
    with engine.begin() as conn:
        first, second, third = (cs.add_section(conn, cid, t) for t in ("A", "B", "C"))
        cs.file_papers(conn, cid, {IDS[0]: second.id, IDS[1]: second.id, IDS[2]: third.id})
        assert cs.rename_section(conn, cid, second.id, "Oral 2")
        assert cs.move_section(conn, cid, third.id, 1)
        assert [(s.title, s.position) for s in cs.sections(conn, cid)] == [
            ("C", 1), ("A", 2), ("Oral 2", 3),
        ]  # fmt: skip
        assert cs.delete_section(conn, cid, second.id)
        assert [(s.title, s.position) for s in cs.sections(conn, cid)] == [("C", 1), ("A", 2)]
        # its papers stay, under none (first), in the order they showed
        assert lib.collection_paper_ids(conn, cid, "list") == [IDS[3], IDS[0], IDS[1], IDS[2]]
        assert set(cs.paper_sections(conn, cid)) == {IDS[2]}
        assert not cs.delete_section(conn, cid, second.id)
        assert not cs.rename_section(conn, cid, second.id, "gone")
        assert not cs.move_section(conn, cid, second.id, 1)
        assert first.position == 1


def test_a_section_of_another_collection_is_refused(engine: Engine) -> None:
    cid = _collection(engine)
    with engine.begin() as conn:
        user = lib.get_collection(conn, cid)
        assert user is not None
        other = lib.ensure_collection(conn, user.user_id, "Other")
        theirs = cs.add_section(conn, other.id, "Theirs")
        with pytest.raises(lib.LibraryError, match="no such section"):
            cs.file_papers(conn, cid, {IDS[0]: theirs.id})
        assert not cs.rename_section(conn, cid, theirs.id, "Mine")
        assert not cs.delete_section(conn, cid, theirs.id)
        assert cs.sections(conn, other.id)[0].title == "Theirs"


@pytest.mark.parametrize(
    ("title", "said"),
    [("   ", "needs a heading"), ("x" * 201, "at most 200 characters")],
)
def test_a_bad_heading_is_refused_with_why(engine: Engine, title: str, said: str) -> None:
    cid = _collection(engine)
    with engine.begin() as conn, pytest.raises(lib.LibraryError, match=said):
        cs.add_section(conn, cid, title)


def test_a_heading_is_found_again_by_its_words_case_aside(engine: Engine) -> None:
    cid = _collection(engine)
    with engine.begin() as conn:
        made = cs.section_named(conn, cid, "Oral 1")
        again = cs.section_named(conn, cid, "ORAL  1")
        assert again == made and len(cs.sections(conn, cid)) == 1


def test_deleting_the_collection_deletes_its_sections(engine: Engine) -> None:
    cid = _collection(engine)
    with engine.begin() as conn:
        cs.file_papers(conn, cid, {IDS[0]: cs.add_section(conn, cid, "Oral").id})
        found = lib.get_collection(conn, cid)
        assert found is not None and lib.delete_collection(conn, found.user_id, cid)
        assert cs.sections(conn, cid) == []


def test_moving_a_section_of_a_long_list_is_one_update_not_one_per_paper(engine: Engine) -> None:
    # A statement per paper held the store's write lock for seconds on a list of thousands
    # (5 s to move a section of a 5,000-paper list on SQLite): anyone could stall the site.
    many = [Paper(id=f"2602.{i:05d}", title=f"Long list {i}", source="test") for i in range(300)]
    cid = _collection(engine)
    with engine.begin() as conn:
        upsert_papers(conn, many)
        lib.add_many_to_collection(conn, cid, [p.id for p in many])
        first, second, third = (cs.add_section(conn, cid, t) for t in ("A", "B", "C"))
        with statements(engine) as seen:
            filed = cs.file_papers(conn, cid, {p.id: (first, second, third)[n % 3].id
                                               for n, p in enumerate(many)})  # fmt: skip
            assert cs.move_section(conn, cid, third.id, 1)
            assert cs.delete_section(conn, cid, first.id)
        order = lib.collection_paper_ids(conn, cid, "list")
    updates = [s for s in seen if s.startswith("UPDATE collection_items")]
    assert filed == 300 and len(updates) <= 6, len(updates)
    assert order[:4] == IDS and set(order[4:104]) == {p.id for p in many[0::3]}  # A deleted
    assert order[104:204] == [p.id for p in many[2::3]]  # C moved first, its own order kept
    assert order[204:] == [p.id for p in many[1::3]]
