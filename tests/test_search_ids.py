"""The compact id table of the vector index, held to the list and dict it replaced."""

from __future__ import annotations

import json
import os
import subprocess
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st
from sqlalchemy import Engine

from paperfeed.ingest.jobs import demo_files
from paperfeed.pipeline import ingest_files
from paperfeed.search import SearchService, embed_papers
from paperfeed.search import ids as ids_module
from paperfeed.search.ids import IdTable
from paperfeed.search.vectors import FaissIndex, normalise
from paperfeed.settings import Settings

# New-style ids (kept as numbers) mixed with old-style and local ones (kept as strings).
_IDS = st.one_of(
    st.builds(lambda m, n: f"{m:04d}.{n:05d}", st.integers(2301, 2312), st.integers(0, 40)),
    st.builds(lambda n: f"hep-th/{n:07d}", st.integers(0, 5)),
    st.sampled_from(["local-a", "local-b"]),
)


class _Reference:
    """What FaissIndex kept before: every row's id in a list, each live id's row in a dict."""

    def __init__(self) -> None:
        self.ids: list[str | None] = []
        self.row: dict[str, int] = {}

    def append(self, pid: str) -> None:
        if pid in self.row:
            self.ids[self.row[pid]] = None
        self.row[pid] = len(self.ids)
        self.ids.append(pid)


def _same(table: IdTable, ref: _Reference, probes: list[str]) -> None:
    assert table.rows == len(ref.ids) and len(table) == len(ref.row)
    assert table.ids_at(range(-1, table.rows + 1)) == [None, *ref.ids, None]
    assert table.rows_of(probes) == [ref.row.get(pid) for pid in probes]


@examples(max_examples=60, deadline=None)
@given(st.lists(st.lists(_IDS, max_size=40), max_size=20), st.integers(1, 50))
def test_the_table_answers_as_the_list_and_dict_did(
    batches: list[list[str]], merge_at: int
) -> None:
    """Batches of ids added (an id again in a later batch or twice in one), lookups, across
    re-sorts and a save and load."""
    original = ids_module._MERGE_AT
    ids_module._MERGE_AT = merge_at  # re-sort often, so lookups span sorted and recent keys
    try:
        table, ref = IdTable(), _Reference()
        for batch in batches:
            table.extend(batch)
            for pid in batch:
                ref.append(pid)
        ids = [pid for batch in batches for pid in batch]
        probes = [*ids, "2301.99999", "hep-th/9999999", "nothing"]
        _same(table, ref, probes)
        _same(IdTable.load(table.to_array(), table.other()), ref, probes)
        _same(IdTable.of(ref.ids), ref, probes)
    finally:
        ids_module._MERGE_AT = original


