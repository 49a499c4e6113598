"""Each embedding model's floor of a meaning match, as bench/calibrate_similarity.py measured it:
with the static model, a meaning search sorted by Newest no longer lists off-topic papers that
its MiniLM floor (0.3, below every cosine it gives) let in. On SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from paperfeed.ingest.jobs import demo_files
from paperfeed.pipeline import ingest_files
from paperfeed.search import SearchService, embed_papers
from paperfeed.search.embed import (
    MINILM_CALIBRATION,
    STATIC_MIN_SIMILARITY,
    Calibration,
    StaticMiniLM,
    get_embedder,
    paper_text,
)
from paperfeed.search.service import dense
from paperfeed.settings import Settings
from paperfeed.store import get_papers

QUERY = "graph neural network"
GNN = "2606.23694"  # ModTGCN: Modularity-aware Graph Neural Networks for Text Classification
OFF_TOPIC = "2606.25431"  # Envy-free Contracts with Subsidies (cs.GT)
OLD_FLOOR = 0.3  # the MiniLM default the static model carried before it was measured


@pytest.fixture
def static(settings: Settings, engine: Engine, tmp_path: Path) -> Iterator[SearchService]:
    """One real listing day of papers far from graph learning, and one graph neural network
    paper of the day before, embedded with the static model."""
    fast = settings.model_copy(update={"embed_model": "static", "search_refresh_seconds": 0.0})
    listings = {p.name[:10]: p for p in demo_files()[0]}
    with gzip.open(listings["2026-06-24"], "rt", encoding="utf-8") as handle:
        gnn = next(line for line in handle if json.loads(line)["id"] == GNN)
    day_before = tmp_path / "2026-06-24.jsonl.gz"
    day_before.write_bytes(gzip.compress(gnn.encode()))
    _report, failed = ingest_files(engine, fast, "listing", [day_before, listings["2026-06-25"]])
    assert not failed
    embed_papers(fast, engine)
    service = SearchService(fast, engine)
    yield service
    service.close()


def _cosines(service: SearchService, ids: list[str]) -> dict[str, float]:
    with service.engine.connect() as conn:
        found = get_papers(conn, ids)
    model = get_embedder("static")
    vectors = model.embed([paper_text(found[p].title, found[p].abstract) for p in ids])
    scores = vectors @ np.asarray(model.embed([QUERY])[0])
    return dict(zip(ids, scores.tolist(), strict=True))


def _newest(service: SearchService, mode: str) -> list[str]:
    result = service.search(QUERY, mode=mode, sort="date", limit=100)
    assert result.mode == mode  # ranked by meaning, not fallen back to keywords
    return [h.id for h in result.hits]


def _bar(floor: float, best: float) -> float:
    return floor + dense.NEAR_SHARE * (best - floor)


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_newest_over_a_meaning_search_drops_what_the_old_floor_let_in(
    static: SearchService, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cosine = _cosines(static, [GNN, OFF_TOPIC])
    best = cosine[GNN]
    # The pair the change is about: listed above the old floor's bar, under the new one's.
    assert _bar(OLD_FLOOR, best) <= cosine[OFF_TOPIC] < _bar(STATIC_MIN_SIMILARITY, best)
    now = _newest(static, mode)
    assert GNN in now and OFF_TOPIC not in now
    monkeypatch.setattr(StaticMiniLM, "calibration", Calibration(min_similarity=OLD_FLOOR))
    static._query_vectors.clear()  # same vectors; only the floor differs
    before = _newest(static, mode)
    assert GNN in before and OFF_TOPIC in before


def test_each_model_carries_its_own_floor() -> None:
    assert StaticMiniLM.calibration.min_similarity == STATIC_MIN_SIMILARITY > OLD_FLOOR
    assert MINILM_CALIBRATION.min_similarity == OLD_FLOOR == Calibration().min_similarity
