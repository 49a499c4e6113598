"""A saved vector index is searched from its file's pages (shared by workers, reclaimable), not
copied into each process; adding to it, and saves by other processes, keep it right."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.search import SearchService, embed_papers
from paperfeed.search.service import upkeep
from paperfeed.search.vectors import FaissIndex, normalise
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/maps").exists(), reason="reads the process's memory map"
)

_DIM = 16


def _vectors(rows: int, seed: int) -> np.ndarray:
    unit: np.ndarray = normalise(np.random.default_rng(seed).normal(size=(rows, _DIM)))
    return unit


def _hnsw(rows: int, seed: int = 1, prefix: str = "2401") -> tuple[FaissIndex, np.ndarray]:
    index = FaissIndex(_DIM, "hnsw", ef_search=64)
    vectors = _vectors(rows, seed)
    index.add([f"{prefix}.{i:05d}" for i in range(rows)], vectors)
    return index, vectors


def _mapped_files() -> set[str]:
    lines = Path("/proc/self/maps").read_text().splitlines()
    return {line.split(maxsplit=5)[5] for line in lines if len(line.split(maxsplit=5)) == 6}


def test_a_loaded_index_is_searched_from_its_file(tmp_path: Path) -> None:
    index, vectors = _hnsw(2000)
    assert not index.mapped  # built in memory
    index.save(tmp_path, "v")
    back = FaissIndex.load(tmp_path, "v", ef_search=64)
    assert back is not None and back.mapped
    assert str(tmp_path / "v.faiss") in _mapped_files()
    for row in (0, 7, 1999):
        assert back.search(vectors[row], 10) == index.search(vectors[row], 10)
    assert np.allclose(back.get(["2401.00007"])["2401.00007"], vectors[7], atol=2e-3)


def test_vectors_added_to_a_loaded_index_are_found_and_saved(tmp_path: Path) -> None:
    index, vectors = _hnsw(1500)
    index.save(tmp_path, "v")
    back = FaissIndex.load(tmp_path, "v", ef_search=64)
    assert back is not None and back.mapped
    fresh = _vectors(3, seed=9)
    added = back.add(["2402.00001", "2402.00002", "2401.00004"], fresh)  # one re-embedded
    assert added == 3 and not back.mapped and len(back) == 1502 and back.stale == 1
    assert back.search(fresh[0], 1)[0][0] == "2402.00001"
    assert back.search(fresh[2], 1)[0][0] == "2401.00004"
    assert back.search(vectors[10], 1)[0][0] == "2401.00010"
    back.save(tmp_path, "v")
    assert back.mapped  # searched from the file it just wrote
    again = FaissIndex.load(tmp_path, "v", ef_search=64)
    assert again is not None and len(again) == 1502
    assert again.search(fresh[1], 3) == back.search(fresh[1], 3)


def test_a_save_by_another_worker_does_not_change_a_loaded_index(tmp_path: Path) -> None:
    index, vectors = _hnsw(1200)
    index.save(tmp_path, "v")
    mine = FaissIndex.load(tmp_path, "v", ef_search=64)
    assert mine is not None
    other, _ = _hnsw(800, seed=5, prefix="2312")  # written over the same path
    other.save(tmp_path, "v")
    assert mine.search(vectors[3], 1)[0][0] == "2401.00003"
    # Added to, it reads the index it was mapped from, not the file now at the path.
    mine.add(["2402.00001"], _vectors(1, seed=11))
    assert len(mine) == 1201 and mine.search(vectors[3], 1)[0][0] == "2401.00003"
    assert mine.search(vectors[1100], 1)[0][0] == "2401.01100"


def _add_papers(engine: Engine, settings: Settings, ids: list[str]) -> None:
    with engine.begin() as conn:
        upsert_papers(
            conn,
            [
                Paper(id=p, title=f"Paper {p} on graphs", abstract="Graphs.", source="t")
                for p in ids
            ],
        )
    embed_papers(settings, engine)


def test_a_served_index_added_to_a_little_at_a_time_is_mapped_again(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large index (here: past SMALL_INDEX) is saved once SAVE_EVERY vectors were added over
    any number of refreshes, and searched from that file again; before, a refresh had to bring
    SAVE_EVERY at once, so a site taking a few papers a day kept a private copy until restart."""
    monkeypatch.setattr(upkeep, "SAVE_EVERY", 5)
    monkeypatch.setattr(upkeep, "SMALL_INDEX", 0)
    fast = settings.model_copy(update={"embed_model": "static", "vector_index": "hnsw"})
    _add_papers(engine, fast, [f"2401.{i:05d}" for i in range(1, 13)])
    first = SearchService(fast, engine)
    first.refresh()
    first.close()
    served = SearchService(fast, engine)
    try:
        served.refresh()
        assert served._vectors is not None and served._vectors.mapped
        _add_papers(engine, fast, ["2402.00001", "2402.00002", "2402.00003"])
        served.refresh()
        assert len(served._vectors) == 15 and not served._vectors.mapped  # 3 < 5: not saved
        _add_papers(engine, fast, ["2402.00004", "2402.00005"])
        served.refresh()
        assert len(served._vectors) == 17 and served._vectors.mapped  # 5 since the load
        hits = served.search("Paper 2402.00005 on graphs", mode="semantic", limit=3).hits
        assert "2402.00005" in [h.id for h in hits]
    finally:
        served.close()