def test_the_table_holds_ids_in_a_fraction_of_what_the_list_and_dict_took() -> None:
    """~24 bytes an id (its key, the sorted key and row); the list and dict took ~150."""
    ids = [f"{2301 + i // 90000:04d}.{i % 90000:05d}" for i in range(200_000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        table = IdTable.of(ids)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held <= 40 * len(ids)
    assert table.rows_of(["2302.00007"]) == [90_007] and table.ids_at([90_007]) == ["2302.00007"]


def _live(table: IdTable) -> list[str]:
    """Every id with a live row, in row order."""
    return [pid for pid in table.ids_at(range(table.rows)) if pid is not None]


def _index(rows: int) -> FaissIndex:
    rng = np.random.default_rng(3)
    index = FaissIndex(8)
    pids = [f"2401.{i:05d}" for i in range(rows)] + ["hep-th/0101001", "local-x"]
    index.add(pids, normalise(rng.normal(size=(len(pids), 8))))
    index.add(["2401.00003"], normalise(rng.normal(size=(1, 8))))  # re-embedded: a new row
    return index


def test_a_saved_index_comes_back_with_the_same_ids(tmp_path: Path) -> None:
    index = _index(50)
    index.save(tmp_path, "v")
    back = FaissIndex.load(tmp_path, "v")
    assert back is not None and len(back) == len(index) == 52 and back.stale == 1
    query = index.get(["2401.00003"])["2401.00003"]
    assert back.search(query, 5) == index.search(query, 5)
    assert back.search(query, 1)[0][0] == "2401.00003"
    assert set(back.get(["local-x", "hep-th/0101001", "2401.99999"])) == {
        "local-x",
        "hep-th/0101001",
    }


def test_an_index_saved_with_its_ids_in_the_json_still_loads(tmp_path: Path) -> None:
    index = _index(20)
    index.save(tmp_path, "v")
    _to_earlier_format(tmp_path, "v")
    back = FaissIndex.load(tmp_path, "v")
    assert back is not None and _live(back._ids) == _live(index._ids)
    assert back.outdated and not index.outdated


@pytest.mark.parametrize("damage", ["other keys", "truncated", "missing"])
def test_a_keys_file_that_does_not_match_its_json_is_no_index(tmp_path: Path, damage: str) -> None:
    """A save cut short between its files is built again, not served with the wrong ids."""
    _index(20).save(tmp_path, "v")
    keys_file = tmp_path / "v.keys.npy"
    if damage == "other keys":
        keys = np.load(keys_file)
        keys[[0, 1]] = keys[[1, 0]]
        np.save(keys_file, keys)
    elif damage == "truncated":
        keys_file.write_bytes(keys_file.read_bytes()[:-16])
    else:
        keys_file.unlink()
    assert FaissIndex.load(tmp_path, "v") is None


def _to_earlier_format(folder: Path, name: str) -> None:
    """Rewrite a saved index as the format before the keys file: every row's id in the JSON."""
    meta = json.loads((folder / f"{name}.json").read_text())
    table = FaissIndex.load(folder, name)
    assert table is not None
    meta["ids"] = table._ids.ids_at(range(table._ids.rows))
    for key in ("rows", "keys_crc", "other"):
        del meta[key]
    (folder / f"{name}.keys.npy").unlink()
    (folder / f"{name}.json").write_text(json.dumps(meta))


def test_a_service_saves_an_index_of_the_earlier_format_again(
    settings: Settings, engine: Engine
) -> None:
    """After the upgrade the first refresh writes the compact format, once; searches agree."""
    fast = settings.model_copy(update={"embed_model": "static", "search_refresh_seconds": 3600})
    listing = next(p for p in demo_files()[0] if p.name.startswith("2026-06-25"))
    assert not ingest_files(engine, fast, "listing", [listing])[1]
    embed_papers(fast, engine)
    first = SearchService(fast, engine)
    first.refresh()
    expected = [h.id for h in first.search("language models", mode="semantic", limit=10).hits]
    first.close()
    folder = fast.index_dir / "vectors"
    (name,) = [p.name.removesuffix(".json") for p in folder.glob("*.json")]
    _to_earlier_format(folder, name)

    again = SearchService(fast, engine)
    again.refresh()
    assert (folder / f"{name}.keys.npy").exists()
    saved = json.loads((folder / f"{name}.json").read_text())
    keys = np.load(folder / f"{name}.keys.npy")
    assert saved["ids"] == [] and saved["rows"] == len(keys) > 0 and keys.all()
    assert [h.id for h in again.search("language models", mode="semantic", limit=10).hits] == (
        expected
    )
    assert expected and not list(folder.glob("*.tmp"))
    again.close()


def test_get_after_a_search_gives_the_vector_of_a_paper_re_embedded_since() -> None:
    """A search remembers its hits' rows for `get`; adding vectors forgets them."""
    index = _index(30)
    pid = "2401.00007"
    before = index.get([pid])[pid]
    assert index.search(before, 3)[0][0] == pid  # its row is remembered now
    fresh = normalise(np.random.default_rng(9).normal(size=(1, 8)))
    index.add([pid], fresh)
    assert np.allclose(index.get([pid])[pid], fresh[0], atol=2e-3)
    assert not np.allclose(before, fresh[0], atol=2e-3)


def test_a_save_removes_what_a_killed_save_left_and_keeps_a_live_one(tmp_path: Path) -> None:
    """Temporary files of a process that is gone are removed; another worker's are kept."""
    index = _index(10)
    dead_pid = _exited_pid()
    left = [tmp_path / f"v.{suffix}.{dead_pid}.tmp" for suffix in ("faiss", "keys.npy", "json")]
    live = tmp_path / f"v.faiss.{os.getppid()}.tmp"  # a running process mid-save
    for path in [*left, live]:
        path.write_bytes(b"partial")
    index.save(tmp_path, "v")
    assert not any(path.exists() for path in left) and live.exists()
    assert FaissIndex.load(tmp_path, "v") is not None


def _exited_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid
