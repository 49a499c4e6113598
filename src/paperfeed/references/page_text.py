"""Text copied from a web page listing papers (a workshop's accepted papers, a reading group's
list), pasted or saved as a .txt file: numbered lines ("12. Title. Author A, Author B"), blocks
of a title line, an authors line and a link line, and Markdown tables. Each paper is read by its
title, with its authors' family names (a match by title is checked against them) and the arXiv
id where the text gives one."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from paperfeed.models import normalise_title
from paperfeed.references.id_list import COMMENT, identifier
from paperfeed.references.identifiers import NEW_ID, find_arxiv_id
from paperfeed.references.model import Parsed, Reference, UnreadableFile
from paperfeed.references.names import family_name

# A title of fewer words than this matches by title only beside its authors: a page's headings
# ("Accepted Papers", "Poster Session 2") and short real titles ("Active Data", "VGGT") read alike.
MIN_TITLE_WORDS = 4
_BARE_ID = re.compile(rf"\b{NEW_ID}\b")
_MAX_LINE = 2000  # a line of a listing is a title and its authors, not a paragraph
# A page of a thousand papers' titles and authors is a fifth of this; each line costs a
# millisecond or so to read, so a 25 MB file read as a page would hold a worker for minutes.
PAGE_TEXT_MAX = 1_000_000
_SNIFF = 100_000  # what is read of a text to tell a page from another format
_MAX_BREAKS = 8  # where a line's title may end: a title has few full stops, dashes or bars
# A list item's number or bullet: "12. ", "12) ", "[12] ", "#12: ", "- ", "* ", "• "
_NUMBER = re.compile(r"^(?:[-*•·]\s+|\[?#?\d{1,4}[.)\]:]\s+)")
_MD_LINK = re.compile(r"!?\[([^\[\]]*)\]\(([^()\s]*)\)")  # [text](url): the text; the url for ids
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
# Links as a page's text shows them once their addresses are gone: [arXiv] [PDF] (code) …
_LINK_WORD = r"arxiv|pdf|paper|code|project|poster|slides|video|openreview|link|website|github"
_LINK_WORDS = re.compile(rf"[\[(]\s*(?:{_LINK_WORD})\s*[\])]", re.I)
_LINK_LINE = re.compile(rf"^(?:(?:{_LINK_WORD})\b[\s|/·,]*)+$", re.I)
_ARXIV_REF = re.compile(r"\barxiv\s*:\s*\S+", re.I)
# Where a line's title ends and its authors begin: a full stop, a dash, a bar, a tab
_BREAK = re.compile(r"(?<=[^\s.]{2})\.\s+|(?<=[?!])\s+|\s+[-–—|]\s+|\t+")
_NAME_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&|·)\s*")
_MARKS = re.compile(r"[*†‡§¶∗#⋆✉\d¹²³⁴⁵⁶⁷⁸⁹⁰]+|\([^()]*\)|\bet al\b")  # marks, affiliations
# Words of titles that no name has: "A Survey of Graphs" is not an author
_TITLE_WORDS = frozenset(
    {"a", "an", "the", "of", "for", "with", "on", "in", "to", "via", "is", "are", "from", "by"}
    | {"towards", "toward", "using", "learning", "model", "models", "network", "networks"}
    | {"data", "neural", "deep", "survey", "benchmark", "language", "vision", "graph", "graphs"}
)
# A programme's headings: "Poster Session A (14:00-15:30)", "Oral 3B", "Keynote", "Coffee break"
_HEADING = re.compile(
    r"^(?:(?:oral|poster|spotlight|lightning|contributed|invited|keynote|panel|paper|morning"
    r"|afternoon)\s*(?:sessions?|talks?|presentations?|papers?|discussion)?|sessions?|keynotes?"
    r"|(?:coffee|lunch)(?:\s*break)?|break|(?:opening|closing|welcome)(?:\s*remarks)?"
    r"|(?:best paper\s*)?awards?(?:\s*ceremony)?|accepted papers|day|track"
    # a reading group's or a course's: "Week 3: Agents", "Meeting 2", "Lecture IV" (numbered)
    r"|(?:week|meeting|lecture|class|module|unit|part)(?=\s+(?:\d|[IVX]{1,4}\b)))"
    r"(?:\s+(?:[A-Z]?\d{1,2}[A-Z]?|[A-Z]|[IVX]{1,4}))?\s*(?:[-–—:]\s*)?"
    r"(?:\(?\s*\d{1,2}[:.h]\d{2}\s*(?:[ap]\.?m\.?)?\s*(?:[-–—]|to)\s*\d{1,2}[:.h]\d{2}"
    r"\s*(?:[ap]\.?m\.?)?\s*\)?)?$",
    re.I,
)
# A heading naming its session: "Oral 1: Retrieval", "Session 2 – Graph Learning"
_NAMED_HEADING = re.compile(r"^(.{1,40}?)\s*(?::|\s[-–—])\s+([^.?!]{1,120})$")
_MD_HEADING = re.compile(r"^#{1,6}\s+")  # "## Oral 1", as a page copied as Markdown has it
# Headings under which no papers are listed apart: a page's title, a break
_NO_SECTION = re.compile(r"^(?:accepted papers|(?:coffee|lunch)\b|break\b)", re.I)
_HEADS = {"title", "paper", "paper title", "papers", "name"}
_AUTHOR_HEADS = {"author", "authors", "author(s)", "speakers", "presenters"}


@dataclass(frozen=True)
class _Line:
    """What one line (or table row) gives: a title, authors, an arXiv id."""

    title: str = ""
    authors: tuple[str, ...] = ()
    arxiv_id: str | None = None
    doi: str | None = None


def read_page_text(text: str) -> Parsed:
    """The papers a pasted page lists, each by its title (and authors, and arXiv id where the
    text has one), and the lines it could not use. A link line gives the title above it its
    id, unless the page is a flat list of titles and links mixed (a title above another, a
    link below another): then each line is the paper it names. A text over `PAGE_TEXT_MAX`
    characters is refused."""
    if len(text) > PAGE_TEXT_MAX:
        raise UnreadableFile(
            f"the text is {len(text):,} characters, over the {PAGE_TEXT_MAX:,} a page's list of "
            "papers may be: import it in parts"
        )
    refs, errors = _entries(text, joined=True)
    if "\n\n" not in text.replace("\r", "").strip() and _mixed(refs):
        refs, errors = _entries(text, joined=False)
    return Parsed("pasted text", *_checked(refs, errors))


def lists_titles(text: str) -> bool:
    """Whether a list of ids also lists papers by title (a line of a title of four words or
    more, or one with its authors), to be read as a page rather than as ids (of its first
    `_SNIFF` characters: a page's first lines show what it is)."""
    # a list's comment lines ("# to read this week") are no titles: the list reads them so too
    kept = "\n".join(
        "" if line.strip().startswith(COMMENT) else line for line in text[:_SNIFF].splitlines()
    )
    return any(
        not r.arxiv_id and not r.doi and (r.authors or _words(r.title) >= MIN_TITLE_WORDS)
        for r in _entries(kept, joined=False)[0]
    )


def _mixed(refs: list[Reference]) -> bool:
    """Whether links and titles were joined where some titles have no link and some links no
    title: then they do not go in pairs."""
    bare = any(r.title == "" for r in refs)
    return bare and any(r.title and not (r.arxiv_id or r.doi) for r in refs)


def _entries(text: str, joined: bool) -> tuple[list[Reference], list[str]]:
    """The entries of a page's lines and table rows (a link line given to the title above it
    when `joined`), and the lines it could not use."""
    refs: list[Reference] = []
    errors: list[str] = []
    columns: tuple[int, int] | None = None
    section = ""
    last_item: int | None = None  # the indent of the last entry begun by a list marker
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or len(line) > _MAX_LINE:
            if line:
                errors.append(f"line {n}: over {_MAX_LINE} characters, not a title and authors")
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?|", c) for c in cells):
                continue
            if _header(cells) is not None:
                columns = _header(cells)
                continue
            _add(refs, n, _row(cells, columns), new=True, section=section)
            continue
        heading = _heading(line)
        if heading is not None:
            errors.append(f"line {n}: “{line}” is a heading, not a paper")
            section = section if _NO_SECTION.match(heading) else heading
            continue
        got = _read_line(line, refs)
        indent, item = len(raw) - len(raw.lstrip()), _NUMBER.match(line)
        # An item of the list (its own number, or a bullet no deeper than the item above) is
        # an entry of its own: "4. arXiv:2606.30869" after "3. Title. Authors" is paper 4.
        listed = item is not None and (
            item[0].strip()[0].isdigit() or (last_item is not None and indent <= last_item)
        )
        new = listed or (not joined and not got.title and not got.authors)
        _add(refs, n, got, new=new, section=section)
        if item is not None and (new or got.title):
            last_item = indent
    return refs, errors


def looks_like_page_text(text: str) -> bool:
    """Whether `text` reads as a page listing papers: a line with a title of a few words (a
    sentence naming a bare arXiv id is no title: "We read 2401.01234 today"); of its first
    `_SNIFF` characters."""
    titles = [r.title for r in read_page_text(text[:_SNIFF]).references]
    return any(len(normalise_title(t).split()) >= 2 and not _BARE_ID.search(t) for t in titles)


def _heading(line: str) -> str | None:
    """A programme's heading as the line gives it ("Oral 1: Retrieval"), or None when the line
    is none."""
    text = _plain(_NUMBER.sub("", _MD_HEADING.sub("", line)))
    named = _NAMED_HEADING.match(text)
    if _HEADING.match(text) or (named and _HEADING.match(named[1])):
        return text.strip(" #*_")
    return None


def _add(refs: list[Reference], n: int, got: _Line, new: bool, section: str = "") -> None:
    """Start an entry with a line's title, or give the entry before its authors or arXiv id."""
    last = refs[-1] if refs else None
    if not new and last is not None and not got.title:
        if got.authors and not last.authors:
            refs[-1] = replace(last, authors=got.authors)
            return
        if (got.arxiv_id or got.doi) and not (last.arxiv_id or last.doi):
            refs[-1] = replace(last, arxiv_id=got.arxiv_id, doi=got.doi)
            return
    if got.title or got.arxiv_id or got.doi:
        where = f"line {n}"
        refs.append(
            Reference(where, got.title, got.arxiv_id, got.doi, authors=got.authors, section=section)
        )


def _read_line(line: str, refs: list[Reference]) -> _Line:
    """A line: its arXiv id, then its title and authors (a title alone, or authors alone when
    it follows a title that has none)."""
    arxiv_id = _arxiv_id(line)
    text = _plain(_NUMBER.sub("", line))
    if not text or _LINK_LINE.match(text):
        return _Line(arxiv_id=arxiv_id)
    named = identifier(_NUMBER.sub("", line))
    if named != (None, None) and len(line.split()) == 1:  # a bare id or DOI
        return _Line(arxiv_id=named[0], doi=None if named[0] else named[1])
    last = refs[-1] if refs else None
    if last is not None and last.title and not last.authors and not _NUMBER.match(line):
        names = _names(text, strict=True)
        if names:
            return _Line(authors=names, arxiv_id=arxiv_id)
    for n, found in enumerate(_BREAK.finditer(text)):
        if n == _MAX_BREAKS:  # each try reads the rest of the line: a line of breaks is no title
            break
        names = _names(text[found.end() :], strict=False)
        if names:
            return _Line(text[: found.start()].strip(" .,:"), names, arxiv_id)
    return _Line(text.strip(" ."), (), arxiv_id)


def _row(cells: list[str], columns: tuple[int, int] | None) -> _Line:
    """A Markdown table's row: the title column's cell (else the first cell that is neither a
    number, a link nor names), the authors column's, and an arXiv id from any cell."""
    arxiv_id = next((i for i in map(_arxiv_id, cells) if i), None)
    plain = [_plain(c) for c in cells]
    if columns is not None:
        at, by = columns
        title = plain[at] if at < len(plain) else ""
        names = _names(plain[by], strict=False) if 0 <= by < len(plain) else ()
        return _Line(title, names, arxiv_id)
    texts = [c for c in plain if c and not c.isdigit() and not _LINK_LINE.match(c)]
    title = next((c for c in texts if not _names(c, strict=True)), "")
    names = next((_names(c, strict=True) for c in texts if c != title), ())
    return _Line(title, names, arxiv_id)


def _header(cells: list[str]) -> tuple[int, int] | None:
    """A table header's title and authors columns (-1: none), or None when the row is no header."""
    heads = [c.strip("*_ ").lower() for c in cells]
    at = next((i for i, h in enumerate(heads) if h in _HEADS), None)
    if at is None:
        return None
    return at, next((i for i, h in enumerate(heads) if h in _AUTHOR_HEADS), -1)


def _arxiv_id(text: str) -> str | None:
    """The arXiv id a line's link, address or "arXiv:" reference gives."""
    found = [url for _t, url in _MD_LINK.findall(text)] + _URL.findall(text)
    return find_arxiv_id(*found, *_ARXIV_REF.findall(text))


def _plain(text: str) -> str:
    """A line's words: links to their text, addresses, link words and emphasis left out."""
    text = _MD_LINK.sub(lambda m: m[1], text)
    text = _LINK_WORDS.sub(" ", _ARXIV_REF.sub(" ", _URL.sub(" ", text)))
    return " ".join(text.replace("**", "").replace("__", "").split()).strip(" |")


def _names(text: str, strict: bool) -> tuple[str, ...]:
    """The family names a list of authors gives, or () when `text` is not one: each part one to
    five capitalised words (particles aside), no digits but footnote marks; `strict`: of more
    than one name, or of one name with an initial (a title of two or three capitalised words
    reads like a name)."""
    parts = [_MARKS.sub(" ", p).strip(" .") for p in _NAME_SPLIT.split(text.strip(" ."))]
    parts = [" ".join(p.split()) for p in parts if p.strip()]
    if not parts or not all(_is_name(p) for p in parts):
        return ()
    if strict and len(parts) < 2 and not re.search(r"\b[A-Z]\.", text):
        return ()
    return tuple(family_name(p) for p in parts)


def _is_name(part: str) -> bool:
    """Whether a part of a list reads as one person's name: two to five words, most of them
    capitalised, none a digit or a word of titles."""
    words = part.split()
    if not 2 <= len(words) <= 5 or any(ch.isdigit() for ch in part):
        return False
    if any(w.lower() in _TITLE_WORDS for w in words):
        return False
    capitalised = [w for w in words if w[0].isalpha() and not w[0].islower()]
    return len(capitalised) >= max(2, len(words) - 2)


def _checked(refs: list[Reference], errors: list[str]) -> tuple[list[Reference], list[str]]:
    """The entries that may be matched; a short title with neither authors nor an arXiv id is
    reported, as too short to match by title alone."""
    kept: list[Reference] = []
    for ref in refs:
        if ref.arxiv_id or ref.doi or ref.authors or _words(ref.title) >= MIN_TITLE_WORDS:
            kept.append(ref)
        else:
            errors.append(
                f"{ref.where}: “{ref.title}” is too short a title to match without its authors"
            )
    return kept, errors


def _words(title: str) -> int:
    return len(normalise_title(title).split())
