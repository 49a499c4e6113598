"""Search says what it found: counts of papers that match the meaningful words, no made-up
matches for gibberish, "did you mean" for typos, fair ranks for papers not embedded yet, authors
found by their full name, and dates at any edge (the bundled demo store: 2,397 real papers)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from paperfeed.models import Paper
from paperfeed.search import SearchService
from paperfeed.search.keyword import stemmer
from paperfeed.search.query import words_of
from paperfeed.settings import Settings
from paperfeed.store import get_papers, open_store, upsert_papers
from paperfeed.store.tables import papers
from tests.web_support import client

STEM = stemmer()


@pytest.fixture(scope="module")
def demo_engine(demo_settings: Settings) -> Iterator[Engine]:
    """The demo store (MiniLM vectors bundled), read-only."""
    engine = open_store(demo_settings)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def service(
    demo_settings: Settings, demo_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchService]:
    """The default model over the demo store, with indexes in a folder of its own."""
    s = demo_settings.model_copy(
        update={
            "data_dir": tmp_path_factory.mktemp("honest"),
            "database_url": demo_settings.sqlalchemy_url,
            "embed_model": "minilm",
        }
    )
    svc = SearchService(s, demo_engine)
    svc.refresh()
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def stored(demo_engine: Engine) -> dict[str, Paper]:
    with demo_engine.connect() as conn:
        return get_papers(conn, list(conn.scalars(select(papers.c.id))))


def _stems(paper: Paper) -> set[str]:
    """Every searched field's stems: the comments and journal reference are searched too."""
    text = " ".join(
        (paper.title, paper.abstract, *paper.authors, paper.comments or "", paper.journal_ref or "")
    )
    return {t for w in words_of(text) for t in STEM.analyze(w)}


def test_stop_words_do_not_make_everything_match(
    service: SearchService, stored: dict[str, Paper]
) -> None:
    result = service.search("diffusion models for video generation", mode="keyword", limit=5)
    wanted = {STEM.analyze(w)[0] for w in ("diffusion", "models", "video", "generation")}
    holding_all = [pid for pid, p in stored.items() if wanted <= _stems(p)]
    assert result.counted and 0 < len(holding_all) < len(stored) // 20
    assert result.total == len(holding_all)  # the papers holding every meaningful word
    assert {h.id for h in result.hits} <= set(holding_all)
    same = service.search("diffusion models video generation", mode="keyword", limit=5)
    assert same.total == result.total
    assert all("<mark>for</mark>" not in h.snippet.lower() for h in result.hits)


def test_some_words_when_no_paper_has_all(service: SearchService) -> None:
    result = service.search("quokka diffusion", mode="keyword", limit=5)
    assert result.total > 0 and result.hits  # nobody wrote about quokkas: diffusion papers


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_gibberish_finds_nothing(service: SearchService, mode: str) -> None:
    result = service.search("xqzv blorptang frimble", mode=mode)
    assert result.mode == mode and result.fallback is None
    assert result.hits == [] and result.total == 0 and not result.counted


def test_semantic_results_are_best_matches_not_a_count(service: SearchService) -> None:
    result = service.search("graph neural networks", mode="semantic", limit=5)
    assert result.mode == "semantic" and len(result.hits) == 5
    assert not result.counted
    floor = service.min_similarity()
    assert all(h.score >= floor for h in result.hits)


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_typos_get_a_suggestion_from_the_index_vocabulary(
    service: SearchService, mode: str
) -> None:
    result = service.search("transfomer atention", mode=mode)
    assert result.suggestion == "transformer attention"
    fixed = service.search(result.suggestion, mode=mode)
    assert len(fixed.hits) > 5 and fixed.suggestion is None


def test_a_name_finds_that_authors_papers_first(
    service: SearchService, stored: dict[str, Paper]
) -> None:
    theirs = {pid for pid, p in stored.items() if "Carlos Guestrin" in p.authors}
    carlo = {pid for pid, p in stored.items() if "carlo" in p.title.lower()}
    assert theirs and carlo  # the demo holds both kinds of paper
    for mode in ("keyword", "hybrid"):
        hits = service.search("Carlos Guestrin", mode=mode, limit=10).hits
        assert hits[0].id in theirs, (mode, [h.title for h in hits[:3]])


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (None, date(65, 4, 10)),
        (date(1, 1, 1), None),
        (None, date(9999, 12, 31)),
        (date(9999, 12, 31), None),
        (date(1, 1, 1), date(9999, 12, 31)),
    ],
)
def test_dates_at_any_edge(service: SearchService, since: date | None, until: date | None) -> None:
    for mode in ("keyword", "hybrid"):
        result = service.search("graph", mode=mode, since=since, until=until)
        if (until or date.max) < date(1990, 1, 1) or (since or date.min) > date(2100, 1, 1):
            assert result.hits == []
        else:
            assert result.hits


