"""Reference-manager files: read BibTeX, RIS and CSL-JSON exports; write them for a list of papers.

Reading keeps what matching needs (arXiv id, DOI, title; authors' family names and the year, to
check a match by title), and the reader's own notes, tags and
reading state where the file carries them (as paperfeed, Zotero, JabRef and Mendeley write
them), and reports entries it cannot use, and why, so one malformed entry never stops the rest
of a file.
"""

from __future__ import annotations

import re

from paperfeed.references.bibtex_format import (
    AT_SIGN,
    BACKSLASH,
    BRACE_LEFT,
    BRACE_RIGHT,
    read_bibtex,
)
from paperfeed.references.csl_format import csl_item, csl_json, read_csl
from paperfeed.references.dates import issued
from paperfeed.references.encoding import CONTROL, decode
from paperfeed.references.fields import listed_tag
from paperfeed.references.id_list import looks_like_id_list, read_id_list
from paperfeed.references.matching import disagreement
from paperfeed.references.model import (
    NO_KEY,
    STATE_TAGS,
    Annotations,
    AnnotationsById,
    Parsed,
    Reference,
    UnreadableFile,
)
from paperfeed.references.names import name_parts, split_name, suffixed
from paperfeed.references.page_text import lists_titles, looks_like_page_text, read_page_text
from paperfeed.references.ris_format import RIS_FILE, read_ris, ris, ris_name
from paperfeed.references.table_format import looks_like_table, read_table

__all__ = [
    "AT_SIGN",
    "BACKSLASH",
    "BRACE_LEFT",
    "BRACE_RIGHT",
    "MAX_IMPORT_BYTES",
    "NO_KEY",
    "STATE_TAGS",
    "Annotations",
    "AnnotationsById",
    "Parsed",
    "Reference",
    "UnreadableFile",
    "csl_item",
    "csl_json",
    "disagreement",
    "issued",
    "listed_tag",
    "name_parts",
    "read",
    "ris",
    "ris_name",
    "split_name",
    "suffixed",
    "too_big",
]

# A 10,000-entry library exported with abstracts is 7-12 MB (BibTeX, RIS, CSL-JSON): this takes
# twice that, and a library of 20,000 entries, while bounding what one request may hold.
MAX_IMPORT_BYTES = 25_000_000


def too_big(size: int) -> str:
    """Why a file of `size` bytes is refused, and what to do instead."""
    return (
        f"the file is {size / 1_000_000:.1f} MB, over the {MAX_IMPORT_BYTES // 1_000_000} MB an "
        "import may be: export your library a collection at a time, or without abstracts, notes "
        "and attachments, and import each file"
    )


def read(data: bytes) -> Parsed:
    """Parse an export, guessing its format from its content."""
    if len(data) > MAX_IMPORT_BYTES:
        raise UnreadableFile(too_big(len(data)))
    text = decode(data)
    if "\x00" in text or len(CONTROL.findall(text[:100_000])) > len(text[:100_000]) // 100:
        raise UnreadableFile(
            "the file is not text: a BibTeX, RIS or CSL-JSON export in UTF-8, UTF-16 or "
            "Windows-1252"
        )
    try:
        return _parse(text)
    except RecursionError as exc:  # e.g. a JSON array in a JSON array, a hundred thousand deep
        raise UnreadableFile("the file nests too deeply to be a library export") from exc


# A BibTeX entry's opening ("@article{"), not an email address in a pasted page
_BIBTEX_ENTRY = re.compile(r"@\s*[A-Za-z]+\s*[{(]")
# A pasted list's first item numbered in brackets ("[1] Title"), not a JSON array
_NUMBERED = re.compile(r"\[\s*\d{1,4}\s*\]\s*[^\s,\]]")


def _ris_first(text: str) -> bool:
    """Whether a RIS record starts before any BibTeX entry: a BibTeX note may hold a line
    "TY  - JOUR" (the whole .bib was read as one RIS record, nothing matched), a RIS note
    "@article{"."""
    ris = RIS_FILE.search(text)
    if ris is None:
        return False
    bibtex = _BIBTEX_ENTRY.search(text, 0, ris.start())
    return bibtex is None


def _parse(text: str) -> Parsed:
    head = text.lstrip()[:1]
    if head in "[{" and head and not _NUMBERED.match(text.lstrip()):
        return read_csl(text)
    if _ris_first(text):
        return read_ris(text)
    if looks_like_table(text):
        return read_table(text)
    if looks_like_id_list(text):  # a list of links and titles mixed: each line as it is
        return read_page_text(text) if lists_titles(text) else read_id_list(text)
    if _BIBTEX_ENTRY.search(text):
        return read_bibtex(text)
    if looks_like_page_text(text):
        return read_page_text(text)
    if "@" in text:
        return read_bibtex(text)
    raise UnreadableFile(
        "the file is not BibTeX, RIS, CSL-JSON, a list of arXiv ids, URLs or DOIs, or a list "
        "of paper titles"
    )
