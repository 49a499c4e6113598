"""bench/eval_scifact.py refuses to score a mode that silently fell back to keyword search."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from paperfeed.ingest.jobs import demo_files, ingest_files
from paperfeed.search import SearchService
from paperfeed.settings import Settings
from paperfeed.store import open_store

BENCH = Path(__file__).resolve().parents[1] / "bench" / "eval_scifact.py"


def _eval_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_scifact", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_fallback_stops_the_evaluation(sqlite_settings: Settings, tmp_path: Path) -> None:
    broken = sqlite_settings.model_copy(update={"embed_model": str(tmp_path / "no-such-model")})
    engine = open_store(broken)
    listing = next(p for p in demo_files()[0] if p.name.startswith("2026-06-25"))
    ingest_files(engine, broken, "listing", [listing])
    service = SearchService(broken, engine)
    queries, qrels = {"q": "language models"}, {"q": {"2606.00001"}}
    try:
        scores = _eval_module().evaluate(service, queries, qrels, ["keyword"])
        assert set(scores) == {"keyword"}
        with pytest.raises(SystemExit, match="semantic search fell back to keyword"):
            _eval_module().evaluate(service, queries, qrels, ["semantic"])
    finally:
        service.close()
        engine.dispose()
