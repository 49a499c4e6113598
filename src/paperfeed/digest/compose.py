"""Choosing each subscriber's papers: personal relevance blended with trending, as matrix ops."""

from __future__ import annotations

import logging
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import zip_longest
from typing import Protocol

import numpy as np
from sqlalchemy import Engine

from paperfeed.digest.extras import Extras
from paperfeed.digest.subscriber import Subscriber
from paperfeed.latex import plain
from paperfeed.settings import Settings
from paperfeed.store.digests import Candidate, InterestRow
from paperfeed.store.papers import author_key

log = logging.getLogger(__name__)
CATEGORY_SCORE = 0.5  # a category alone is a weak signal next to a search or an author
AUTHOR_SCORE = 1.0
KEYWORD_TITLE_SCORE = 1.0
KEYWORD_TEXT_SCORE = 0.8
_CHUNK = 1024  # subscribers ranked together in one matrix


class Embeddings(Protocol):
    """Stored paper vectors, query embedding and the site's search (`paperfeed.search`)."""

    def vectors(self, paper_ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def embed_query(self, text: str) -> np.ndarray | None: ...

    def min_similarity(self) -> float: ...

    def search_ids(
        self,
        query: str,
        mode: str = ...,
        limit: int = ...,
        since: date | None = ...,
        until: date | None = ...,
    ) -> list[str]: ...

    def rebuilding(self) -> str | None: ...


SEARCH_MODE = "hybrid"  # the site's default: "topics, matched by meaning" search the same way


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


class _Scores:
    """Unique interests scored once against every candidate (one row each)."""

    def __init__(
        self,
        cands: Sequence[Candidate],
        vectors: dict[str, np.ndarray],
        titles: dict[str, str],
        ranking: Ranking,
        found: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.cands, self.titles, self.ranking = cands, titles, ranking
        self.found = found or {}
        self.index = {c.id: i for i, c in enumerate(cands)}
        self.matrix, self.has_vec = _paper_matrix(cands, vectors)
        self.vectors = vectors
        self.by_author = _positions((k, i) for i, c in enumerate(cands) for k in c.author_keys)
        self.by_category = _positions((k, i) for i, c in enumerate(cands) for k in c.categories)
        self.titles_index = _TextIndex([c.title for c in cands])
        self.text_index = _TextIndex([f"{c.title} {c.abstract}" for c in cands])
        self.rows: list[np.ndarray] = [np.zeros(len(cands), dtype=np.float32)]
        self.labels: list[tuple[str, str]] = [("none", "")]
        self.keys: dict[tuple[str, str, int], int] = {}
        self.reasons: dict[tuple[int, int], str] = {}

    def row(self, interest: InterestRow, depth: int) -> int:
        """The row of one interest, scoring it on first sight (a saved search's row holds
        the site search's first `depth` results: a digest of n papers brings its top n)."""
        searched = interest.kind == "semantic" and interest.value in self.found
        key = (interest.kind, interest.value.lower(), depth if searched else 0)
        if key not in self.keys:
            self.keys[key] = len(self.rows)
            scores, how = self._score(interest, depth)
            self.rows.append(scores)
            self.labels.append((how, interest.value))
        return self.keys[key]

    def _score(self, it: InterestRow, depth: int) -> tuple[np.ndarray, str]:
        if it.kind == "category":
            return self._hits(self.by_category.get(it.value, []), CATEGORY_SCORE), it.kind
        if it.kind == "author":
            return self._hits(self.by_author.get(author_key(it.value), []), AUTHOR_SCORE), it.kind
        if it.kind == "semantic" and it.value in self.found:
            return self._ranked(self.found[it.value][:depth]), it.kind
        if it.kind in ("semantic", "seed"):
            vec = _vector(it.vector) if it.kind == "semantic" else self.vectors.get(it.value)
            if vec is not None and self.matrix is not None and vec.shape[0] == self.dim:
                return self._similar(vec.astype(np.float32)), it.kind
            if it.kind == "seed":
                return np.zeros(len(self.cands), dtype=np.float32), it.kind
        return self._keyword(it.value), "keyword"  # semantic without vectors: match its words

    def _hits(self, cols: list[int], score: float) -> np.ndarray:
        row = np.zeros(len(self.cands), dtype=np.float32)
        row[cols] = score
        return row

    def _ranked(self, ids: Sequence[str]) -> np.ndarray:
        # The site's order kept: 1.0 for its first hit down to 0.5 for its last.
        row = np.zeros(len(self.cands), dtype=np.float32)
        cols = [self.index[p] for p in ids if p in self.index]
        row[cols] = 1.0 - 0.5 * np.arange(len(cols)) / max(1, len(cols))
        return row

    @property
    def dim(self) -> int:
        return 0 if self.matrix is None else int(self.matrix.shape[1])

    def _similar(self, query: np.ndarray) -> np.ndarray:
        assert self.matrix is not None
        low = self.ranking.min_similarity
        cos = self.matrix @ query
        score = 0.5 + 0.5 * (cos - low) / max(1e-6, 1.0 - low)
        return np.where((cos >= low) & self.has_vec, score, 0.0).astype(np.float32)

    def _keyword(self, query: str) -> np.ndarray:
        terms = _words(query)
        row = self._hits(sorted(self.text_index.having_all(terms)), KEYWORD_TEXT_SCORE)
        row[sorted(self.titles_index.having_all(terms))] = KEYWORD_TITLE_SCORE
        return row

    def why(self, row: int, col: int) -> str:
        """The one-line reason an interest row matched a paper."""
        key = (row, col) if self.labels[row][0] == "author" else (row, -1)
        if key not in self.reasons:
            self.reasons[key] = self._why(row, col)
        return self.reasons[key]

    def _why(self, row: int, col: int) -> str:
        kind, value = self.labels[row]
        if kind == "category":
            return f"new in {value}"
        if kind == "author":
            key = author_key(value)
            cand = self.cands[col]
            pairs = zip(cand.authors, cand.author_keys, strict=True)
            name = next((a for a, k in pairs if k == key), value)
            return f"by {name}, whom you follow"
        if kind == "seed":
            title = plain(self.titles.get(value, value))  # its LaTeX as text, as email needs
            return f"like “{_clip(title, 70)}”, a paper you picked"
        if kind == "semantic":
            return f"close to your search “{_clip(value, 60)}”"
        return f"matches your search “{_clip(value, 60)}”"

    def stacked(self) -> np.ndarray:
        """All interest rows as one matrix (row 0 scores nothing)."""
        return np.vstack(self.rows)


def _paper_matrix(
    cands: Sequence[Candidate], vectors: dict[str, np.ndarray]
) -> tuple[np.ndarray | None, np.ndarray]:
    present = np.array([c.id in vectors for c in cands], dtype=bool)
    if not present.any():
        return None, present
    dim = next(v.shape[0] for v in vectors.values())
    matrix = np.zeros((len(cands), dim), dtype=np.float32)
    for i, c in enumerate(cands):
        vec = vectors.get(c.id)
        if vec is not None and vec.shape[0] == dim:
            matrix[i] = vec
    return matrix, present


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


class _TextIndex:
    """Which candidates have a word starting with a term (a keyword search's matching rule)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.postings = _positions((w, i) for i, t in enumerate(texts) for w in set(_words(t)))
        self.vocabulary = sorted(self.postings)

    def having(self, term: str) -> set[int]:
        """Candidates with a word that starts with `term`."""
        cols: set[int] = set()
        for word in self.vocabulary[bisect_left(self.vocabulary, term) :]:
            if not word.startswith(term):
                break
            cols.update(self.postings[word])
        return cols

    def having_all(self, terms: list[str]) -> set[int]:
        """Candidates matching every term (none for no terms)."""
        if not terms:
            return set()
        return set.intersection(*(self.having(t) for t in terms))


def _positions(pairs: Iterable[tuple[str, int]]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for key, col in pairs:
        index.setdefault(key, []).append(col)
    return index


def _vector(blob: bytes | None) -> np.ndarray | None:
    return np.frombuffer(blob, dtype=np.float32) if blob else None


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def trending_vector(cands: Sequence[Candidate], scores: Mapping[str, float]) -> np.ndarray:
    """The site's trending scores of the candidates, scaled to [0, 1]."""
    raw = np.array([max(scores.get(c.id, 0.0), 0.0) for c in cands], dtype=np.float32)
    top = float(raw.max()) if len(raw) else 0.0
    return raw / top if top > 0 else raw


def compose(
    subscribers: Sequence[Subscriber],
    interests: dict[int, list[InterestRow]],
    cands: Sequence[Candidate],
    vectors: dict[str, np.ndarray],
    excluded: dict[int, set[str]],
    trending: np.ndarray,
    titles: dict[str, str],
    ranking: Ranking,
    period: dict[int, str],
    found: Mapping[str, Sequence[str]] | None = None,
) -> list[Digest]:
    """Each subscriber's digest over the same candidates (empty ones included).

    `found` holds what the site's search returns for each saved search over the same days;
    a saved search without it falls back to its stored vector, else to its words.
    """
    scores = _Scores(cands, vectors, titles, ranking, found)
    rows = {
        s.id: [scores.row(i, s.prefs.max_papers) for i in interests.get(s.id, [])] or [0]
        for s in subscribers
    }
    matrix = scores.stacked()
    # Twice the most papers any digest takes: an interest's share survives exclusions.
    tops = _Tops(matrix, 2 * max((s.prefs.max_papers for s in subscribers), default=1))
    tops.trending = _best(trending, tops.depth)
    snippets = [_snippet(c.abstract) for c in cands]
    out: list[Digest] = []
    # Many digests pick the same paper for the same reason with the same score: one item
    # (immutable) serves them all.
    made: dict[_Pick, DigestItem] = {}
    for start in range(0, len(subscribers), _CHUNK):
        chunk = subscribers[start : start + _CHUNK]
        picks, left, maps = _rank_chunk(
            chunk, rows, matrix, trending, excluded, scores.index, ranking, tops
        )
        for sub, chosen, more, bits in zip(chunk, picks, left, maps, strict=True):
            items = tuple(
                made.get(pick) or made.setdefault(pick, _item(scores, cands, snippets, pick))
                for pick in chosen
            )
            out.append(Digest(sub, period[sub.id], items, more, matched=bits))
    return out


_Pick = tuple[int, float, int]  # candidate column, score, best interest row (0: none, trending)


def _rank_chunk(
    chunk: Sequence[Subscriber],
    rows: dict[int, list[int]],
    matrix: np.ndarray,
    trending: np.ndarray,
    excluded: dict[int, set[str]],
    index: dict[str, int],
    ranking: Ranking,
    tops: _Tops,
) -> tuple[list[list[_Pick]], list[int], list[bytes]]:
    """Each subscriber's picks, how many more papers matched their interests, and (for an
    account holder) which ones matched."""
    if matrix.shape[1] == 0:
        return [[] for _ in chunk], [0 for _ in chunk], [b"" for _ in chunk]
    flat = np.array([r for s in chunk for r in rows[s.id]])
    sizes = [len(rows[s.id]) for s in chunk]
    starts = np.cumsum([0] + sizes[:-1])
    personal = np.maximum.reduceat(matrix[flat], starts, axis=0)
    wants = np.array([s.prefs.include_trending for s in chunk], dtype=bool)
    final = personal + (wants * ranking.trending_weight)[:, None] * trending[None, :]
    final[~((personal > 0) | wants[:, None])] = -1.0
    dropped: list[list[int]] = []
    for i, sub in enumerate(chunk):
        drop = [index[p] for p in excluded.get(sub.id, ()) if p in index]
        drop += [index[p] for p in sub.prefs.seeds if p in index]
        final[i, drop] = -1.0
        dropped.append(drop)
    wanted = max(s.prefs.max_papers for s in chunk)
    cols, vals = _top(final, wanted)
    owner = np.repeat(np.arange(len(chunk)), sizes)
    reasons = _reasons(matrix, flat, owner, starts, cols)
    picks = [_picks(cols[i], vals[i], reasons[i], s.prefs.max_papers) for i, s in enumerate(chunk)]
    for i, n in enumerate(sizes):
        if n > 1:
            mine = flat[starts[i] : starts[i] + n]
            shares = [tops(r) for r in mine.tolist()]
            if chunk[i].prefs.include_trending:  # trending takes a turn too, a quarter at most
                shares.append(_fresh(tops.trending, set(dropped[i]), chunk[i].prefs.max_papers))
            never = set(dropped[i])  # sent before, or a seed paper
            picks[i] = _in_turn(matrix, mine, final[i], shares, never, picks[i], chunk[i])
    # A subscriber of trending papers alone (no interest: row 0) is matched by trending ones.
    alone = np.array([rows[s.id] == [0] for s in chunk]) & wants
    matched = np.where(alone[:, None], trending[None, :] > 0, personal > 0)
    return picks, *_left_over(matched, dropped, picks, chunk)


def _left_over(
    matched: np.ndarray,
    dropped: list[list[int]],
    picks: list[list[_Pick]],
    chunk: Sequence[Subscriber],
) -> tuple[list[int], list[bytes]]:
    """How many papers matched each subscriber's interests (never sent before, no seed) that
    their digest does not carry: what its "and N more" line counts; and, for an account
    holder (whose For you picks change the papers carried later), which ones matched."""
    for i, drop in enumerate(dropped):
        matched[i, drop] = False
    counts = matched.sum(axis=1)
    left = [
        int(counts[i]) - sum(1 for col, _s, _r in chosen if matched[i, col])
        for i, chosen in enumerate(picks)
    ]
    kept = [np.packbits(matched[i]).tobytes() if s.user_id else b"" for i, s in enumerate(chunk)]
    return left, kept


class _Tops:
    """Each interest row's best papers (columns, best first, at most `depth`), found once
    per run."""

    def __init__(self, matrix: np.ndarray, depth: int) -> None:
        self.matrix, self.depth = matrix, depth
        self._found: dict[int, list[int]] = {}
        self.trending: list[int] = []  # the most trending papers' columns, most first

    def __call__(self, row: int) -> list[int]:
        found = self._found.get(row)
        if found is None:
            found = self._found[row] = _best(self.matrix[row], self.depth)
        return found


def _best(values: np.ndarray, depth: int) -> list[int]:
    """The columns of the highest positive values, highest first (ties by column)."""
    hits = np.flatnonzero(values > 0)
    if len(hits) > depth:
        hits = hits[np.argpartition(-values[hits], depth - 1)[:depth]]
    return hits[np.lexsort((hits, -values[hits]))].tolist()  # type: ignore[no-any-return]


def _fresh(trending: list[int], never: set[int], wanted: int) -> list[int]:
    # Trending's share of a digest of several interests: a quarter of its places at most.
    return [col for col in trending if col not in never][: max(1, wanted // 4)]


def _in_turn(
    matrix: np.ndarray,
    rows: np.ndarray,
    scores: np.ndarray,
    shares: list[list[int]],
    never: set[int],
    top: list[_Pick],
    sub: Subscriber,
) -> list[_Pick]:
    """A digest of several interests takes each interest's best papers in turn, by that
    interest's own score (a keyword that matches dozens of papers no longer fills every place
    before a followed category gets one; trending, when wanted, takes a turn for a quarter of
    the places at most), then the best of the rest; shown best first by the blended score."""
    wanted = sub.prefs.max_papers
    chosen: list[int] = []
    taken = set(never)
    ordered = sorted((share for share in shares if share), key=lambda share: -scores[share[0]])
    for round_ in zip_longest(*ordered):
        for col in round_:
            if col is not None and col not in taken:
                taken.add(col)
                chosen.append(col)
                if len(chosen) == wanted:
                    break
        if len(chosen) == wanted:
            break
    chosen += [col for col, _value, _reason in top if col not in taken][: wanted - len(chosen)]
    if not chosen:
        return []
    at = np.array(chosen, dtype=np.intp)
    values = matrix[np.ix_(rows, at)]
    got = scores[at]
    why = np.where(values.max(axis=0) > 0, rows[values.argmax(axis=0)], 0)
    picks = zip(chosen, got.tolist(), why.tolist(), strict=True)
    return sorted(picks, key=lambda pick: (-pick[1], pick[0]))


def _top(final: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    k = min(k, final.shape[1])
    part = np.argpartition(-final, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(final, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    return np.take_along_axis(part, order, 1), np.take_along_axis(vals, order, 1)


def _reasons(
    matrix: np.ndarray, flat: np.ndarray, owner: np.ndarray, starts: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    # For each picked paper, the first of the subscriber's interests with the best score there.
    values = matrix[flat[:, None], cols[owner]]  # (interests, picks)
    best = np.maximum.reduceat(values, starts, axis=0)
    first = np.where(values == best[owner], np.arange(len(flat))[:, None], len(flat))
    winner = flat[np.minimum.reduceat(first, starts, axis=0)]
    return np.where(best > 0, winner, 0)


def _picks(cols: np.ndarray, vals: np.ndarray, reasons: np.ndarray, wanted: int) -> list[_Pick]:
    keep = vals[:wanted] >= 0
    return list(
        zip(
            cols[:wanted][keep].tolist(),
            vals[:wanted][keep].tolist(),
            reasons[:wanted][keep].tolist(),
            strict=True,
        )
    )


def _item(
    scores: _Scores, cands: Sequence[Candidate], snippets: list[str], pick: _Pick
) -> DigestItem:
    col, score, reason = pick
    cand = cands[col]
    why = scores.why(reason, col) if reason else _trending_why(cand)
    return candidate_item(cand, why, score, snippets[col])


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


def saved_search_hits(
    searcher: Embeddings | None, depths: Mapping[str, int], span: tuple[date, date]
) -> dict[str, list[str]]:
    """The site search's first results (as many as `depths` says) for each saved search,
    over the digest's days."""
    out: dict[str, list[str]] = {}
    for value, depth in sorted(depths.items()) if searcher is not None else ():
        assert searcher is not None
        try:
            found = searcher.search_ids(
                value, mode=SEARCH_MODE, limit=depth, since=span[0], until=span[1]
            )
        except Exception as exc:  # noqa: BLE001 - a broken index must not stop the mail
            log.warning("search for a saved search failed (%s); using its stored vector", exc)
            continue
        out[value] = found  # the site search's hits, without the snippets mail never shows
    limited = searcher.rebuilding() if searcher is not None and out else None
    if limited:  # the newest papers (a digest's days) are those its word match reads
        log.warning("saved searches for this digest: %s", limited)
    return out


def open_embeddings(settings: Settings, engine: Engine) -> Embeddings | None:
    """The search feature's stored vectors and query embedder, or None where it is missing."""
    try:
        from paperfeed.search import SearchService  # the search feature may be absent
    except ImportError:
        return None
    return SearchService(settings, engine)
