"""Paper ids as numbers: new-style arXiv ids fit a u64, which the indexes keep instead of strings.

At a million papers a Python list and dict of id strings take ~150 MB; the same table as arrays
of u64 keys takes ~25 MB. Ids that are not new-style arXiv ids (old-style, local) are few and
stay strings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_KEYED = 1 << 62  # set on every encoded id: 0 (or a missing value) means "no key"
_MERGE_AT = 4096  # rows added since the sorted view was built, before it is built again


def id_key(paper_id: str) -> int:
    """A new-style arXiv id (YYMM.NNNN or YYMM.NNNNN) as a number; 0 for any other id."""
    if not (9 <= len(paper_id) <= 10 and paper_id[4] == "." and paper_id.isascii()):
        return 0
    yymm, number = paper_id[:4], paper_id[5:]
    if not (yymm.isdigit() and number.isdigit()):
        return 0
    return _KEYED | (len(number) == 5) << 40 | int(yymm) << 20 | int(number)


def key_id(key: int | None) -> str | None:
    """The id `id_key` encoded, or None when the key holds none."""
    if not key or not key & _KEYED:
        return None
    yymm, number = key >> 20 & 0xFFFF, key & 0xFFFFF
    return f"{yymm:04d}.{number:05d}" if key >> 40 & 1 else f"{yymm:04d}.{number:04d}"


class IdTable:
    """The paper id of each row of an index and the live row of each id, rows only appended.

    A paper added again gets a new row; its old row holds no id from then on (`None`). Not
    thread-safe: its owner locks.
    """

    def __init__(self) -> None:
        self._keys = np.zeros(1024, dtype=np.uint64)  # per row: id_key, 0 for none or other
        self._rows = 0
        self._other: dict[int, str] = {}  # row -> id, for live ids without a key
        self._other_row: dict[str, int] = {}
        self._sorted_keys = np.zeros(0, dtype=np.uint64)  # live keys, sorted
        self._sorted_rows = np.zeros(0, dtype=np.int64)  # their rows
        self._recent: dict[int, int] = {}  # key -> row for keys added since the sort
        self._live = 0

    @classmethod
    def of(cls, ids: Sequence[str | None]) -> IdTable:
        """A table whose row i holds ids[i] (None: a row that holds no id; each id once)."""
        keys = np.fromiter((id_key(pid) if pid else 0 for pid in ids), np.uint64, len(ids))
        other = {row: pid for row, pid in enumerate(ids) if pid and not keys[row]}
        return cls.load(keys, other)

    @property
    def rows(self) -> int:
        """Rows in all, including those of replaced ids."""
        return self._rows

    def __len__(self) -> int:
        """Ids with a live row."""
        return self._live

    def rows_of(self, paper_ids: Sequence[str]) -> list[int | None]:
        """The live row of each id, or None, looked up together."""
        keys = np.fromiter((id_key(pid) for pid in paper_ids), np.uint64, len(paper_ids))
        rows = np.full(len(keys), -1, dtype=np.int64)
        if len(self._sorted_keys):
            at = np.minimum(np.searchsorted(self._sorted_keys, keys), len(self._sorted_keys) - 1)
            found = self._sorted_rows[at]
            live = (self._sorted_keys[at] == keys) & (self._keys[found] == keys) & (keys != 0)
            rows[live] = found[live]
        out: list[int | None] = [row if row >= 0 else None for row in rows.tolist()]
        for i, (pid, key) in enumerate(zip(paper_ids, keys.tolist(), strict=True)):
            if not key:
                out[i] = self._other_row.get(pid)
            elif key in self._recent:
                out[i] = self._recent[key]
        return out

    def ids_at(self, rows: Sequence[int] | np.ndarray) -> list[str | None]:
        """The id each row holds: None for a replaced row, or one out of range (faiss gives -1
        for no hit)."""
        keys, count = self._keys, self._rows
        out: list[str | None] = []
        for row in rows.tolist() if isinstance(rows, np.ndarray) else rows:
            inside = 0 <= row < count
            out.append(key_id(int(keys[row])) or self._other.get(row) if inside else None)
        return out

    def extend(self, paper_ids: Sequence[str]) -> None:
        """Give each id the next row, in order; an id's earlier row then holds None."""
        if len(set(paper_ids)) != len(paper_ids):  # an id twice: its last row is the live one
            for pid in paper_ids:
                self.extend([pid])
            return
        rows = range(self._rows, self._rows + len(paper_ids))
        olds = self.rows_of(paper_ids)
        self._grow(len(paper_ids))
        self._rows += len(paper_ids)
        for row, pid, old in zip(rows, paper_ids, olds, strict=True):
            if old is None:
                self._live += 1
            else:
                self._keys[old] = 0
                self._other.pop(old, None)
            key = id_key(pid)
            if key:
                self._keys[row] = key
                self._recent[key] = row
            else:
                self._other[row] = pid
                self._other_row[pid] = row
        # Sorting again once the recent ids are an eighth of the sorted ones: a store's first
        # build of a million ids sorts a few dozen times, not once per few thousand ids.
        if len(self._recent) >= max(_MERGE_AT, len(self._sorted_keys) // 8):
            self._merge()

    def to_array(self) -> np.ndarray:
        """The per-row keys (a copy), for saving beside `other`."""
        return self._keys[: self._rows].copy()

    def other(self) -> dict[int, str]:
        """Live rows whose ids have no key, for saving."""
        return dict(self._other)

    @classmethod
    def load(cls, keys: np.ndarray, other: dict[int, str]) -> IdTable:
        """A table from `to_array` and `other`."""
        table = cls()
        table._keys = np.array(keys, dtype=np.uint64)
        table._rows = len(table._keys)
        table._other = {int(row): pid for row, pid in other.items()}
        table._other_row = {pid: row for row, pid in table._other.items()}
        table._merge()
        table._live = len(table._sorted_keys) + len(table._other)
        return table

    def _grow(self, more: int) -> None:
        if self._rows + more > len(self._keys):
            bigger = np.zeros(max(2 * len(self._keys), self._rows + more), dtype=np.uint64)
            bigger[: self._rows] = self._keys[: self._rows]
            self._keys = bigger

    def _merge(self) -> None:
        """Sort the live keys again, folding in the recent ones."""
        keys = self._keys[: self._rows]
        rows = np.flatnonzero(keys)
        order = np.argsort(keys[rows], kind="stable")
        self._sorted_keys, self._sorted_rows = keys[rows][order], rows[order].astype(np.int64)
        self._recent = {}
