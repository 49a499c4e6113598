"""The vector index: faiss over stored paper vectors, exact for small stores, HNSW for large ones.

Like the keyword index it is a cache of the store: built from stored vectors, saved beside the
keyword index, and brought up to date from the vectors' `embedded_at` times.
"""

from __future__ import annotations

import json
import os
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import faiss
import numpy as np

from paperfeed.search.embed import Calibration
from paperfeed.search.ids import IdTable
from paperfeed.search.progress import Progress

_CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
HNSW_M = 32
_FOUND_KEPT = 8192  # rows of recent search hits kept for `get`
HNSW_EF_CONSTRUCTION = 64
# Wide search: paper vectors have many near-ties (the 10th and 20th best often differ by
# 0.005 in cosine), and recall@10 >= 0.95 against exact search needs ~1600 candidates for the
# static model at 75 k papers (MiniLM at 1 M: 800; see `MINILM_CALIBRATION`).
HNSW_EF_SEARCH = Calibration().hnsw_ef_search  # each model's own width comes with its embedder


def _make(kind: str, dim: int, ef_search: int) -> faiss.Index:
    if kind == "flat":
        return faiss.IndexFlatIP(dim)
    # fp16 storage: half the memory of float32, and it is what the store keeps anyway. The graph
    # uses L2, a true metric: on unit vectors it ranks exactly as the inner product does, and
    # it gave clearly better recall than an inner-product graph (bench/RESULTS.md, Search).
    index = faiss.IndexHNSWSQ(
        dim,
        faiss.ScalarQuantizer.QT_fp16,  # type: ignore[arg-type]
        HNSW_M,
        faiss.METRIC_L2,
    )
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = ef_search
    return index


