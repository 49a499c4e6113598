"""Whether an entry matched to a paper by title alone contradicts it."""

from __future__ import annotations

from paperfeed.models import Paper
from paperfeed.references.dates import issued
from paperfeed.references.model import Reference
from paperfeed.store.papers import author_key


def disagreement(ref: Reference, paper: Paper) -> str:
    """How an entry matched to a paper by title alone contradicts it ("authors", "year",
    "authors and year"), or "" when it does not: none of its family names is among the
    paper's authors (case and accents aside), or its year is before the paper's first
    version's but one (a preprint may come years before its venue, not after)."""
    wrong = []
    names = [f" {author_key(a)} " for a in paper.authors]
    families = [key for key in map(author_key, ref.authors) if key]
    if names and families and not any(f" {f} " in n for f in families for n in names):
        wrong.append("authors")
    appeared = issued(paper)
    if ref.year and appeared and ref.year < appeared[0] - 1:
        wrong.append("year")
    return " and ".join(wrong)
