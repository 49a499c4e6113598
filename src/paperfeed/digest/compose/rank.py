"""Choosing each subscriber's papers: personal relevance blended with trending, as matrix ops."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import zip_longest

import numpy as np

from paperfeed.digest.compose.items import (
    Digest,
    DigestItem,
    Ranking,
    _snippet,
    _trending_why,
    candidate_item,
)
from paperfeed.digest.compose.scores import _Scores
from paperfeed.digest.subscriber import Subscriber
from paperfeed.store.digests import Candidate, InterestRow

_CHUNK = 1024  # subscribers ranked together in one matrix


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
