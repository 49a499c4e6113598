"""A table of papers, as a spreadsheet or another site's export writes one (comma-, tab- or
semicolon-separated): a column naming each paper (arXiv id, URL or DOI) and, where there is
one, a rating column read as 👍 / 👎 (Scholar Inbox's thumbs, arxiv-sanity's tags kept as
`id,rating`), or as stars (1 to 5, as Mendeley and Goodreads rate) that become 👍 / 👎."""

from __future__ import annotations

import csv
import re

from paperfeed.references.id_list import COMMENT, identifier
from paperfeed.references.model import Parsed, Reference

_ID_HEADS = {"id", "arxiv", "arxiv_id", "arxivid", "arxiv id", "pid", "paper", "paper_id"}
_ID_HEADS |= {"paper id", "url", "link", "doi", "identifier", "eprint"}
_RATING_HEADS = {"rating", "vote", "thumb", "thumbs", "liked", "like", "relevant", "reaction"}
_RATING_HEADS |= {"my rating", "stars", "star rating"}
_UP = {"1", "+1", "up", "👍", "like", "liked", "yes", "true", "relevant", "positive", "+"}
_UP |= {"thumbs up", "thumbs_up", "thumbsup", "thumb up"}
_DOWN = {"-1", "down", "👎", "dislike", "disliked", "no", "false", "irrelevant", "negative", "-"}
_DOWN |= {"thumbs down", "thumbs_down", "thumbsdown", "thumb down", "not relevant"}
_UNRATED = {"", "0", "none", "neutral", "unrated"}
_STARS = re.compile(r"[0-5](\.[05])?")
STAR_READING = (
    "Ratings were read as stars: 4 or 5 became 👍, 1 or 2 became 👎, "
    "and a paper with 3 stars or none was saved without a rating."
)
# An emoji's presentation selector and skin tones: 👍🏽 is 👍.
_EMOJI_MARKS = re.compile("[\ufe0f\U0001f3fb-\U0001f3ff]")


def _rows(text: str) -> list[tuple[int, str]]:
    return [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.strip().startswith(COMMENT)
    ]


def _cells(line: str, delimiter: str) -> list[str] | None:
    """A row's cells, trimmed; None when one is over the csv module's field limit (128 KB)."""
    try:
        return [c.strip() for c in next(csv.reader([line], delimiter=delimiter), [])]
    except csv.Error:  # no id or rating is so long: the row is reported, not a 500
        return None


def _head(cell: str) -> str:
    return " ".join(cell.lower().replace("-", " ").split())


def _layout(text: str) -> tuple[str, bool, int, int | None] | None:
    """How the table is laid out: its delimiter, whether its first row is a header, and its
    id and rating columns; None when `text` is not such a table."""
    rows = _rows(text)
    if not rows or any(line.lstrip().startswith("@") for _n, line in rows):
        return None
    first = rows[0][1]
    for delimiter in ",\t;":
        if delimiter not in first:
            continue
        cells = _cells(first, delimiter)
        if cells is None:
            continue
        heads = [_head(c) for c in cells]
        ids = [i for i, h in enumerate(heads) if h in _ID_HEADS]
        if ids and all(identifier(c) == (None, None) for c in cells):
            rating = next((i for i, h in enumerate(heads) if h in _RATING_HEADS), None)
            return delimiter, True, ids[0], rating
        if delimiter == ";":  # a DOI may hold a semicolon: only a header says it divides
            continue
        named = [i for i, c in enumerate(cells) if identifier(c) != (None, None)]
        if named and _mostly_named(rows, delimiter, named[0]):
            after = named[0] + 1
            rated = after < len(cells) and _rated(cells[after])
            return delimiter, False, named[0], after if rated else None
    return None


def _mostly_named(rows: list[tuple[int, str]], delimiter: str, column: int) -> bool:
    """Whether most rows name a paper in that column (as a list of ids must, a line a paper)."""
    cells = (_cells(line, delimiter) for _n, line in rows)
    named = sum(1 for c in cells if c and len(c) > column and identifier(c[column]) != (None, None))
    return named * 2 >= len(rows)


def looks_like_table(text: str) -> bool:
    """Whether `text` is a table of papers: a header naming an id column, or rows whose
    cells name papers."""
    return _layout(text) is not None


def _rating(value: str) -> int | str | None:
    """A rating cell as 1 or -1; "" when it gives none; None when it is no rating."""
    word = " ".join(_EMOJI_MARKS.sub("", value).lower().split())
    if word in _UP:
        return 1
    if word in _DOWN:
        return -1
    return "" if word in _UNRATED else None


def _rated(cell: str) -> bool:
    """Whether a cell (after a headerless table's id) gives a rating: 👍 / 👎, or stars."""
    return _rating(cell) not in ("", None) or bool(_STARS.fullmatch(cell) and float(cell) > 0)


def _star(value: str) -> int | str:
    """A star rating as 👍 (4 or more) or 👎 (1 to 2); "" for 3 stars or none (0 or blank)."""
    stars = float(value) if value else 0.0
    if stars >= 4:
        return 1
    return -1 if 1 <= stars <= 2 else ""


def _in_stars(values: list[str]) -> bool:
    """Whether a rating column holds stars (0 to 5, one of them 2 or more), not 👍 / 👎 (1, -1):
    a column of only 1s and 0s stays thumbs, as Scholar Inbox writes them."""
    given = [v for v in values if v]
    return bool(given) and all(_STARS.fullmatch(v) for v in given) and max(map(float, given)) >= 2


def read_table(text: str) -> Parsed:
    """The papers a table names, with their ratings, and the rows it could not use."""
    layout = _layout(text)
    if layout is None:
        return Parsed("table", [], ["the file is not a table of papers"])
    delimiter, header, id_col, rating_col = layout
    refs: list[Reference] = []
    errors: list[str] = []
    rows = [(n, line, _cells(line, delimiter)) for n, line in _rows(text)[1 if header else 0 :]]
    at = -1 if rating_col is None else rating_col
    stars = _in_stars([c[at] for _n, _l, c in rows if c and 0 <= at < len(c)])
    for n, line, cells in rows:
        if cells is None:
            errors.append(f"line {n}: a cell is over 128 KB (no id or rating is so long)")
            continue
        cell = cells[id_col] if id_col < len(cells) else ""
        arxiv, doi = identifier(cell) if cell else (None, None)
        value = cells[rating_col] if rating_col is not None and rating_col < len(cells) else ""
        rating = _star(value) if stars else _rating(value)
        if not (arxiv or doi):
            shown = line if len(line) <= 60 else line[:60] + "…"
            errors.append(f"line {n}: {shown!r} holds no arXiv id, arXiv URL or DOI")
        elif rating is None:
            shown = value if len(value) <= 20 else value[:20] + "…"
            errors.append(
                f"line {n}: the rating {shown!r} is neither 👍 nor 👎 (1 or -1, up or down)"
            )
        else:
            where, doi = f"line {n}", None if arxiv else doi
            rated = rating if isinstance(rating, int) else None
            refs.append(Reference(where, arxiv_id=arxiv, doi=doi, rating=rated))
    kind = "table of ratings" if rating_col is not None else "table"
    return Parsed(kind, refs, errors, STAR_READING if stars else "")
