"""Daily arXiv listing files (JSON lines named YYYY-MM-DD.jsonl[.gz])."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from paperfeed.arxiv_ids import new_that_day, parse_arxiv_id
from paperfeed.ingest.code_links import find_code_links
from paperfeed.ingest.files import json_value, numbered_lines
from paperfeed.ingest.run import RECORD_FAULTS, Item, ReadCheckpoint
from paperfeed.models import Paper, RecordError, clean_text, is_withdrawn

_DAY_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def listing_day(path: Path) -> date | None:
    """The listing day a file's name carries, if any."""
    match = _DAY_IN_NAME.search(path.name)
    try:
        return date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


@dataclass
class ListingSource:
    """One daily listing file; its name's date is the papers' listing date."""

    path: Path
    day: date | None = None
    name: str = "listing"

    def items(self, read_checkpoint: ReadCheckpoint) -> Iterator[Item]:
        """Yield one Paper (or RecordError) per JSON line."""
        day = self.day or listing_day(self.path)
        for entry in numbered_lines(self.path, self.name, read_checkpoint):
            if not isinstance(entry, tuple):
                yield entry
            elif entry[1].strip():
                yield _parse_line(entry[1], f"{self.path}:{entry[0]}", day)


def _parse_line(line: str | bytes, where: str, day: date | None) -> Paper | RecordError:
    try:
        return paper_from_listing(json_value(line), day)
    except RECORD_FAULTS as exc:
        return RecordError(where, str(exc))


def paper_from_listing(r: object, day: date | None) -> Paper:
    """Build a Paper from one listing record."""
    if not isinstance(r, dict):
        raise ValueError("a JSON object was expected")
    pid, version = parse_arxiv_id(_str(r, "id"))
    title = clean_text(_str(r, "title"))
    if not title:
        raise ValueError("missing field 'title'")
    abstract = clean_text(_opt_str(r, "summary"))
    comment = clean_text(_opt_str(r, "comment")) or None
    return Paper(
        id=pid,
        version=version,
        title=title,
        abstract=abstract,
        authors=tuple(clean_text(a) for a in _str_list(r, "authors") if a.strip()),
        categories=tuple(_str_list(r, "categories")),
        comments=comment,
        code_links=find_code_links(abstract, comment),
        source="listing",
        listing_date=day if day and new_that_day(pid, day) else None,
        # Without versions, the listing day orders re-listings: a later one is newer.
        updated=datetime.combine(day, time()) if day else None,
        withdrawn=is_withdrawn(comment, abstract),
    )


def _str(r: dict, key: str) -> str:  # type: ignore[type-arg]
    value = r.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"missing or non-string field {key!r}")
    return value


def _opt_str(r: dict, key: str) -> str:  # type: ignore[type-arg]
    value = r.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"field {key!r} should be a string")
    return value or ""


def _str_list(r: dict, key: str) -> list[str]:  # type: ignore[type-arg]
    value = r.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"field {key!r} should be a list of strings")
    return value
