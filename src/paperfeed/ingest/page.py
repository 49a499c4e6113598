"""Plain title/abstract listings (a copied page): match titles to stored papers, else add locals."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from paperfeed.ingest.code_links import find_code_links
from paperfeed.ingest.files import checkpoint_name, read_document
from paperfeed.ingest.run import Checkpoint, Item, ReadCheckpoint, SourceError
from paperfeed.models import Paper, RecordError, local_id, normalise_title
from paperfeed.store.papers import find_by_title_keys

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_HEADING = re.compile(r"^(?P<mon>[A-Z][a-z]{2})[a-z]* (?P<day>\d{1,2})(?:, (?P<year>\d{4}))?$")
_MARKUP = re.compile(r"<(!doctype|html|head|body|\?xml|div|p[ >])", re.IGNORECASE)
_BOILERPLATE = {
    "new",
    "subscribe",
    "get trending papers in your email inbox!",
    "byak and the research community",
}


@dataclass(frozen=True)
class Entry:
    """One title (and abstract, if the page has one) with the day heading above it."""

    line: int
    title: str
    abstract: str
    day: date | None


@dataclass
class PageSource:
    """A text page: date headings, then title lines each followed by an abstract paragraph."""

    path: Path
    engine: Engine
    year: int = field(default_factory=lambda: date.today().year)
    name: str = "page"

    def items(self, read_checkpoint: ReadCheckpoint) -> Iterator[Item]:
        """Yield a Paper per entry: a stored paper's id when the title matches, else a local id."""
        entries = list(parse_page(_page_text(self.path), self.year))
        with self.engine.connect() as conn:
            known = find_by_title_keys(conn, [normalise_title(e.title) for e in entries])
        for entry in entries:
            stored = known.get(normalise_title(entry.title))
            if stored is None and not entry.abstract:  # a stray line: no paper without its text
                where = f"{self.path}:{entry.line}"
                yield RecordError(where, "a title line with no abstract after it, and no stored "
                                  "paper has that title")  # fmt: skip
                continue
            yield _paper(entry, stored)
        yield Checkpoint(checkpoint_name(self.name, self.path), None)


def _page_text(path: Path) -> str:
    """The page's text; a saved HTML page or a JSON file (another kind's input) is refused:
    their lines would be stored as papers."""
    text = read_document(path)
    head = text.lstrip()[:200]
    if _MARKUP.match(head):
        raise SourceError(
            f"{path} is an HTML or XML page, not copied text: select the page's text in the "
            "browser, copy it into a file and ingest that"
        )
    if head[:1] in "[{" and head and _is_json(text):
        raise SourceError(
            f"{path} holds JSON, not a copied page: use `paperfeed ingest snapshot`, `listing` "
            "or `hf` for JSON files"
        )
    return text


def _is_json(text: str) -> bool:
    """True when the text is a JSON document or its first line a JSON object or array."""
    first = text.lstrip().split("\n", 1)[0]
    for candidate in (first, text):
        try:
            if isinstance(json.loads(candidate), dict | list):
                return True
        except ValueError:
            continue
    return False


def _paper(entry: Entry, stored_id: str | None) -> Paper:
    return Paper(
        id=stored_id or local_id(entry.title),
        title=entry.title,
        abstract=entry.abstract,
        code_links=find_code_links(entry.abstract),
        source="page",
        listing_date=entry.day,
    )


def parse_page(text: str, year: int) -> Iterator[Entry]:
    """Split a page into entries: a long paragraph after a title is that title's abstract."""
    day: date | None = None
    pending: tuple[int, str] | None = None
    for number, line in _paragraphs(text):
        heading = _heading(line, year)
        if heading or line.lower() in _BOILERPLATE:
            if heading or pending:
                yield from _emit(pending, "", day)
                pending = None
            day = heading or day
        elif pending and _is_abstract(line):
            yield Entry(pending[0], pending[1], line, day)
            pending = None
        else:
            yield from _emit(pending, "", day)
            pending = (number, line)
    yield from _emit(pending, "", day)


def _emit(pending: tuple[int, str] | None, abstract: str, day: date | None) -> Iterator[Entry]:
    if pending:
        yield Entry(pending[0], pending[1], abstract, day)


def _paragraphs(text: str) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        line = " ".join(raw.split())
        if line:
            yield number, line


def _heading(line: str, year: int) -> date | None:
    match = _HEADING.match(line)
    if not match or match.group("mon").lower() not in _MONTHS:
        return None
    month = _MONTHS.index(match.group("mon").lower()) + 1
    try:
        return date(int(match.group("year") or year), month, int(match.group("day")))
    except ValueError:
        return None


def _is_abstract(line: str) -> bool:
    # Titles are short and rarely end in a full stop; abstracts are long prose.
    return len(line) > 250 or (len(line) > 120 and line.endswith("."))
