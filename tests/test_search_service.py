"""Embedding, semantic and hybrid search, similar papers and incremental updates, on both databases.

The fast static embedder keeps these quick; the papers are real (one bundled demo listing day).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update

from paperfeed.ingest.jobs import demo_files
from paperfeed.models import Paper
from paperfeed.pipeline import ingest_files
from paperfeed.search import SearchService, backfill, embed_papers
from paperfeed.search.embed import get_embedder, paper_text
from paperfeed.search.service import dense
from paperfeed.settings import Settings
from paperfeed.store import get_paper, get_papers, open_store, upsert_papers
from paperfeed.store import search_store as db
from paperfeed.store.tables import papers
from paperfeed.util import utcnow

FAST = "static"
DAY = "2026-06-25"  # the smallest listing day of the demo sample: 26 real papers


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """The test settings with the fast embedder and a refresh on every search."""
    return settings.model_copy(update={"embed_model": FAST, "search_refresh_seconds": 0.0})


@pytest.fixture
def filled(fast: Settings, engine: Engine) -> Engine:
    """The store with one real listing day in it."""
    listing = next(p for p in demo_files()[0] if p.name.startswith(DAY))
    report, failed = ingest_files(engine, fast, "listing", [listing])
    assert not failed and report.inserted > 20
    return engine


@pytest.fixture
def service(fast: Settings, filled: Engine) -> Iterator[SearchService]:
    """Papers embedded and a service over them."""
    embed_papers(fast, filled)
    svc = SearchService(fast, filled)
    yield svc
    svc.close()


def _all(engine: Engine) -> dict[str, Paper]:
    with engine.connect() as conn:
        return get_papers(conn, conn.execute(select(papers.c.id)).scalars().all())


def test_embed_only_what_is_missing(fast: Settings, filled: Engine) -> None:
    stored = _all(filled)
    seen: list[tuple[int, int]] = []
    assert embed_papers(fast, filled, lambda done, total: seen.append((done, total))) == len(stored)
    assert seen[-1] == (len(stored), len(stored))
    assert embed_papers(fast, filled) == 0


def test_changed_text_is_embedded_again(fast: Settings, filled: Engine) -> None:
    embed_papers(fast, filled)
    paper = next(iter(_all(filled).values()))
    later = (paper.updated or datetime(2026, 1, 1)) + timedelta(days=1)
    newer = replace(paper, abstract=paper.abstract + " Code is released.", updated=later)
    touched = replace(newer, comments="12 pages", updated=later + timedelta(days=1))
    with filled.begin() as conn:
        upsert_papers(conn, [newer])
    assert embed_papers(fast, filled) == 1
    with filled.begin() as conn:
        upsert_papers(conn, [touched])  # changed, but not its embedded text
    assert embed_papers(fast, filled) == 0


def test_embedding_is_resumable(
    fast: Settings, filled: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backfill, "EMBED_BATCH", 10)

    def crash(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        embed_papers(fast, filled, crash)
    total = len(_all(filled))
    assert embed_papers(fast, filled) == total - 10


def test_changing_the_model_reembeds_and_never_mixes(fast: Settings, filled: Engine) -> None:
    ids = list(_all(filled))
    embed_papers(fast, filled)
    other = fast.model_copy(update={"embed_model": "minilm-32"})  # another contract, still fast
    assert embed_papers(other, filled) == len(ids)
    static_id = backfill.contract_of(get_embedder(FAST))[0]
    minilm_id = backfill.contract_of(get_embedder("minilm-32"))[0]
    assert static_id != minilm_id
    with filled.connect() as conn:
        assert db.count_vectors(conn, static_id) == db.count_vectors(conn, minilm_id) == len(ids)
    for settings_, name in ((fast, FAST), (other, "minilm-32")):
        svc = SearchService(settings_, filled)
        try:
            paper = _all(filled)[ids[3]]
            expected = get_embedder(name).embed([paper_text(paper.title, paper.abstract)])[0]
            stored = svc.vectors([ids[3]])[ids[3]]
            assert stored.shape == expected.shape == (get_embedder(name).dim,)
            # int8 activations are quantised per batch, so a lone text differs slightly.
            assert float(stored @ expected) > 0.98
            hit = svc.search(paper.abstract, mode="semantic", limit=1).hits[0]
            assert hit.id == ids[3]
        finally:
            svc.close()


def test_semantic_and_hybrid_find_a_paper_by_its_abstract(service: SearchService) -> None:
    paper = list(_all(service.engine).values())[7]
    for mode in ("semantic", "hybrid"):
        result = service.search(paper.abstract[:400], mode=mode, limit=3)
        assert result.mode == mode and result.fallback is None
        assert result.hits[0].id == paper.id


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_hybrid_pages_read_one_ranking_to_its_end(
    service: SearchService, sort: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fusing each side to the depth a page needed reordered the ranking page by page: papers
    came twice, others never, and small pages never ended. Pages of 3 and of 40 now read the
    same ranking, each paper once, and both end (the first fusion's depth made small here, as
    this store is: pages read past it)."""
    monkeypatch.setattr(dense, "HYBRID_DEPTH", 4)

    def read(limit: int) -> list[str]:
        ids: list[str] = []
        for page in range(200):
            got = service.search("learning models", "hybrid", limit, page * limit, sort=sort)
            assert got.mode == "hybrid"
            if not got.hits:
                return ids
            ids += [h.id for h in got.hits]
        raise AssertionError("the pages never ended")

    small, large = read(3), read(40)
    assert len(small) > 2 * 4 + 3  # past what the first fusion holds
    assert small == large and len(set(small)) == len(small)
    whole = service.search("learning models", "hybrid", len(small) + 10, sort=sort)
    assert [h.id for h in whole.hits] == small


