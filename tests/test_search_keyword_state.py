"""The keyword index's state file (its build and how far it read the store) is asked for by every
search: it is parsed again only when a writer replaced it, and what another process writes is
seen at once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperfeed.search.keyword import KeywordIndex
from paperfeed.search.keyword import index as keyword_index
from paperfeed.search.progress import Progress


def test_the_state_is_parsed_once_until_a_writer_replaces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = KeywordIndex(tmp_path / "keyword")
    stamp = datetime(2026, 12, 6, tzinfo=UTC)
    # as after a bulk load: every paper read in the last minutes is in the state
    recent = {f"2612.{n:05d}": stamp for n in range(20_000)}
    index._save_state(index._state() | {"progress": Progress(None, recent).to_json()})
    parsed: list[int] = []
    real = json.loads
    monkeypatch.setattr(keyword_index.json, "loads", lambda text: parsed.append(1) or real(text))
    for _ in range(50):  # what 25 searches ask
        assert index.build is None
        assert len(index.progress.recent) == 20_000
    assert len(parsed) == 1
    # another process (here: another opening of the folder) begins a build: seen at once
    other = KeywordIndex(tmp_path / "keyword")
    other.begin_build(1_000)
    parsed.clear()
    seen = index.build
    assert seen is not None and seen.total == 1_000
    assert index.build == seen and len(parsed) == 1
    other.end_build()
    assert index.build is None
    # a caller changing what it was given changes nothing kept
    state = index._state()
    state.pop("progress")
    assert len(index.progress.recent) == 20_000
