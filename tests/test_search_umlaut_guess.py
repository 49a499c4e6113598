"""A word spelled without its umlaut either way ("Schrodinger", "Schroedinger") finds the other
spelling, only where some paper wrote the word with the umlaut; an index of the schema before
(without the field that says so) keeps answering while its successor is built beside it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.search import SearchService
from paperfeed.search.beside import beside
from paperfeed.search.keyword import (
    SCHEMA_VERSION,
    UMLAUTS_SINCE,
    Filters,
    KeywordIndex,
    saved_state,
)
from paperfeed.search.query import parse_query
from paperfeed.settings import Settings
from paperfeed.store import search_store as db
from paperfeed.store import upsert_papers
from paperfeed.store.search_store import IndexRow
from tests.web_support import client, web_settings

NOW = datetime(2026, 7, 1, tzinfo=UTC).replace(tzinfo=None)
UMLAUT = ("2607.00401", "Schrödinger bridges for images", "A Schrödinger bridge.", ("Ann Lee",))
SPELLED = ("2607.00402", "Schroedinger bridge matching", "The Schroedinger bridge.", ("Bo Li",))
PLAIN = ("2607.00403", "A Schrodinger bridge solver", "Plain ASCII Schrodinger bridge.", ())
DOS = ("2607.00404", "Denial of service", "A DoS attack does harm to routers.", ("Cy Wu",))
MULLER = ("2607.00405", "Muller loops", "Loops by Muller.", ("David E. Muller",))


def _index(folder: Path, papers: list[tuple[str, str, str, tuple[str, ...]]]) -> KeywordIndex:
    index = KeywordIndex(folder)
    index.apply([[IndexRow(*p, ("cs.LG",), date(2026, 6, 30), NOW, False) for p in papers]])
    return index


def _found(index: KeywordIndex, query: str) -> set[str]:
    hits, _total = index.search(parse_query(query), Filters(), 20, all_words=True)
    return {pid[-3:] for pid, _score in hits}


def test_either_plain_spelling_finds_the_other_once_a_paper_wrote_the_umlaut(
    tmp_path: Path,
) -> None:
    # "Schroedinger" missed papers writing plain "Schrodinger", and "Schrodinger" those writing
    # "Schroedinger", though both are Schrödinger.
    index = _index(tmp_path / "keyword", [UMLAUT, SPELLED, PLAIN, DOS, MULLER])
    for typed in ("Schroedinger", "Schrodinger", "Schrödinger", "schroedinger bridge"):
        assert _found(index, typed) == {"401", "402", "403"}, typed
    assert _found(index, '"Schrodinger bridge"') == {"401", "402", "403"}  # a phrase too
    assert _found(index, '"Schroedinger bridge"') == {"401", "402", "403"}
    assert _found(index, "bridge -Schrodinger") == set()
    assert index.other_spellings("schroedinger") == ["schrodinger"]
    assert index.other_spellings("schrodinger") == ["schroedinger"]
    # No paper wrote "Dös" or "Müller": no guess ("does" is no DoS, "mueller" no Muller).
    assert _found(index, "does") == {"404"}  # the word itself, in its abstract
    assert _found(index, "dos") == {"404"}
    assert index.other_spellings("does") == index.other_spellings("muller") == []
    assert _found(index, "Mueller") == set()


def test_no_paper_with_the_umlaut_no_guess(tmp_path: Path) -> None:
    index = _index(tmp_path / "keyword", [SPELLED, PLAIN])
    assert _found(index, "Schroedinger") == {"402"}
    assert _found(index, "Schrodinger") == {"403"}


def test_the_snippet_marks_the_other_spelling_on_both_stores(
    settings: Settings, engine: Engine
) -> None:
    fast = web_settings(settings)
    with engine.begin() as conn:
        upsert_papers(conn, [_paper(p) for p in (UMLAUT, SPELLED, PLAIN)])
    service = SearchService(fast, engine)
    try:
        found = {h.id[-3:]: h for h in service.search("Schrodinger", "keyword").hits}
        assert set(found) == {"401", "402", "403"}
        assert "<mark>Schroedinger</mark>" in found["402"].snippet
        assert "<mark>Schrodinger</mark>" in found["403"].snippet
        assert service.search_ids("Schroedinger", "keyword", limit=5)[0:3]
        assert len(service.search_ids("Schroedinger", "keyword", limit=5)) == 3
    finally:
        service.close()


def test_an_index_without_the_field_answers_while_its_successor_is_built(
    settings: Settings, engine: Engine
) -> None:
    settings = web_settings(settings, search_wait_for_build=0)
    with engine.begin() as conn:
        upsert_papers(conn, [_paper(p) for p in (UMLAUT, SPELLED, PLAIN)])
    live = settings.index_dir / "keyword"
    live.mkdir(parents=True)
    (live / "paperfeed-state.json").write_text(json.dumps({"schema": UMLAUTS_SINCE - 1}))
    old = KeywordIndex(live, keep_outdated=True)  # as the release before wrote it
    with engine.connect() as conn:
        old.apply(db.changed_papers(conn, None))
    assert old.num_docs == 3 and '"umlauts"' not in (live / "meta.json").read_text()
    del old
    # Another worker is building the new index beside it (it holds the new folder's writer).
    writer = KeywordIndex(beside(live)).index.writer(15_000_000, 1)
    try:
        with client(settings, engine) as c:
            for q in ("Schrodinger", "Schroedinger", '"Schrodinger bridge"'):
                api = c.get("/api/papers/search", params={"q": q, "mode": "keyword"})
                assert api.status_code == 200, api.text
                assert "2607.00401" in api.text  # the old index answers (without the guess)
            page = c.get("/search", params={"q": "Schrodinger bridge"})
            assert page.status_code == 200 and "being built" not in page.text
            assert saved_state(live)[0] == UMLAUTS_SINCE - 1  # not wiped, not relabelled
            writer.rollback()
            writer.wait_merging_threads()  # that worker stopped: this one goes on and swaps
            c.app.state.site.search().refresh()  # type: ignore[attr-defined]
            assert saved_state(live) == (SCHEMA_VERSION, None)
            api = c.get("/api/papers/search", params={"q": "Schrodinger", "mode": "keyword"})
            assert {"2607.00401", "2607.00402", "2607.00403"} <= set(_ids(api.json()))
    finally:
        del writer


def _paper(p: tuple[str, str, str, tuple[str, ...]]) -> Paper:
    return Paper(id=p[0], title=p[1], abstract=p[2], authors=p[3], categories=("cs.LG",))


def _ids(items: list[dict[str, dict[str, str]]]) -> list[str]:
    return [item["paper"]["id"] for item in items]