class FaissIndex:
    """A faiss index plus the paper id of each row; a re-embedded paper gets a new row."""

    def __init__(self, dim: int, kind: str = "flat", ef_search: int = HNSW_EF_SEARCH) -> None:
        self.dim, self.kind = dim, kind
        self._index = _make(kind, dim, ef_search)
        self._ids = IdTable()
        self._found: dict[str, int] = {}  # rows of recent search hits: `get` of them is cheap
        self._source: BinaryIO | None = None  # the saved file the index is mapped from, if any
        self._lock = threading.RLock()
        self.progress = Progress()  # how far it has read the store
        self.outdated = False  # read from an earlier file format: worth saving again
        self.unsaved = 0  # rows added since the index was loaded or last saved

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def stale(self) -> int:
        """Rows that belong to an older vector of a re-embedded paper."""
        return self._ids.rows - len(self._ids)

    def add(self, ids: Sequence[str], vectors: np.ndarray) -> int:
        """Add or replace vectors; returns how many rows were added (unchanged ones are skipped)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with self._lock:
            keep = self._changed(ids, vectors)
            if not keep:
                return 0
            self._ids.extend([ids[i] for i in keep])
            self._found = {}
            self._own()
            faiss.omp_set_num_threads(_CPUS)  # building parallelises well
            self._index.add(vectors[keep])
            self.unsaved += len(keep)
        return len(keep)

    @property
    def mapped(self) -> bool:
        """Whether the index is read from its saved file's pages (shared, reclaimable) instead
        of a copy in this process's memory."""
        return self._source is not None

    def _own(self) -> None:
        """Read a mapped index into memory: faiss cannot add to a mapped one (it aborts)."""
        if self._source is None:
            return
        ef_search = self._index.hnsw.efSearch if self.kind == "hnsw" else 0  # type: ignore[attr-defined]
        self._source.seek(0)
        reader = faiss.PyCallbackIOReader(self._source.read)  # type: ignore[attr-defined]  # not in the stubs
        self._index = faiss.read_index(reader)
        self._source.close()
        self._source = None
        if self.kind == "hnsw":
            self._index.hnsw.efSearch = ef_search  # type: ignore[attr-defined]

    def _changed(self, ids: Sequence[str], vectors: np.ndarray) -> list[int]:
        rows = dict(zip(ids, self._ids.rows_of(ids), strict=True))
        known = {pid: row for pid, row in rows.items() if row is not None}
        if not known:
            return list(range(len(ids)))
        old = self._reconstruct(list(known.values()))
        where = {pid: i for i, pid in enumerate(ids)}
        same = {
            pid
            for pid, vec in zip(known, old, strict=True)
            if np.allclose(vec, vectors[where[pid]], atol=2e-3)
        }
        return [i for i, pid in enumerate(ids) if pid not in same]

    def _reconstruct(self, rows: Sequence[int]) -> np.ndarray:
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        found: np.ndarray = self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        return found

    def search(
        self, query: np.ndarray, k: int, width: int | None = None
    ) -> list[tuple[str, float]]:
        """The k nearest papers to a query vector, best first; `width`: an HNSW efSearch for
        this search instead of the index's own."""
        if k <= 0 or not len(self._ids):
            return []
        params = None
        if width and self.kind == "hnsw":
            params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            params.efSearch = width
        with self._lock:
            fetch = min(self._ids.rows, k + self.stale)
            # One query on one thread: OpenMP spinning on a busy 2-core box is far slower.
            faiss.omp_set_num_threads(1)
            scores, rows = self._index.search(_as_matrix(query), fetch, params=params)
            out: list[tuple[str, float]] = []
            if len(self._found) > _FOUND_KEPT:
                self._found = {}
            for score, row, pid in zip(scores[0], rows[0], self._ids.ids_at(rows[0]), strict=True):
                if pid is not None:
                    self._found[pid] = int(row)
                    out.append((pid, self._similarity(float(score))))
        return out[:k]

    def _similarity(self, score: float) -> float:
        # The HNSW graph returns squared L2 distances; on unit vectors cosine = 1 - d^2 / 2.
        return 1.0 - score / 2.0 if self.kind == "hnsw" else score

    def get(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The indexed vectors of these papers (missing ones left out)."""
        found, matrix = self.matrix_of(ids)
        return {pid: matrix[i] for i, pid in enumerate(found)}

    def matrix_of(self, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The papers of these that are indexed, and their vectors as the rows of one matrix
        (in that order): many papers' vectors without a dictionary of rows."""
        with self._lock:
            rows = {pid: self._found.get(pid) for pid in ids}
            rest = [pid for pid, row in rows.items() if row is None]
            rows.update(zip(rest, self._ids.rows_of(rest), strict=True))
            found = [pid for pid, row in rows.items() if row is not None]
            matrix = self._reconstruct([rows[pid] for pid in found])  # type: ignore[misc]
        return found, matrix

    def save(self, folder: Path, name: str) -> None:
        """Write the index and its id table; a reader sees the old set or the new one.

        The id table's keys go to a `.keys.npy` file whose checksum the JSON (written last)
        holds, so a save cut short between files is seen as no index and built again.
        """
        folder.mkdir(parents=True, exist_ok=True)
        _sweep(folder, name)
        tmp = f"{os.getpid()}.tmp"  # each worker its own: two saving at once never share a file
        with self._lock:
            faiss.write_index(self._index, str(folder / f"{name}.faiss.{tmp}"))
            keys = self._ids.to_array()
            with (folder / f"{name}.keys.npy.{tmp}").open("wb") as out:
                np.save(out, keys)
            meta = {
                "kind": self.kind,
                "dim": self.dim,
                "rows": int(len(keys)),
                "keys_crc": zlib.crc32(keys.tobytes()),
                "other": {str(row): pid for row, pid in self._ids.other().items()},
                # Where earlier versions read every row's id: one reading this file finds none
                # for the index's rows and builds the index again instead of failing.
                "ids": [],
                "progress": self.progress.to_json(),
            }
            (folder / f"{name}.json.{tmp}").write_text(json.dumps(meta))
            self.outdated, self.unsaved = False, 0
            self._map(folder / f"{name}.faiss.{tmp}")  # the file as written, whatever replaces it
        for suffix in ("faiss", "keys.npy", "json"):
            (folder / f"{name}.{suffix}.{tmp}").replace(folder / f"{name}.{suffix}")

    def _map(self, path: Path) -> None:
        """Search the saved file's pages instead of this process's copy of them."""
        index, source = _read_mapped(path)
        if index.ntotal != self._index.ntotal:
            source.close()
            return
        if self.kind == "hnsw":
            index.hnsw.efSearch = self._index.hnsw.efSearch  # type: ignore[attr-defined]
        if self._source is not None:
            self._source.close()
        self._index, self._source = index, source

    @classmethod
    def load(cls, folder: Path, name: str, ef_search: int = HNSW_EF_SEARCH) -> FaissIndex | None:
        """A saved index, or None when there is none (or it is unreadable or torn); it is
        memory-mapped until vectors are added to it."""
        try:
            meta = json.loads((folder / f"{name}.json").read_text())
            index, source = _read_mapped(folder / f"{name}.faiss")
            ids = _load_ids(folder, name, meta)
        except (OSError, ValueError, RuntimeError, KeyError, TypeError):
            return None
        if ids is None or index.ntotal != ids.rows:
            source.close()
            return None
        out = cls(int(meta["dim"]), str(meta["kind"]), ef_search)
        out._index, out._ids, out._source = index, ids, source
        out.progress = Progress.from_json(meta.get("progress"))
        out.outdated = "keys_crc" not in meta
        if out.kind == "hnsw":
            index.hnsw.efSearch = ef_search  # type: ignore[attr-defined]
        return out


def _read_mapped(path: Path) -> tuple[faiss.Index, BinaryIO]:
    """A saved index whose vectors and graph stay in the file's pages, mapped read-only: the
    page cache, shared by every worker and given back under memory pressure, instead of a copy
    in each process (~1 GB at 1 M papers). The open file is the inode mapped (a save renames a
    new file over the path), kept to read the index into memory when it is added to."""
    source = path.open("rb")
    try:
        mapped = Path(f"/proc/self/fd/{source.fileno()}")
        index = faiss.read_index(str(mapped if mapped.exists() else path), faiss.IO_FLAG_MMAP_IFC)
    except BaseException:
        source.close()
        raise
    return index, source


def _sweep(folder: Path, name: str) -> None:
    """Remove the temporary files of saves whose process is gone (killed mid-save)."""
    for path in folder.glob(f"{name}.*.tmp"):
        pid = path.name.removesuffix(".tmp").rpartition(".")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _load_ids(folder: Path, name: str, meta: dict[str, object]) -> IdTable | None:
    """The saved id table: the keys file checked against the JSON's checksum (or, from an
    index saved before the keys file, the JSON's list of ids)."""
    if "keys_crc" not in meta:  # the earlier format: every row's id in the JSON
        return IdTable.of(meta["ids"])  # type: ignore[arg-type]
    keys = np.load(folder / f"{name}.keys.npy", allow_pickle=False)
    if len(keys) != meta["rows"] or zlib.crc32(keys.tobytes()) != meta["keys_crc"]:
        return None
    other = meta["other"]
    assert isinstance(other, dict)
    return IdTable.load(keys, {int(row): str(pid) for row, pid in other.items()})


def exact_search(matrix: np.ndarray, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Brute-force inner-product top-k over a matrix: the reference the ANN index is held to."""
    scores = matrix @ np.asarray(query, dtype=np.float32).reshape(-1)
    k = min(k, len(scores))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top])]
    return [(int(i), float(scores[i])) for i in top]


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    unit: np.ndarray = matrix / np.maximum(norms, 1e-12)
    return unit


def _as_matrix(query: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, -1))
