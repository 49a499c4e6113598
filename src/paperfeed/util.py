"""Small helpers every layer shares (time, ISO dates, chunking); imports nothing of ours."""

from __future__ import annotations

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
