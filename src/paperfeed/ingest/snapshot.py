"""The arXiv bulk snapshot (Kaggle `arxiv-metadata-oai-snapshot.json`), streamed line by line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from paperfeed.arxiv_ids import parse_arxiv_id
from paperfeed.ingest.code_links import find_code_links
from paperfeed.ingest.dates import BadDate, parse_date, parse_rfc822
from paperfeed.ingest.files import json_value, numbered_lines
from paperfeed.ingest.run import RECORD_FAULTS, Item, ReadCheckpoint
from paperfeed.ingest.validate import BadRecord
from paperfeed.models import Paper, RecordError, Version, clean_text, is_withdrawn, name_from_parts

_GMT = re.compile(r"[A-Za-z]{3}, (\d{1,2}) ([A-Z][a-z]{2}) ([12]\d{3}) (\d\d):(\d\d):(\d\d) GMT")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}


@dataclass
class SnapshotSource:
    """One snapshot file, plain or gzip."""

    path: Path
    name: str = "snapshot"

    def items(self, read_checkpoint: ReadCheckpoint) -> Iterator[Item]:
        """Yield one Paper (or RecordError) per JSON line."""
        for entry in numbered_lines(self.path, self.name, read_checkpoint):
            if not isinstance(entry, tuple):
                yield entry
            elif entry[1].strip():
                yield _parse_line(entry[1], f"{self.path}:{entry[0]}")


def _parse_line(line: str | bytes, where: str) -> Paper | RecordError:
    try:
        record = json_value(line)
        if not isinstance(record, dict):
            raise BadRecord("a JSON object was expected")
        return paper_from_snapshot(record)
    except RECORD_FAULTS as exc:
        return RecordError(where, str(exc))


def paper_from_snapshot(r: dict) -> Paper:  # type: ignore[type-arg]
    """Build a Paper from one snapshot record."""
    pid, _ = parse_arxiv_id(_text(r, "id", required=True))
    title = clean_text(_text(r, "title", required=True))
    abstract = clean_text(_text(r, "abstract"))
    comments = clean_text(_text(r, "comments")) or None
    vers = _versions(r.get("versions"))
    return Paper(
        id=pid,
        title=title,
        abstract=abstract,
        authors=_authors(r),
        categories=tuple(_text(r, "categories").split()),
        version=vers[-1].number if vers else None,
        versions=vers,
        published=vers[0].created if vers else None,
        updated=_date(parse_date, r.get("update_date")),
        comments=comments,
        journal_ref=clean_text(_text(r, "journal-ref")) or None,
        doi=_text(r, "doi").strip() or None,
        license=_text(r, "license").strip() or None,
        code_links=find_code_links(abstract, comments),
        source="snapshot",
        withdrawn=is_withdrawn(comments, abstract),
    )


def _text(r: dict, key: str, required: bool = False) -> str:  # type: ignore[type-arg]
    value = r.get(key)
    if value is None or value == "":
        if required:
            raise BadRecord(f"missing field {key!r}")
        return ""
    if not isinstance(value, str):
        raise BadRecord(f"field {key!r} should be a string, got {type(value).__name__}")
    return value


def _authors(r: dict) -> tuple[str, ...]:  # type: ignore[type-arg]
    parsed = r.get("authors_parsed")
    if isinstance(parsed, list) and all(isinstance(a, list) for a in parsed):
        try:  # [last, first, suffix] of strings, as arXiv writes them: "first last suffix"
            names = [name_from_parts(*a[1:2], *a[0:1], *a[2:3]) for a in parsed]
        except TypeError:  # a part that is not a string: the general form
            names = [
                name_from_parts(*(str(x) for x in a[1:2] + a[0:1] + a[2:3] if x)) for a in parsed
            ]
        return tuple(n for n in names if n)
    text = clean_text(_text(r, "authors"))
    return tuple(a.strip() for a in text.replace(" and ", ", ").split(",") if a.strip())


def _versions(raw: object) -> tuple[Version, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise BadRecord("field 'versions' should be a list")
    out = []
    for entry in raw:
        if not isinstance(entry, dict) or not str(entry.get("version", "")).startswith("v"):
            raise BadRecord(f"bad version entry {entry!r:.60}")
        try:
            number = int(str(entry["version"])[1:])
        except ValueError as exc:
            raise BadRecord(f"bad version number {entry['version']!r:.20}") from exc
        out.append(Version(number, _created(entry.get("created"))))
    return tuple(sorted(out, key=lambda v: v.number))


def _created(value: object) -> datetime | None:
    # The snapshot's own form ("Mon, 2 Apr 2007 19:18:42 GMT") without email.utils' general parser.
    match = _GMT.fullmatch(value) if isinstance(value, str) else None
    if match and match[2] in _MONTHS:
        day, month, year, hour, minute, second = match.groups()
        try:
            return datetime(
                int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second)
            )
        except ValueError:
            pass  # out-of-range fields: the general parser gives the error message
    return _date(parse_rfc822, value)  # type: ignore[no-any-return]


def _date(parse, value: object):  # type: ignore[no-untyped-def]
    try:
        return parse(value)
    except BadDate as exc:
        raise BadRecord(str(exc)) from exc
