"""What composing yields: digests, their items and reasons, and the knobs of the blend."""

from __future__ import annotations

from dataclasses import dataclass

from paperfeed.digest.extras import Extras
from paperfeed.digest.subscriber import Subscriber
from paperfeed.store.digests import Candidate, InterestRow


@dataclass(frozen=True)
class DigestItem:
    """One paper in a digest and the one-line reason it is there."""

    paper_id: str
    title: str
    authors: tuple[str, ...]
    category: str
    snippet: str
    why: str
    score: float
    section: str = ""  # a heading it goes under, after the picked papers ("": none)
    note: str = ""  # Markdown said of it where it comes from (a followed collection's note)
    extras: Extras | None = None  # its code, stars and Hub counts, as its card shows them


@dataclass(frozen=True)
class Digest:
    """One subscriber's papers for one period."""

    subscriber: Subscriber
    period: str
    items: tuple[DigestItem, ...]
    more: int = 0  # papers that matched the subscriber's interests past those sent
    more_path: str = ""  # the site's list of them all (a day page, filtered as the digest is)
    more_of: str = ""  # what `more` counts: "" papers of the interests, "trending" trending ones
    # After a followed collection's section: (its heading, how many more were put in it, its
    # page), for those that had more than the digest carries.
    section_more: tuple[tuple[str, int, str], ...] = ()
    # Followed collections whose papers have new versions: (its name, how many, its page).
    revised: tuple[tuple[str, int, str], ...] = ()
    # An account holder's matching papers, a bit per candidate column (np.packbits): what
    # `more` counts once For you picks have changed the papers carried (b"": not kept).
    matched: bytes = b""

    @property
    def has_news(self) -> bool:
        """Whether it is sent: it has papers, or followed collections' papers have new versions."""
        return bool(self.items or self.revised)


@dataclass(frozen=True)
class Ranking:
    """Knobs of the blend (from Settings)."""

    trending_weight: float = 0.3
    min_similarity: float = 0.3


def interest_rows(subscriber: Subscriber) -> list[InterestRow]:
    """A subscriber's interests in the order they are stored (no vectors)."""
    p = subscriber.prefs
    kinds = (
        ("category", p.categories),
        ("keyword", p.keywords),
        ("semantic", p.searches),
        ("author", p.authors),
        ("seed", p.seeds),
    )
    return [InterestRow(kind, value) for kind, values in kinds for value in values]


def candidate_item(
    cand: Candidate, why: str, score: float, snippet: str | None = None
) -> DigestItem:
    """A candidate as a digest item with its reason."""
    category = cand.categories[0] if cand.categories else ""
    text = _snippet(cand.abstract) if snippet is None else snippet
    return DigestItem(cand.id, cand.title, cand.authors, category, text, why, score)


def _trending_why(cand: Candidate) -> str:
    if cand.featured:
        return "featured on trending"
    if cand.upvotes:
        return f"trending: {cand.upvotes} upvote{'' if cand.upvotes == 1 else 's'}"
    if cand.stars:
        return f"trending: {cand.stars} GitHub star{'' if cand.stars == 1 else 's'}"
    return "trending"


def _snippet(abstract: str, n: int = 280) -> str:
    text = " ".join(abstract.split())
    if len(text) <= n:
        return text
    return text[:n].rsplit(" ", 1)[0] + " …"
