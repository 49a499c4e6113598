"""How far a local index has read the store: a settled cursor plus the rows applied after it.

Rows are read in (stamp, id) order. A row stamped more than `SETTLE` ago is settled: a transaction
that stamped earlier rows has committed by then, so the cursor moves past it for good. Rows newer
than that stay in `recent` with the stamp applied, so a later read skips them unless they changed
again, and a transaction committed late (or stamped by a lagging clock) is still picked up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SETTLE = timedelta(minutes=5)
Cursor = tuple[datetime, str]


@dataclass
class Progress:
    """The settled cursor and the unsettled rows already applied (id -> stamp)."""

    cursor: Cursor | None = None
    recent: dict[str, datetime] = field(default_factory=dict)

    def fresh(self, rows: Iterable[tuple[str, datetime]]) -> list[int]:
        """Positions of the rows not applied yet (or changed since they were)."""
        return [i for i, (pid, stamp) in enumerate(rows) if self.recent.get(pid) != stamp]

    def advance(self, rows: Iterable[tuple[str, datetime]], now: datetime) -> bool:
        """Note these rows (read in order) as applied; settle what is old enough. True when
        that changed anything (what is saved would differ)."""
        settled_before, before = now - SETTLE, self.cursor
        changed = False
        for pid, stamp in rows:
            if stamp < settled_before:
                key = (stamp, pid)
                self.cursor = key if self.cursor is None else max(self.cursor, key)
            elif self.recent.get(pid) != stamp:
                self.recent[pid], changed = stamp, True
        if self.cursor is not None and self.cursor != before:
            # What the cursor now covers is read never again; remember only what lies after it.
            cursor, changed = self.cursor, True
            self.recent = {p: s for p, s in self.recent.items() if (s, p) > cursor}
        return changed

    @property
    def newest(self) -> datetime | None:
        """The newest stamp applied."""
        stamps = list(self.recent.values()) + ([self.cursor[0]] if self.cursor else [])
        return max(stamps, default=None)

    def to_json(self) -> dict[str, object]:
        """A JSON-able form."""
        return {
            "cursor": [self.cursor[0].isoformat(), self.cursor[1]] if self.cursor else None,
            "recent": {p: s.isoformat() for p, s in self.recent.items()},
        }

    @classmethod
    def from_json(cls, data: object) -> Progress:
        """Read `to_json`'s form back; anything unreadable starts from the beginning."""
        if not isinstance(data, dict):
            return cls()
        try:
            raw = data.get("cursor")
            cursor = (datetime.fromisoformat(raw[0]), str(raw[1])) if raw else None
            recent = {str(p): datetime.fromisoformat(s) for p, s in data["recent"].items()}
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            return cls()
        return cls(cursor, recent)


@dataclass(frozen=True)
class Build:
    """An index being built from scratch: the store's papers when it began, and how many
    are indexed so far (kept in the index's state file, read by every process and `doctor`)."""

    total: int
    done: int = 0

    @property
    def percent(self) -> int:
        """How far it got, 0-99 (100 only once it is done and no longer a build)."""
        return min(99, self.done * 100 // self.total) if self.total else 0

    def __str__(self) -> str:
        return f"{self.done:,} of {self.total:,} papers ({self.percent}%)"

    def to_json(self) -> dict[str, int]:
        """A JSON-able form."""
        return {"total": self.total, "done": self.done}

    @classmethod
    def from_json(cls, data: object) -> Build | None:
        """Read `to_json`'s form back (None: no build under way)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(int(data["total"]), int(data.get("done", 0)))
        except (KeyError, TypeError, ValueError):
            return None
