"""A plain list of papers: one arXiv id, arXiv or Hugging Face URL, or DOI a line (as people
keep reading lists in a text file), lines starting with # or % being comments."""

from __future__ import annotations

from paperfeed.references.identifiers import find_arxiv_id, find_doi
from paperfeed.references.model import Parsed, Reference

COMMENT = ("#", "%", "//")
_MAX_LINE = 2000  # a line of a list is an address, not a paragraph


def _entries(text: str) -> list[tuple[int, str]]:
    return [
        (n, line.strip())
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.strip().startswith(COMMENT)
    ]


def looks_like_id_list(text: str) -> bool:
    """Whether `text` is such a list: short lines, no BibTeX entry, and most naming a paper."""
    entries = _entries(text)
    if not entries or any(line.startswith("@") or len(line) > _MAX_LINE for _n, line in entries):
        return False
    named = sum(1 for _n, line in entries if identifier(line) != (None, None))
    return named * 2 >= len(entries)


def read_id_list(text: str) -> Parsed:
    """The papers a list names, and its lines that name none."""
    refs: list[Reference] = []
    errors: list[str] = []
    for n, line in _entries(text):
        arxiv, doi = identifier(line)
        if arxiv or doi:
            refs.append(Reference(f"line {n}", arxiv_id=arxiv, doi=None if arxiv else doi))
        else:
            shown = line if len(line) <= 60 else line[:60] + "…"
            errors.append(f"line {n}: {shown!r} holds no arXiv id, arXiv URL or DOI")
    return Parsed("list of ids", refs, errors)


def identifier(line: str) -> tuple[str | None, str | None]:
    """The arXiv id, else the DOI, that a line (or a cell) names by its first word."""
    words = line.split()
    if not words:
        return None, None
    first = words[0].strip("<>,;")  # "2401.01234  Some title", "<https://…>"
    return find_arxiv_id(first, line), find_doi(first)
