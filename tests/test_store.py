"""The store on both databases: migrations, idempotent version-aware upserts, loading."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, update

import paperfeed.store.papers as store_papers
import paperfeed.store.papers.upsert as store_upsert
from paperfeed.models import Paper, Signals, Version
from paperfeed.store import get_paper, upsert_papers
from paperfeed.store.db import migrate
from paperfeed.store.papers import fingerprint, mark_withdrawn
from paperfeed.store.stats import store_stats
from paperfeed.store.tables import papers

PAPER = Paper(
    id="2303.14567",
    title="A Paper",
    abstract="We study things. Code: https://github.com/Org/Repo.",
    authors=("Ada Lovelace", "Alan Turing"),
    categories=("cs.LG", "stat.ML"),
    version=1,
    versions=(Version(1, datetime(2023, 3, 25, 10, 0, 0)),),
    published=datetime(2023, 3, 25, 10, 0, 0),
    code_links=("https://github.com/Org/Repo",),
    source="snapshot",
    listing_date=date(2023, 3, 27),
)


def test_schema_has_indexed_author_and_category_tables(engine: Engine) -> None:
    names = inspect(engine).get_table_names()
    assert {"papers", "paper_authors", "paper_categories", "versions", "code_links"} <= set(names)
    indexed = {tuple(i["column_names"]) for i in inspect(engine).get_indexes("paper_authors")}
    assert ("name_key",) in indexed


def test_migrate_twice_is_harmless(engine: Engine) -> None:
    migrate(engine)
    assert "papers" in inspect(engine).get_table_names()


def test_insert_then_load_round_trips(engine: Engine) -> None:
    with engine.begin() as conn:
        counts = upsert_papers(conn, [PAPER])
    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 0, 0)
    with engine.connect() as conn:
        loaded = get_paper(conn, PAPER.id)
    assert loaded == PAPER
    assert loaded is not None and loaded.first_seen is not None


def test_same_paper_twice_changes_nothing(engine: Engine) -> None:
    for expected in ((1, 0, 0), (0, 0, 1)):
        with engine.begin() as conn:
            c = upsert_papers(conn, [PAPER])
        assert (c.inserted, c.updated, c.unchanged) == expected


def test_newer_version_updates_and_older_never_overwrites(engine: Engine) -> None:
    v2 = replace(
        PAPER,
        title="A Paper, revised",
        version=2,
        versions=(Version(2, datetime(2023, 5, 1)),),
        authors=("Ada Lovelace",),
    )
    with engine.begin() as conn:
        upsert_papers(conn, [v2])
        c = upsert_papers(conn, [PAPER])
    assert c.updated == 1  # v1 adds its version date, nothing else
    with engine.connect() as conn:
        stored = get_paper(conn, PAPER.id)
    assert stored is not None
    assert stored.title == "A Paper, revised" and stored.version == 2
    assert stored.authors == ("Ada Lovelace",)
    assert [v.number for v in stored.versions] == [1, 2]
    assert stored.published == PAPER.published


def test_unversioned_data_fills_gaps_only(engine: Engine) -> None:
    listing = replace(PAPER, version=None, versions=(), title="Other", doi=None, source="listing")
    with engine.begin() as conn:
        upsert_papers(conn, [replace(PAPER, doi=None)])
        upsert_papers(conn, [replace(listing, doi="10.1/x")])
    with engine.connect() as conn:
        stored = get_paper(conn, PAPER.id)
    assert stored is not None and stored.title == "A Paper" and stored.doi == "10.1/x"


def test_signals_and_stats(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [replace(PAPER, signals=Signals(64, "akhaliq", None, 12))])
    with engine.connect() as conn:
        stored = get_paper(conn, PAPER.id)
        stats = store_stats(conn)
    assert stored is not None and stored.signals == Signals(64, "akhaliq", None, 12)
    assert stats["papers"] == 1 and stats["with_code"] == 1 and stats["authors"] == 2
    assert stats["top_categories"] == {"cs.LG": 1, "stat.ML": 1}


def test_updates_keep_admin_flags(engine: Engine) -> None:
    from sqlalchemy import select, update

    from paperfeed.store.tables import papers

    with engine.begin() as conn:
        upsert_papers(conn, [PAPER])
        conn.execute(update(papers).values(hidden=True, featured=True))
        counts = upsert_papers(conn, [replace(PAPER, title="New title", version=2)])
        flags = conn.execute(select(papers.c.hidden, papers.c.featured)).one()
    assert counts.updated == 1 and tuple(flags) == (True, True)


def _fingerprints(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        return {pid: fp for pid, fp in conn.execute(select(papers.c.id, papers.c.fingerprint))}


def test_an_unchanged_paper_is_recognised_without_loading_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [PAPER])
    assert _fingerprints(engine) == {PAPER.id: fingerprint(PAPER)}

    def no_loading(*args: object) -> None:
        raise AssertionError("an unchanged paper was loaded")

    monkeypatch.setattr(store_upsert, "get_papers", no_loading)  # the upsert reads it
    with engine.begin() as conn:
        assert upsert_papers(conn, [PAPER]).unchanged == 1


def test_withdrawn_flag_forgets_the_fingerprint(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [PAPER])
        assert mark_withdrawn(conn, [PAPER.id]) == 1
    # The source still lists it, not withdrawn, at the same version: it is live again.
    with engine.begin() as conn:
        counts = upsert_papers(conn, [PAPER])
        stored = get_paper(conn, PAPER.id)
    assert counts.updated == 1 and stored is not None and not stored.withdrawn
    assert _fingerprints(engine) == {PAPER.id: fingerprint(PAPER)}


@pytest.mark.parametrize(
    "stored",
    [None, "0f4c5e0b1a6d2f8e9c3b7a5d4e1f2a6b"],
    ids=["stored before migration 0005", "a digest of an earlier form"],
)
def test_a_paper_stored_without_this_fingerprint_gets_it_when_seen_unchanged(
    engine: Engine, stored: str | None
) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [PAPER])
        conn.execute(update(papers).values(fingerprint=stored))
    with engine.begin() as conn:
        assert upsert_papers(conn, [PAPER]).unchanged == 1
    assert _fingerprints(engine) == {PAPER.id: fingerprint(PAPER)}
    older = replace(PAPER, version=0, versions=(), title="An Older Title")
    with engine.begin() as conn:
        assert upsert_papers(conn, [older]).unchanged == 1  # older never overwrites
        stored = get_paper(conn, PAPER.id)
    assert stored is not None and stored.title == PAPER.title


def test_brief_papers_carry_what_a_ranker_reads_and_skip_the_rest(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [PAPER])
    with engine.connect() as conn:
        full = store_papers.get_papers(conn, [PAPER.id])[PAPER.id]
        brief = store_papers.get_papers(conn, [PAPER.id, "0000.00000"], brief=True)
    assert list(brief) == [PAPER.id]
    got = brief[PAPER.id]
    assert (got.title, got.abstract, got.authors, got.categories, got.listing_date) == (
        PAPER.title,
        PAPER.abstract,
        PAPER.authors,
        PAPER.categories,
        PAPER.listing_date,
    )
    assert full.versions and full.code_links and not got.versions and not got.code_links


def test_in_memory_tells_a_private_database_from_one_others_can_open(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    from paperfeed.store import in_memory

    assert in_memory(create_engine("sqlite://")) and in_memory(create_engine("sqlite:///:memory:"))
    assert not in_memory(create_engine(f"sqlite:///{tmp_path / 'x.db'}"))
    assert not in_memory(create_engine("postgresql://u@127.0.0.1/db"))
