"""Search while the keyword index is built from scratch (its folder deleted, a new node, an
index too old to read): the papers it holds so far, ranked as usual, fused with a plain word
match over the newest papers it has not read yet. Labelled as limited wherever shown."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection

from paperfeed import categories
from paperfeed.search import fusion
from paperfeed.search.keyword import Filters, KeywordIndex
from paperfeed.search.progress import Build
from paperfeed.search.query import ParsedQuery
from paperfeed.store.word_match import Within, WordMatch, newest_matching

# The newest papers the word match reads: a bounded scan, so that an answer stays fast however
# large the store (a LIKE cannot use an index): ~0.3 s for four words at 10,000 papers on a
# 2-core machine, against 1.35 s at 50,000 (each word is one more pass over the scanned text).
STORE_SCAN = 10_000
MOST_WORDS = 6  # the longest words compared by the store; the others are checked on its rows
MOST_MATCHED = 1_000  # store matches taken at most (a page past these shows the index's)


def note(build: Build) -> str:
    """What a search answered during the build says of itself (page, API header, CLI)."""
    return (
        f"Search is being rebuilt ({build.percent}% done): results come from the "
        f"{build.done:,} papers indexed so far and a plain word match over the newest "
        f"{STORE_SCAN:,} others, and may miss papers"
    )


def needles(parsed: ParsedQuery) -> tuple[list[str], list[str]]:
    """The texts a paper must hold (words outside OR groups, phrases, prefixes) and those it
    must not."""
    grouped = {w for group in parsed.either for alternative in group for w in alternative}
    words = [w for w in parsed.meaningful if w not in grouped]
    wanted = [*words, *(" ".join(p) for p in parsed.phrases), *parsed.prefixes]
    unwanted = [*parsed.excluded_words, *(" ".join(p) for p in parsed.excluded_phrases)]
    return wanted, unwanted


def alternatives(parsed: ParsedQuery) -> list[list[list[str]]]:
    """Each OR group's alternatives, one of which a paper must hold: the texts of each (a
    phrase's words in their order), as the index reads the group."""
    return [
        [[" ".join(a)] if a in parsed.phrased else list(a) for a in group]
        for group in parsed.either
    ]


def store_matches(
    conn: Connection, index: KeywordIndex, parsed: ParsedQuery, filters: Filters, need: int
) -> list[WordMatch]:
    """Papers the index has not read yet that hold the query's words, best first: more of
    the words in the title first, then the newest."""
    wanted, unwanted = needles(parsed)
    groups = alternatives(parsed)
    compared = sorted(wanted, key=len, reverse=True)[:MOST_WORDS]
    asked = _fitting(groups)  # the groups the store compares; the others are checked on its rows
    within = Within(STORE_SCAN, index.progress.cursor, *_filters(filters))
    found = newest_matching(
        conn, compared, unwanted[:MOST_WORDS], within, min(need, MOST_MATCHED), asked
    )
    if len(wanted) > MOST_WORDS or len(unwanted) > MOST_WORDS or len(asked) < len(groups):
        found = [m for m in found if _holds(m, wanted, unwanted[MOST_WORDS:], groups)]
    if filters.among is not None:  # a conference's papers
        found = [m for m in found if m.id in filters.among]
    shown = wanted + [t for group in groups for a in group for t in a]

    def in_title(match: WordMatch) -> int:
        title = match.title.lower()
        return sum(w in title for w in shown)

    return sorted(found, key=lambda m: (-in_title(m), -(m.day or date.min).toordinal()))


def _fitting(groups: list[list[list[str]]]) -> list[list[list[str]]]:
    """The first OR groups whose texts together are at most MOST_WORDS."""
    sizes = [sum(len(a) for a in group) for group in groups]
    return [g for n, g in enumerate(groups) if sum(sizes[: n + 1]) <= MOST_WORDS]


def _holds(
    match: WordMatch, wanted: list[str], unwanted: list[str], groups: list[list[list[str]]]
) -> bool:
    """Whether a store match holds every wanted text, one alternative of each OR group and
    none of the unwanted (any case)."""
    text = f"{match.title} {match.abstract}".lower()
    if any(u.lower() in text for u in unwanted) or not all(w.lower() in text for w in wanted):
        return False
    return all(any(all(t in text for t in a) for a in group) for group in groups)


def fused(
    indexed: list[tuple[str, float]], matched: list[WordMatch], by_date: bool, days: dict[str, date]
) -> list[tuple[str, float]]:
    """One ranking of the index's hits and the store's matches: by reciprocal rank, or by
    day (`days`: the index's hits' days) when sorted by date."""
    if by_date:
        dated = days | {m.id: m.day for m in matched if m.day}
        ids = dict.fromkeys([p for p, _s in indexed] + [m.id for m in matched])
        ordered = sorted(ids, key=lambda p: dated.get(p) or date.min, reverse=True)
        return [(p, 1.0 / (n + 1)) for n, p in enumerate(ordered)]
    scores = fusion.rrf([([p for p, _s in indexed], 1.0), ([m.id for m in matched], 1.0)])
    return fusion.ranked(scores)


def _filters(
    filters: Filters,
) -> tuple[date | None, date | None, tuple[str, ...], str | None]:
    held = categories.kept_by(filters.category) if filters.category else ()  # "cs": all of cs
    return filters.since, filters.until, held, filters.author
