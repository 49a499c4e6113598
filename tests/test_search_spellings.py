"""Names and words spelled more than one way: umlauts spelled out ("Schroedinger" for
"Schrödinger", "Mueller" for "Müller"), accents typed or not, both ways."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.search import SearchService
from paperfeed.search.keyword import Filters, KeywordIndex
from paperfeed.search.query import parse_query
from paperfeed.settings import Settings
from paperfeed.store import open_store, upsert_papers
from paperfeed.store.search_store import IndexRow
from paperfeed.text import spelled_in, spelled_out, spelled_out_words
from tests.web_support import client, web_settings

NOW = datetime(2026, 7, 1, tzinfo=UTC).replace(tzinfo=None)
PAPERS = [
    ("2607.00101", "Multimodal Schrödinger Bridge for Deepfake Localization",
     "We learn a Schrödinger bridge between images.", ("Thomas Müller", "Jana Nováková")),
    ("2607.00102", "Schroedinger equations on graphs",
     "Solutions of the Schroedinger equation.", ("Anna Mueller",)),
    ("2607.00103", "A Schrodinger solver", "Plain ASCII Schrodinger.", ("Søren Kierkegaard",)),
    ("2607.00104", "Goedel-Prover: open theorem proving", "Goedel-Prover proves in Lean.",
     ("Ann Lee",)),
    ("2607.00105", "Gödel Test: can models solve easy conjectures?", "Gödel's test.", ()),
    ("2607.00106", "The Erdős problems", "Naïve bounds near the Poincaré disc.", ("Paul Erdős",)),
    ("2607.00107", "Denial of service", "A DoS attack on routers.", ("Ann Lee",)),
]  # fmt: skip


@pytest.fixture
def index(tmp_path: Path) -> KeywordIndex:
    index = KeywordIndex(tmp_path / "keyword")
    index.apply([[IndexRow(*p, ("cs.LG",), date(2026, 6, 30), NOW, False) for p in PAPERS]])
    return index


def _found(index: KeywordIndex, query: str, author: str | None = None) -> set[str]:
    hits, _total = index.search(parse_query(query), Filters(author=author), 20, all_words=True)
    return {pid[-3:] for pid, _score in hits}


def test_spelled_out_umlauts_find_the_umlauts_and_back(index: KeywordIndex) -> None:
    # "Schroedinger" found nothing in "Schrödinger" (German writes ö as oe on a keyboard
    # without it); "Schrödinger" and "Gödel" found nothing written "Schroedinger", "Goedel".
    assert _found(index, "Schroedinger") == {"101", "102", "103"}  # 101 wrote it "Schrödinger"
    assert _found(index, "Schrödinger") == _found(index, "SCHRÖDINGER") == {"101", "102", "103"}
    assert _found(index, "Schrodinger") == {"101", "102", "103"}
    assert _found(index, "Schro\u0308dinger") == {"101", "102", "103"}  # ö as o + diaeresis
    assert _found(index, "Goedel") == _found(index, "Gödel") == {"104", "105"}
    assert _found(index, "Godel") == {"104", "105"}
    assert _found(index, "Mueller") == _found(index, "Müller") == {"101", "102"}
    assert _found(index, "Soeren") == _found(index, "Søren") == {"103"}
    assert _found(index, "Goedel prover") == {"104"}  # every word: either spelling of each


def test_accents_fold_both_ways(index: KeywordIndex) -> None:
    for typed in ("Erdos", "Erdős", "erdös", "Poincare", "Poincaré", "naive", "naïve"):
        assert _found(index, typed) == {"106"}, typed


def test_a_phrase_finds_each_spelling(index: KeywordIndex) -> None:
    assert _found(index, '"Schroedinger bridge"') == {"101"}
    assert _found(index, '"Schrödinger equation"') == {"102"}
    assert _found(index, '"Schrodinger bridge"') == {"101"}
    assert _found(index, '"Goedel test"') == {"105"}
    assert _found(index, "bridge -Schroedinger") == set()
    assert _found(index, 'images -"Schroedinger bridge"') == set()


def test_spelling_out_is_no_guess_for_single_words(index: KeywordIndex) -> None:
    """Reading "oe" back as "o" would make "does" find DoS papers and "due" Du's: only what
    a paper spelled out is found by the spelled-out word."""
    assert _found(index, "does") == set()
    assert _found(index, "dos") == {"107"}


def test_the_author_filter_takes_either_spelling(index: KeywordIndex) -> None:
    assert _found(index, "", author="Thomas Mueller") == {"101"}
    assert _found(index, "", author="Müller, Thomas") == {"101"}
    assert _found(index, "", author="Anna Müller") == {"102"}
    assert _found(index, "", author="T. Mueller") == {"101"}
    assert _found(index, "", author="Paul Erdos") == {"106"}
    assert _found(index, "", author="Soeren Kierkegaard") == {"103"}
    assert _found(index, "", author="Anna Mueller Lee") == set()


def test_a_name_typed_either_way_puts_that_author_first(index: KeywordIndex) -> None:
    hits, _total = index.search(parse_query("Thomas Mueller"), Filters(), 5)
    assert hits[0][0] == "2607.00101"


def test_spelling_helpers() -> None:
    assert spelled_out("Schrödinger Müller Ärger Søren Ålborg") == (
        "Schroedinger Mueller Aerger Soeren Aalborg"
    )
    assert spelled_out("naïve Erdős") == "naïve Erdős"  # not umlauts that German spells out
    assert spelled_out_words("Gödel's Müller and Bach") == ["Goedel", "Mueller"]
    assert spelled_out_words("plain text") == []
    assert spelled_in("schroedinger") == "schrodinger"
    assert spelled_in("queue") == "queu"  # "ue" after "q" is no umlaut


def test_an_index_of_the_last_schema_is_rebuilt_with_the_spellings(tmp_path: Path) -> None:
    """An install upgraded from schema 7 holds no spelled-out words: its index is started over
    and read from the store again, so "Schroedinger" finds the paper without a command."""
    from paperfeed.search import keyword

    index = KeywordIndex(tmp_path / "keyword")
    index.apply([[IndexRow(*PAPERS[0], ("cs.LG",), None, NOW, False)]])
    state = tmp_path / "keyword" / "paperfeed-state.json"
    saved = json.loads(state.read_text())
    assert saved["schema"] == keyword.SCHEMA_VERSION >= 8
    state.write_text(json.dumps(saved | {"schema": 7}))
    again = KeywordIndex(tmp_path / "keyword")
    assert again.num_docs == 0 and again.progress.cursor is None  # read all again


@pytest.fixture
def site(sqlite_settings: Settings) -> Iterator[tuple[Settings, Engine]]:
    settings = web_settings(sqlite_settings)
    engine = open_store(settings)
    with engine.begin() as conn:
        upsert_papers(
            conn,
            [
                Paper(id=p[0], title=p[1], abstract=p[2], authors=p[3], categories=("cs.LG",))
                for p in PAPERS
            ],
        )
    yield settings, engine
    engine.dispose()


def test_the_api_and_the_page_find_and_mark_the_other_spelling(
    site: tuple[Settings, Engine],
) -> None:
    settings, engine = site
    with client(settings, engine) as c:
        api = c.get("/api/papers/search", params={"q": "Schroedinger", "mode": "keyword"})
        assert api.status_code == 200
        assert {hit["paper"]["id"] for hit in api.json()} == {
            "2607.00101",
            "2607.00102",
            "2607.00103",
        }
        assert "X-Search-Suggestion" not in api.headers  # not "did you mean schrodinger"
        page = c.get("/search", params={"q": "Goedel", "mode": "keyword"})
        assert page.status_code == 200 and "<mark>Gödel</mark>&#x27;s test." in page.text
        page = c.get("/search", params={"q": "Gödel", "mode": "keyword"})
        assert "<mark>Goedel</mark>-Prover proves" in page.text
        hybrid = c.get("/api/papers/search", params={"q": "Müller"})
        assert {"2607.00101", "2607.00102"} <= {hit["paper"]["id"] for hit in hybrid.json()}


def test_search_service_on_postgres_too(settings: Settings) -> None:
    """The same through the service over either store (the index is built from the store)."""
    fast = web_settings(settings)
    engine = open_store(fast)
    with engine.begin() as conn:
        upsert_papers(conn, [Paper(id=PAPERS[0][0], title=PAPERS[0][1], abstract=PAPERS[0][2])])
    service = SearchService(fast, engine)
    try:
        found = service.search("Schroedinger", mode="keyword")
        assert [hit.id for hit in found.hits] == ["2607.00101"]
        assert "<mark>Schrödinger</mark>" in found.hits[0].snippet
    finally:
        service.close()
        engine.dispose()
