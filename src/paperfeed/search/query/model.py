"""A parsed query (ParsedQuery) and the limits on what is read of one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from paperfeed.search.query.words import STOP_WORDS

MAX_QUERY_CHARS = 20_000
MAX_WORDS = 64  # a pasted abstract still makes a useful (and fast) keyword query


@dataclass(frozen=True)
class ParsedQuery:
    """A user query split into words, phrases, prefixes and exclusions (all lower-case text)."""

    raw: str
    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    prefixes: tuple[str, ...] = ()
    excluded_words: tuple[str, ...] = ()
    excluded_phrases: tuple[tuple[str, ...], ...] = ()
    paper_id: str | None = None
    notes: tuple[str, ...] = field(default=())
    # arXiv's "cat:cs.CL" (or an archive, "cat:cs") in the query; several ("cat:cs.CL cat:cs.LG",
    # "cat:(cs.CL OR cs.LG)") joined by commas, any of them, as the daily pages' ?category= reads
    category: str | None = None
    # Words joined by OR ("GAN OR diffusion"): a paper needs one of each group's alternatives
    # (an alternative is the words of one typed token, "GPT-4" two words both needed).
    either: tuple[tuple[tuple[str, ...], ...], ...] = ()
    # The alternatives in `either` typed as phrases ('"graph neural network" OR GNN'): their
    # words in that order.
    phrased: tuple[tuple[str, ...], ...] = ()
    # Words typed in capitals ("GAN", "RAG"): acronyms, not people, so author names holding
    # them ("Zhongxue Gan") are no evidence.
    acronyms: tuple[str, ...] = ()
    # Days typed in the query ("year:2025", "after:2025-06-01"), both ends included.
    since: date | None = None
    until: date | None = None

    @property
    def positive(self) -> bool:
        """True when the query asks for something (not only exclusions)."""
        return bool(self.words or self.phrases or self.prefixes)

    @property
    def meaningful(self) -> tuple[str, ...]:
        """The words that say what the query is about: stop words left out, unless that is all."""
        kept = tuple(w for w in self.words if w not in STOP_WORDS)
        return kept or self.words

    @property
    def empty(self) -> bool:
        """True when nothing searchable is left."""
        return not (
            self.positive
            or self.excluded_words
            or self.excluded_phrases
            or self.category
            or self.since
            or self.until
        )