def test_hybrid_respects_exclusions_and_filters(service: SearchService) -> None:
    stored = _all(service.engine)
    category = next(iter(stored.values())).categories[0]
    filtered = service.search("learning models", mode="hybrid", category=category, limit=20)
    assert filtered.mode == "hybrid" and filtered.hits
    for hit in filtered.hits:
        assert category in stored[hit.id].categories
    excluded = service.search("language models -language", mode="hybrid", limit=20)
    assert excluded.mode == "hybrid" and excluded.hits
    for hit in excluded.hits:
        text = (stored[hit.id].title + " " + stored[hit.id].abstract).lower()
        assert "language" not in text.split()


def test_search_ids_are_the_ids_search_returns(service: SearchService) -> None:
    # A digest's saved searches take only the ids, without snippets: the same papers, in order.
    stored = _all(service.engine)
    day = next(iter(stored.values())).listing_date
    title = list(stored.values())[3].title  # an exact title is pinned first
    for query in ("learning models", "language", title, "zzqx nothing"):
        for mode in ("keyword", "semantic", "hybrid"):
            full = service.search(query, mode=mode, limit=7, since=day, until=day)
            ids = service.search_ids(query, mode=mode, limit=7, since=day, until=day)
            assert ids == [hit.id for hit in full.hits]
    assert service.search_ids("learning models", limit=5)


def test_new_paper_is_found_after_ingest_and_embed(
    fast: Settings, service: SearchService, filled: Engine
) -> None:
    before = {h.id for h in service.search("quokka photosynthesis telemetry", limit=50).hits}
    paper = Paper(
        id="2606.99999",
        title="Quokka photosynthesis telemetry with graph transformers",
        abstract="We measure quokka photosynthesis telemetry and model it with graph transformers.",
        authors=("Ada Example",),
        categories=("cs.LG",),
        source="test",
    )
    with filled.begin() as conn:
        upsert_papers(conn, [paper])
    assert embed_papers(fast, filled) == 1
    assert "2606.99999" not in before
    for mode in ("keyword", "semantic", "hybrid"):
        assert service.search("quokka photosynthesis telemetry", mode=mode).hits[0].id == paper.id


def test_a_second_machine_sees_the_paper_too(
    fast: Settings, service: SearchService, filled: Engine, tmp_path: Path
) -> None:
    # Same database, its own data folder (and so its own local indexes).
    other_dir = fast.model_copy(
        update={"data_dir": tmp_path / "machine-b", "database_url": fast.sqlalchemy_url}
    )
    machine_b = SearchService(other_dir, open_store(other_dir))
    try:
        machine_b.refresh()
        paper = Paper(
            id="2606.88888",
            title="Wombat burrow acoustics",
            abstract="Wombat burrows.",
            source="test",
        )
        with filled.begin() as conn:
            upsert_papers(conn, [paper])
        assert machine_b.search("wombat burrow", mode="keyword").hits[0].id == paper.id
        assert service.search("wombat burrow", mode="keyword").hits[0].id == paper.id
    finally:
        machine_b.close()


def test_hidden_paper_leaves_the_index(service: SearchService, filled: Engine) -> None:
    paper = list(_all(filled).values())[5]
    assert service.search(paper.title, mode="keyword", limit=1).hits[0].id == paper.id
    with filled.begin() as conn:
        conn.execute(
            update(papers).where(papers.c.id == paper.id).values(hidden=True, changed_at=utcnow())
        )
    assert paper.id not in {h.id for h in service.search(paper.title, limit=20).hits}
    assert paper.id not in {h.id for h in service.similar(list(_all(filled))[0], 50)}


def test_similar_excludes_itself_and_follows_stored_vectors(service: SearchService) -> None:
    stored = _all(service.engine)
    ids = sorted(stored)
    vectors = service.vectors(ids)
    target = ids[0]
    hits = service.similar(target, limit=5)
    assert len(hits) == 5 and target not in [h.id for h in hits]
    scores = {pid: float(vectors[pid] @ vectors[target]) for pid in ids if pid != target}
    best = sorted(scores, key=lambda p: -scores[p])[:5]
    assert [h.id for h in hits] == best


