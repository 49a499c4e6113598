"""Small helpers every layer shares (time, dates, chunks, disk full); imports nothing of ours."""

from __future__ import annotations

import errno
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import TypeVar

T = TypeVar("T")


class BadDate(ValueError):
    """A date string in none of the expected forms."""


def utcnow() -> datetime:
    """The current UTC time as the naive datetime the store keeps."""
    return datetime.now(UTC).replace(tzinfo=None)


def iso(value: date | None) -> str | None:
    """ISO 8601 text of a date or datetime; None stays None."""
    return value.isoformat() if value else None


def parse_day(value: str) -> date:
    """Parse a YYYY-MM-DD day."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadDate(f"bad day {value!r:.40}, expected YYYY-MM-DD") from exc


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items (keeps SQL parameter lists bounded)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


_SQLITE_FULL = 13  # sqlite3.SQLITE_FULL: "database or disk is full"
_PG_DISK_FULL = "53100"  # PostgreSQL's SQLSTATE disk_full (psycopg.errors.DiskFull)
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


class DiskFull(OSError):
    """A write failed because the disk (or a quota, or the store's size limit) is full."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.ENOSPC, message)


def is_disk_full(exc: BaseException | None) -> bool:
    """True when `exc`, or an error it wraps or was raised from, says the disk is full.

    Recognises SQLite's SQLITE_FULL, PostgreSQL's SQLSTATE 53100 and OSError ENOSPC or EDQUOT,
    through SQLAlchemy's `orig` and exception chains.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if _says_full(exc):
            return True
        orig = getattr(exc, "orig", None)
        if isinstance(orig, BaseException) and _says_full(orig):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _says_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
        return True
    if getattr(exc, "sqlite_errorcode", None) == _SQLITE_FULL:
        return True
    return getattr(exc, "sqlstate", None) == _PG_DISK_FULL
