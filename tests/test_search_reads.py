"""How much index work one search does: tantivy searches and stored-document reads per query."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from paperfeed.ingest.jobs import demo_files
from paperfeed.pipeline import ingest_files
from paperfeed.search import SearchService, embed_papers
from paperfeed.search.keyword import HYBRID, Filters
from paperfeed.search.query import parse_query
from paperfeed.settings import Settings

DAY = "2026-06-25"  # one real listing day of the demo sample


class Counted:
    """A tantivy index whose searchers count their searches and stored-document reads."""

    def __init__(self, index: Any) -> None:
        self.index, self.searches, self.read = index, 0, []

    def searcher(self) -> Counted:
        self._searcher = self.index.searcher()
        return self

    def search(self, *args: Any, **kwargs: Any) -> Any:
        self.searches += 1
        return self._searcher.search(*args, **kwargs)

    def doc(self, *args: Any) -> Any:
        doc = self._searcher.doc(*args)
        self.read.append(doc["id"][0])
        return doc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._searcher if name != "reload" else self.index, name)


@pytest.fixture
def service(settings: Settings, engine: Engine) -> Iterator[SearchService]:
    fast = settings.model_copy(update={"embed_model": "static", "search_refresh_seconds": 3600})
    listing = next(p for p in demo_files()[0] if p.name.startswith(DAY))
    _report, failed = ingest_files(engine, fast, "listing", [listing])
    assert not failed
    embed_papers(fast, engine)
    svc = SearchService(fast, engine)
    svc.refresh()
    yield svc
    svc.close()


def _count(service: SearchService) -> Counted:
    counted = Counted(service.keyword.index)
    service.keyword.index = counted  # type: ignore[assignment]
    return counted


def test_hybrid_runs_one_keyword_search_and_one_check_of_the_other_candidates(
    service: SearchService,
) -> None:
    expected = service.search("language models", mode="hybrid", limit=5)
    service.keyword.reload()  # nothing remembered from that search
    counted = _count(service)
    result = service.search("language models", mode="hybrid", limit=5)
    assert [h.id for h in result.hits] == [h.id for h in expected.hits] and result.hits
    # the ranked keyword search, one search checking and scoring the other ANN candidates,
    # the exact-title lookup; the candidates' ids come from the `key` fast field, so only the
    # shown hits' stored documents are read (where the searches found them), once each
    assert counted.searches == 3
    assert sorted(counted.read) == sorted(h.id for h in result.hits)


def test_similar_does_not_read_its_hits_twice(service: SearchService) -> None:
    pid = service._vectors._ids.ids_at([0])[0]  # type: ignore[union-attr]
    service.keyword.reload()
    counted = _count(service)
    hits = service.similar(pid, limit=5)
    assert len(hits) == 5 and counted.searches == 1
    assert len(counted.read) == len(set(counted.read))


@pytest.mark.parametrize("text", ["language models", "learning -language", "models"])
def test_keep_scored_is_keep_with_the_bm25_scores(service: SearchService, text: str) -> None:
    keyword, parsed = service.keyword, parse_query(text)
    everything = dict(keyword.search(parse_query(""), Filters(), 1000)[0])
    matching = dict(keyword.search(parsed, Filters(), 1000, weights=HYBRID)[0])
    ids = sorted(everything)[::2] + ["9999.99999"]  # half the papers and one it does not hold
    scored = keyword.keep_scored(ids, Filters(), parsed, HYBRID)
    assert set(scored) == keyword.keep(ids, Filters(), parsed) and scored
    assert {p: s for p, s in scored.items() if s} == {
        p: matching[p] for p in scored if p in matching
    }
    assert any(s == 0.0 for s in scored.values()) and any(s for s in scored.values())
