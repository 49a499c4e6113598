"""Two workers start on a new install: while one builds the keyword index's first papers, the
other's first searches waited for it instead of answering "no results" (they found the writer
busy, took the empty index as written and answered from it until their next refresh)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import tantivy
from sqlalchemy import Engine

from paperfeed.search import SearchService
from paperfeed.search.keyword import IndexBusy, KeywordIndex
from paperfeed.settings import Settings

QUERY = "learning"


@contextmanager
def _writer_met(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """An event set once a worker has found the index's writer held by another."""
    met = threading.Event()
    original = KeywordIndex._writer

    def writer(index: KeywordIndex, heap: int) -> tantivy.IndexWriter:
        try:
            return original(index, heap)
        except IndexBusy:
            met.set()
            raise

    monkeypatch.setattr(KeywordIndex, "_writer", writer)
    yield met


def _search_in_thread(service: SearchService) -> tuple[threading.Thread, list[int]]:
    found: list[int] = []

    def run() -> None:
        found.append(service.search(QUERY, mode="keyword", limit=50).total)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, found


def test_a_search_waits_for_the_first_build_another_worker_is_writing(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = site.model_copy(update={"search_refresh_seconds": 30.0})
    expected = SearchService(
        settings.model_copy(update={"data_dir": settings.data_dir / "x"}), engine
    )
    want = expected.search(QUERY, mode="keyword", limit=50).total
    expected.close()
    assert want > 0
    folder = settings.index_dir / "keyword"
    builder = SearchService(settings, engine)  # the first worker
    reader = SearchService(settings, engine)  # the second
    try:
        with _writer_met(monkeypatch) as met:
            held = KeywordIndex(folder).index.writer(15_000_000, 1)  # the first worker's build
            thread, found = _search_in_thread(reader)
            assert met.wait(30)
            assert found == []  # still waiting for the build, not answering from nothing
            held.rollback()
            held.wait_merging_threads()
            del held
            builder.refresh()  # the first worker writes the papers
            thread.join(60)
        assert found == [want]
        assert reader.rebuilding() is None
    finally:
        builder.close()
        reader.close()


def test_a_writer_that_went_away_unbuilt_leaves_the_build_to_the_waiting_worker(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = site.model_copy(update={"search_refresh_seconds": 30.0})
    reader = SearchService(settings, engine)
    try:
        with _writer_met(monkeypatch) as met:
            held = KeywordIndex(settings.index_dir / "keyword").index.writer(15_000_000, 1)
            thread, found = _search_in_thread(reader)
            assert met.wait(30)
            held.rollback()  # the first worker was killed before it wrote anything
            held.wait_merging_threads()
            del held
            thread.join(60)
        assert found and found[0] > 0
        assert reader.keyword.num_docs > 0  # it read the store itself
    finally:
        reader.close()