def test_more_like_a_set_excludes_the_set(service: SearchService) -> None:
    ids = sorted(_all(service.engine))[:3]
    hits = service.more_like(ids, limit=10)
    assert len(hits) == 10 and not set(ids) & {h.id for h in hits}


def test_missing_model_falls_back_to_keyword(fast: Settings, filled: Engine) -> None:
    broken = fast.model_copy(update={"embed_model": str(fast.data_dir / "no-such-model")})
    svc = SearchService(broken, filled)
    try:
        paper = next(iter(_all(filled).values()))
        result = svc.search(paper.title, mode="hybrid", limit=3)
        assert result.mode == "keyword"
        assert result.fallback and "unavailable" in result.fallback
        assert result.hits[0].id == paper.id
        assert svc.embed_query("graphs") is None
        assert svc.similar(paper.id) == []
    finally:
        svc.close()


class _Slow:
    """The fast embedder, taking `delay` seconds per call (an overloaded model)."""

    def __init__(self, inner: object, delay: float) -> None:
        self.inner, self.delay = inner, delay

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def embed(self, texts: list[str]) -> object:
        time.sleep(self.delay)
        return self.inner.embed(texts)  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_a_slow_model_falls_back_to_keyword_then_catches_up(
    service: SearchService, fast: Settings, filled: Engine, mode: str
) -> None:
    settings = fast.model_copy(update={"search_embed_timeout": 0.5})
    slow = SearchService(settings, filled, _Slow(get_embedder(FAST), 2.0))  # type: ignore[arg-type]
    try:
        query = "graph neural networks for molecules"
        late = slow.search(query, mode=mode, limit=5)
        assert late.mode == "keyword" and late.fallback == "embedding model too slow"
        keyword = slow.search(query, mode="keyword", limit=5)
        assert [h.id for h in late.hits] == [h.id for h in keyword.hits] and late.hits
        slow._pool.submit(lambda: None).result()  # the embedding thread is done: vector kept
        again = slow.search(query, mode=mode, limit=5)
        assert again.mode == mode and again.fallback is None
        assert [h.id for h in again.hits] == [h.id for h in service.search(query, mode, 5).hits]
    finally:
        slow.close()


def test_no_vectors_yet_falls_back_with_a_hint(fast: Settings, filled: Engine) -> None:
    svc = SearchService(fast, filled)
    try:
        result = svc.search("graph neural networks", mode="semantic")
        assert result.mode == "keyword" and "paperfeed embed" in (result.fallback or "")
    finally:
        svc.close()


def test_reindex_rebuilds_from_the_store(service: SearchService, filled: Engine) -> None:
    paper = next(iter(_all(filled).values()))
    with filled.connect() as conn:
        assert get_paper(conn, paper.id) is not None
    service.rebuild()
    assert service.search(paper.title, mode="hybrid", limit=1).hits[0].id == paper.id
    assert service.keyword.num_docs == len(_all(filled))


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=120) | st.text(alphabet='"-*:()~^ ab', max_size=20))
def test_any_text_in_every_mode(service: SearchService, text: str) -> None:
    for mode in ("semantic", "hybrid"):
        result = service.search(text, mode=mode, limit=5)
        assert result.mode in ("keyword", mode)
        assert len(result.hits) <= 5


def test_ingest_embeds_right_away_when_asked(fast: Settings, engine: Engine) -> None:
    auto = fast.model_copy(update={"embed_on_ingest": True})
    listing = next(p for p in demo_files()[0] if p.name.startswith(DAY))
    report, failed = ingest_files(engine, auto, "listing", [listing])
    assert not failed and report.inserted > 20
    assert embed_papers(auto, engine) == 0  # the ingest run embedded everything already
    svc = SearchService(auto, engine)
    try:
        assert svc.search("language models", mode="semantic").mode == "semantic"
    finally:
        svc.close()


def test_indexes_kept_from_another_store_are_built_again(
    fast: Settings, filled: Engine, tmp_path: Path
) -> None:
    """One data folder, a second database (a new database URL, a restored backup): the
    keyword index kept the first store's papers, read only the second's newer than its
    cursor, and searches answered with papers the store did not have."""
    first = SearchService(fast, filled)
    try:
        assert first.search("learning", mode="keyword", limit=5).hits
    finally:
        first.close()
    other = fast.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'other.db'}"})
    engine = open_store(other)
    mine = Paper(
        id="2101.00042",
        title="Quokka counting with drones",
        abstract="We count quokkas on Rottnest Island from the air.",
        source="test",
        listing_date=date(2021, 1, 4),  # older than every paper the first store held
    )
    with engine.begin() as conn:
        upsert_papers(conn, [mine])
    second = SearchService(other, engine)
    try:
        found = second.search("quokka", mode="keyword", limit=5)
        elsewhere = second.search("learning", mode="keyword", limit=5)
    finally:
        second.close()
        engine.dispose()
    assert [h.id for h in found.hits] == [mine.id]
    assert elsewhere.hits == []  # none of the first store's papers
