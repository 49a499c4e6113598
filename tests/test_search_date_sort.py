"""Sorted by date ("Newest"), a search lists the relevant papers newest first, not every paper
that shares a word with the query: on the bundled demo papers, in every mode."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine

from paperfeed.pipeline import load_demo
from paperfeed.search.keyword import Filters
from paperfeed.search.service import SearchService
from paperfeed.settings import Settings
from paperfeed.store import open_store

RAG_FOR_CODE = "retrieval-augmented generation for code"
QMFOL = "2606.20227"  # the one cs.SE paper near the query in meaning
# cs.SE papers holding two of its four words (no cs.SE paper holds more), by (day, id) descending
TWO_WORDS = ["2606.23412", "2606.22737", "2606.19469"]  # UnBias-Plus, GroundEval, Measuring ...
# cs.SE papers sharing one word with it, which led the date order
ONE_WORD = ["2606.30294", "2606.30219", "2606.23654", "2606.19753"]  # ..., EvalSafetyGap, ...


@pytest.fixture(scope="module")
def service(demo_settings: Settings) -> Iterator[SearchService]:
    engine = open_store(demo_settings)
    found = SearchService(demo_settings, engine)
    yield found
    found.close()
    engine.dispose()


def _ids(service: SearchService, query: str, mode: str, **options: str) -> list[str]:
    result = service.search(query, mode=mode, limit=1000, sort="date", **options)
    return [h.id for h in result.hits]


def _days(service: SearchService, ids: list[str]) -> list[date]:
    docs = service.keyword.docs(ids)
    return [docs[p].day or date.min for p in ids]


def test_weak_matches_no_longer_lead_the_newest_first_page(
    settings: Settings, engine: Engine
) -> None:
    """The reported search: hybrid (the default), cs.SE, Newest, on SQLite and PostgreSQL."""
    load_demo(engine, settings)
    service = SearchService(settings, engine)
    try:
        hybrid = service.search(RAG_FOR_CODE, category="cs.SE", sort="date")
        assert [h.id for h in hybrid.hits] == [QMFOL] and hybrid.total == 1
        relevance = service.search(RAG_FOR_CODE, category="cs.SE")
        assert {QMFOL, *ONE_WORD} <= {h.id for h in relevance.hits}  # by relevance, all stay
        keyword = service.search(RAG_FOR_CODE, mode="keyword", category="cs.SE", sort="date")
        assert {h.id for h in keyword.hits} == set(TWO_WORDS) and keyword.total == 3
        assert keyword.hits[-1].id == TWO_WORDS[-1]  # the two of a later day come first
    finally:
        service.close()


def test_a_keyword_cursor_walks_the_same_papers(service: SearchService) -> None:
    keys = service.by_day(RAG_FOR_CODE, Filters(category="cs.SE"), None, 10)
    assert [pid for _day, pid in keys or []] == TWO_WORDS


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_a_one_word_query_lists_every_paper_holding_it(service: SearchService, mode: str) -> None:
    every = service.search("transformer", mode="keyword", limit=1000)
    ids = _ids(service, "transformer", mode)
    assert set(ids) >= {h.id for h in every.hits} and len(every.hits) == every.total > 300
    days = _days(service, ids)
    assert days == sorted(days, reverse=True)


@pytest.mark.parametrize("query", ["graph neural network", "diffusion model"])
def test_hybrid_lists_papers_holding_every_word_or_near_in_meaning(
    service: SearchService, query: str
) -> None:
    holding = {h.id for h in service.search(query, mode="keyword", limit=1000).hits}
    near = {h.id for h in service.search(query, mode="semantic", limit=1000).hits}
    ids = _ids(service, query, "hybrid")
    assert set(ids) <= holding | near and holding <= set(ids)
    days = _days(service, ids)
    assert days == sorted(days, reverse=True)


def test_semantic_lists_only_the_closest_papers(service: SearchService) -> None:
    near = service.search("code generation benchmark", mode="semantic", limit=1000)
    ids = _ids(service, "code generation benchmark", "semantic")
    closest = [h.id for h in near.hits[: len(ids)]]
    assert 0 < len(ids) < len(near.hits) and set(ids) == set(closest)


@pytest.mark.parametrize("mode", ["keyword", "hybrid", "semantic"])
def test_pages_of_newest_first_neither_repeat_nor_skip(service: SearchService, mode: str) -> None:
    query = "code generation benchmark"
    whole = service.search(query, mode=mode, limit=1000, sort="date")
    pages = [
        h.id
        for offset in range(0, whole.total, 7)
        for h in service.search(query, mode=mode, limit=7, offset=offset, sort="date").hits
    ]
    assert pages == [h.id for h in whole.hits] and len(pages) == whole.total


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_a_quoted_phrase_lists_every_paper_holding_it(service: SearchService, mode: str) -> None:
    holding = {h.id for h in service.search('"language model"', mode="keyword", limit=1000).hits}
    assert holding <= set(_ids(service, '"language model"', mode))


def test_filters_without_words_still_list_everything_newest_first(
    service: SearchService,
) -> None:
    in_category = _ids(service, "cat:cs.SE", "hybrid")
    assert len(in_category) == service.search("cat:cs.SE", mode="keyword", limit=1000).total
    by_author = service.search("", author="Yann LeCun", limit=1000, sort="date")
    everyone = service.search("", limit=1000, sort="date")
    assert everyone.total > 2000 and len({h.id for h in everyone.hits}) == 1000
    days = _days(service, [h.id for h in everyone.hits])
    assert days == sorted(days, reverse=True) and by_author.total == len(by_author.hits)