def test_a_paper_not_embedded_yet_ranks_by_its_words(
    demo_settings: Settings, tmp_path: Path
) -> None:
    # A copy of the demo store, so the new paper stays out of the shared one.
    s = demo_settings.model_copy(
        update={
            "data_dir": tmp_path,
            "database_url": f"sqlite:///{tmp_path / 'copy.db'}",
            "embed_model": "minilm",
        }
    )
    src = sqlite3.connect(demo_settings.data_dir / "paperfeed.db")
    dst = sqlite3.connect(tmp_path / "copy.db")
    src.backup(dst)
    src.close()
    dst.close()
    engine = open_store(s)
    try:
        fresh = Paper(
            id="2607.00001",
            title="Tokamak plasma disruption forecasting",
            abstract="We forecast disruptions of tokamak plasma from magnetic probe signals.",
            authors=("Ada Example",),
            categories=("physics.plasm-ph",),
            source="test",
        )
        with engine.begin() as conn:
            upsert_papers(conn, [fresh])
        svc = SearchService(s, engine)
        try:
            assert svc.vectors([fresh.id]) == {}  # not embedded yet
            query = "tokamak plasma disruption"
            assert svc.search(query, mode="keyword").hits[0].id == fresh.id
            result = svc.search(query, mode="hybrid", limit=5)
            assert result.mode == "hybrid" and result.hits[0].id == fresh.id
        finally:
            svc.close()
    finally:
        engine.dispose()


def test_web_search_page_and_api_say_it(
    demo_settings: Settings, demo_engine: Engine, tmp_path: Path
) -> None:
    s = demo_settings.model_copy(
        update={
            "data_dir": tmp_path,
            "database_url": demo_settings.sqlalchemy_url,
            "embed_model": "minilm",
        }
    )
    with client(s, demo_engine) as web:
        page = web.get("/search", params={"q": "transfomer atention", "mode": "keyword"})
        assert page.status_code == 200
        assert "Did you mean" in page.text and "transformer attention" in page.text
        nothing = web.get("/search", params={"q": "xqzv blorptang", "mode": "hybrid"})
        assert "No results" in nothing.text
        best = web.get("/search", params={"q": "language models", "mode": "semantic"})
        assert "Best matches" in best.text
        api = web.get("/api/papers/search", params={"q": "transfomer atention"})
        assert api.headers["X-Search-Suggestion"] == "transformer attention"
        odd = web.get("/api/papers/search", params={"q": "transfomer\r\nX-Bad: 1\x00 atention"})
        assert odd.status_code == 200 and "x-bad" not in odd.headers
        assert odd.headers["X-Search-Suggestion"] == "transformer X-Bad: 1? attention"
        edge = web.get("/api/papers/search", params={"q": "P", "until": "0065-04-10"})
        assert edge.status_code == 200 and edge.json() == []


def test_a_meaning_search_walked_by_its_links_reaches_its_end(
    demo_settings: Settings, demo_engine: Engine, tmp_path: Path
) -> None:
    """Each page of a meaning search links the next while more follow (its first page of 100
    had no link at all, and a walk of 50 a page stopped at the second page), and every paper
    comes once; the page's pager goes on too ("Page 5 of 5" while more followed)."""
    s = demo_settings.model_copy(
        update={
            "data_dir": tmp_path,
            "database_url": demo_settings.sqlalchemy_url,
            "embed_model": "minilm",
        }
    )
    with client(s, demo_engine) as web:
        whole = web.get(
            "/api/papers/search", params={"q": "learning", "mode": "semantic", "limit": 100}
        )
        first = whole.json()
        assert len(first) == 100 and 'rel="next"' in whole.headers.get("link", "")
        for limit in (100, 50, 30):
            seen: list[str] = []
            url: str | None = f"/api/papers/search?q=learning&mode=semantic&limit={limit}"
            while url:
                answer = web.get(url)
                assert answer.status_code == 200 and answer.headers["X-Search-Mode"] == "semantic"
                page = [item["paper"]["id"] for item in answer.json()]
                assert page, url  # a next link leads to papers
                seen += page
                nexts = [x for x in answer.headers.get("link", "").split(", ") if "next" in x]
                url = nexts[0].split(">")[0].lstrip("<") if nexts else None
            assert len(seen) == len(set(seen)) > 100, limit
            assert seen[:100] == [item["paper"]["id"] for item in first]
        pages = -(-len(seen) // 30)  # the page's 30 a page
        assert pages > 6
        fifth = web.get("/search", params={"q": "learning", "mode": "semantic", "page": 5})
        assert "Page 5 of about 6<" in fifth.text and 'rel="next"' in fifth.text
        end = web.get("/search", params={"q": "learning", "mode": "semantic", "page": pages})
        assert f"Page {pages} of {pages}<" in end.text and 'rel="next"' not in end.text
