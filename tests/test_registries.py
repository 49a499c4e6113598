"""Sources and embedders are registered once; the CLI and the search read the registries."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.digest.schedule import _min_similarity
from paperfeed.ingest.jobs import FILE_KINDS, FileKind, file_source
from paperfeed.ingest.run import Source
from paperfeed.search import SearchService
from paperfeed.search.embed import EMBEDDERS, Calibration, StaticMiniLM, get_embedder
from paperfeed.settings import Settings

runner = CliRunner()


def test_the_cli_offers_exactly_the_registered_file_kinds() -> None:
    result = runner.invoke(app, ["ingest", "--help"])
    assert result.exit_code == 0
    for name, kind in FILE_KINDS.items():
        assert name in result.output
        assert kind.help.split()[0] in result.output
    refused = runner.invoke(app, ["ingest", "no-such-kind", "x.jsonl"])
    assert refused.exit_code == 2
    assert "snapshot" in refused.output


def test_a_registered_kind_is_importable_from_the_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from paperfeed.ingest.listing import ListingSource

    opened: list[Path] = []

    def _open(path: Path, _options: object) -> Source:
        opened.append(path)
        return ListingSource(path, None)

    monkeypatch.setitem(FILE_KINDS, "mine", FileKind("a test format", _open))
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path / "data"))
    empty = tmp_path / "2026-01-01.jsonl"
    empty.write_text("")
    result = runner.invoke(app, ["ingest", "mine", str(empty), "--json"])
    assert result.exit_code == 0, result.output
    assert opened == [empty]


def test_unknown_kind_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown source kind"):
        file_source(None, "nope", tmp_path / "x")  # type: ignore[arg-type]


def test_every_registered_embedder_carries_its_calibration() -> None:
    assert {"minilm", "static"} <= set(EMBEDDERS)
    minilm = get_embedder("minilm").calibration
    assert (minilm.hnsw_ef_search, minilm.hnsw_ef_similar) == (800, 100)  # measured at 1 M
    static = get_embedder("static").calibration
    assert static.hybrid_trust == 0.35 and static.hybrid_trust != Calibration().hybrid_trust


def test_digest_similarity_comes_from_the_model_unless_set(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperfeed.store import open_store

    monkeypatch.setattr(StaticMiniLM, "calibration", Calibration(min_similarity=0.42))
    fast = sqlite_settings.model_copy(update={"embed_model": "static"})
    engine: Engine = open_store(fast)
    svc = SearchService(fast, engine)
    try:
        assert _min_similarity(fast, svc) == 0.42
        pinned = fast.model_copy(update={"digest_min_similarity": 0.55})
        assert _min_similarity(pinned, svc) == 0.55
    finally:
        svc.close()
        engine.dispose()
