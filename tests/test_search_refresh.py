"""Keeping the local indexes up to date: each change applied once, searches never wait for it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from paperfeed.ingest.jobs import demo_files, ingest_files
from paperfeed.models import Paper
from paperfeed.search import SearchService, embed_papers
from paperfeed.settings import Settings
from paperfeed.store import search_store as db
from paperfeed.store import upsert_papers
from paperfeed.store.tables import papers
from paperfeed.util import utcnow

DAY = "2026-06-25"  # the smallest listing day of the demo sample: 26 real papers


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """The fast embedder and the default refresh interval."""
    return settings.model_copy(update={"embed_model": "static", "search_refresh_seconds": 30.0})


@pytest.fixture
def old_import(fast: Settings, engine: Engine) -> Engine:
    """A store whose last bulk import finished an hour ago, embedded."""
    listing = next(p for p in demo_files()[0] if p.name.startswith(DAY))
    report, failed = ingest_files(engine, fast, "listing", [listing])
    assert not failed and report.inserted > 20
    with engine.begin() as conn:
        conn.execute(update(papers).values(changed_at=utcnow() - timedelta(hours=1)))
    embed_papers(fast, engine)
    return engine


@pytest.fixture
def service(fast: Settings, old_import: Engine) -> Iterator[SearchService]:
    svc = SearchService(fast, old_import)
    yield svc
    svc.close()


def _store(engine: Engine, paper_id: str, title: str) -> None:
    paper = Paper(id=paper_id, title=title, abstract=title + ".", source="test")
    with engine.begin() as conn:
        upsert_papers(conn, [paper])


def test_a_refresh_with_nothing_new_indexes_nothing(
    fast: Settings, service: SearchService, old_import: Engine
) -> None:
    first = service.refresh()
    assert first == service.keyword.num_docs > 20  # the import, picked up once
    assert [service.refresh() for _ in range(4)] == [0, 0, 0, 0]
    # Another process sharing the index folder has nothing to do either.
    other = SearchService(fast, old_import)
    try:
        assert other.refresh() == 0
    finally:
        other.close()
    _store(old_import, "2606.77777", "Platypus electroreception arrays")
    assert service.refresh() == 1
    assert service.refresh() == 0
    # The newest change applied stays readable without opening the index (`paperfeed doctor`).
    state = json.loads((service.keyword.path / "paperfeed-state.json").read_text())
    with old_import.connect() as conn:
        newest = conn.execute(select(func.max(papers.c.changed_at))).scalar_one()
    assert datetime.fromisoformat(state["watermark"]) == newest


def test_a_late_commit_is_still_picked_up(service: SearchService, old_import: Engine) -> None:
    service.refresh()
    _store(old_import, "2606.77777", "Platypus electroreception arrays")
    assert service.refresh() == 1
    # A transaction that stamped its row earlier but committed only now.
    _store(old_import, "2606.66666", "Echidna snout telemetry")
    with old_import.begin() as conn:
        conn.execute(
            update(papers)
            .where(papers.c.id == "2606.66666")
            .values(changed_at=utcnow() - timedelta(minutes=1))
        )
    assert service.refresh() == 1
    assert service.search("echidna snout", mode="keyword").hits[0].id == "2606.66666"
    assert service.refresh() == 0


def test_a_search_never_waits_for_a_refresh(
    fast: Settings, old_import: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = fast.model_copy(update={"search_refresh_seconds": 1e-6})
    svc = SearchService(quick, old_import)
    try:
        svc.refresh()
        entered, release = threading.Event(), threading.Event()
        real_apply = svc.keyword.apply

        def slow_apply(*args, **kwargs):  # type: ignore[no-untyped-def]
            entered.set()
            release.wait(60)
            return real_apply(*args, **kwargs)

        monkeypatch.setattr(svc.keyword, "apply", slow_apply)
        _store(old_import, "2606.77777", "Platypus electroreception arrays")
        answer: list[list[str]] = []
        asker = threading.Thread(
            target=lambda: answer.append(
                [h.id for h in svc.search("platypus electroreception", mode="hybrid").hits]
            )
        )
        asker.start()
        asker.join(30)  # only a guard against hanging the suite: the refresh is held until later
        stuck = asker.is_alive()
        release.set()
        assert not stuck, "the search waited for the refresh"
        # a refresh was due and started behind the search (it may reach the index only after the
        # search has answered: wait for it, bounded)
        assert entered.wait(30)
        assert "2606.77777" not in answer[0]  # the search used the index as it was
        with svc._background:  # the background refresh has finished
            pass
        assert svc.search("platypus electroreception", mode="keyword").hits[0].id == "2606.77777"
    finally:
        release.set()
        svc.close()


def test_right_after_an_import_a_refresh_reads_only_the_keys_of_what_it_applied(
    fast: Settings, engine: Engine
) -> None:
    """Rows stamped in the last minutes stay unsettled and are read again by every refresh; the
    text and vectors of those already applied are not read again, and nothing is missed."""
    listing = next(p for p in demo_files()[0] if p.name.startswith(DAY))
    ingest_files(engine, fast, "listing", [listing])
    embed_papers(fast, engine)
    svc = SearchService(fast, engine)
    try:
        first = svc.refresh()
        assert first == svc.keyword.num_docs > 20
        progress = svc.keyword.progress
        assert progress.cursor is None and len(progress.recent) == first  # nothing settled yet
        with engine.connect() as conn:
            batches = list(db.changed_papers(conn, None, batch=7, applied=progress.recent))
            rows = [row for batch in batches for row in batch]
            assert len(batches) > 2 and len(rows) == first
            assert all(r.title == "" and not r.hidden for r in rows)  # placeholders only
            assert [(r.id, r.changed_at) for r in rows] == sorted(
                progress.recent.items(), key=lambda item: (item[1], item[0])
            )
            vectors, contract = svc._vectors, svc._contract()
            assert vectors is not None and contract is not None
            cid, dim = contract
            applied = vectors.progress.recent
            ids, matrix, _ = next(db.vectors_since(conn, cid, dim, None, applied=applied))
            assert len(ids) == first and not matrix.any()
        _store(engine, "2606.77777", "Platypus electroreception arrays")
        with engine.connect() as conn:
            rows = [r for b in db.changed_papers(conn, None, applied=progress.recent) for r in b]
        fresh = [r for r in rows if r.title]
        assert [r.id for r in fresh] == ["2606.77777"] and fresh[0].abstract
        assert svc.refresh() == 1
        assert svc.search("platypus electroreception", mode="keyword").hits[0].id == "2606.77777"
        assert svc.refresh() == 0
    finally:
        svc.close()


def test_hits_with_and_without_a_numeric_key_come_back_with_their_ids(
    fast: Settings, service: SearchService, old_import: Engine
) -> None:
    """Ids read from the `key` fast field and ids read from stored documents (old-style and
    local ids have no key) come back alike, in every mode and with their stored fields."""
    odd = ["hep-th/9901001", "local-3f2a", "0704.0001", "2501.12345", "2502.01234"]
    for pid in odd:
        _store(old_import, pid, f"Quokka burrow acoustics {pid}")
    service.refresh()
    for mode in ("keyword", "hybrid"):
        hits = service.search("quokka burrow acoustics", mode=mode, limit=10).hits
        assert sorted(h.id for h in hits if "Quokka" in h.title) == sorted(odd), mode
    assert set(odd) <= set(service.search_ids("quokka burrow acoustics", limit=20))
    docs = service.keyword.docs(odd)
    assert {pid: d.title for pid, d in docs.items()} == {
        pid: f"Quokka burrow acoustics {pid}" for pid in odd
    }


def test_an_index_of_an_earlier_schema_is_rebuilt(
    fast: Settings, service: SearchService, old_import: Engine
) -> None:
    """An upgrade that changes the keyword index's fields (the combined `text` field came in
    schema 4) starts it over from the store: every paper is indexed again, and findable."""
    indexed = service.refresh()
    hits = service.search("neural", mode="keyword", limit=5).hits
    assert indexed > 20 and hits
    service.close()
    state_file = service.keyword.path / "paperfeed-state.json"
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps(state | {"schema": 3}))
    again = SearchService(fast, old_import)
    try:
        assert again.keyword.num_docs == 0  # the old files are gone, not read with new fields
        assert again.refresh() == indexed
        assert [h.id for h in again.search("neural", mode="keyword", limit=5).hits] == [
            h.id for h in hits
        ]
    finally:
        again.close()


def test_an_index_whose_fields_differ_is_started_over(tmp_path: Path) -> None:
    """Files written with other fields under the same version number are not an error."""
    import tantivy

    from paperfeed.search.keyword import SCHEMA_VERSION, KeywordIndex

    folder = tmp_path / "keyword"
    folder.mkdir()
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True)
    other = tantivy.Index(builder.build(), path=str(folder))
    writer = other.writer(15_000_000, 1)
    writer.add_document(tantivy.Document(id="2601.00001"))
    writer.commit()
    writer.wait_merging_threads()
    (folder / "paperfeed-state.json").write_text(json.dumps({"schema": SCHEMA_VERSION}))
    index = KeywordIndex(folder)
    assert index.num_docs == 0 and index.progress.cursor is None


def test_a_store_that_is_down_is_said_once_by_the_index_refresh(
    fast: Settings, engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """While the store could not be reached, every refresh logged a whole traceback."""
    import logging

    from sqlalchemy import create_engine

    down = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'paperfeed.db'}")
    service = SearchService(fast, engine)
    try:
        service.engine = down
        with caplog.at_level(logging.WARNING, "paperfeed.search.service"):
            for _ in range(4):
                service._background.acquire()
                service._refresh_behind()
            service.engine = engine
            service._background.acquire()
            service._refresh_behind()
    finally:
        service.close()
        down.dispose()
    said = [r for r in caplog.records if r.name == "paperfeed.search.service"]
    assert [r.exc_info for r in said] == [None, None]
    assert "search index refresh: store unreachable (OperationalError" in said[0].getMessage()
    assert said[1].getMessage() == "search index refresh: the store is reachable again"
