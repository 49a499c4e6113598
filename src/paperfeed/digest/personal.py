"""A signed-in subscriber's digest: the For you ranking of the digest's days, with their mutes.

The papers come from the same ranker the For you page, the API and the private feed call
(`Recommender.feed`, one cached model per user); the subscriber's own interests (saved
searches, authors, categories, trending) are interleaved with them; the user's mutes remove
papers from both, and, as on the page, papers the user already saved, rated, upvoted or
submitted are left out. Subscribers without an account, and users without signals, get their
digest exactly as composed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import zip_longest
from pathlib import Path

from sqlalchemy import Connection, Engine

from paperfeed.digest.compose import Digest, DigestItem, candidate_item
from paperfeed.digest.subscriber import Subscriber
from paperfeed.recommend.model import Doc, Follows, Recommendation, is_muted
from paperfeed.recommend.service import acted_on, follows_of, has_mutes, shared_recommender
from paperfeed.store.digests import Candidate


def personalise(
    engine: Engine,
    digests: Sequence[Digest],
    span: tuple[date, date],
    cands: Sequence[Candidate],
    excluded: dict[int, set[str]],
    vocabulary_dir: Path | None = None,
) -> list[Digest]:
    """Each account holder's digest ranked by their model and cleared of their mutes
    (`vocabulary_dir`: where the site keeps For you's keyword features, so that a digest run
    reads the day's instead of fitting them again)."""
    if not any(d.subscriber.user_id for d in digests):
        return list(digests)
    shared_recommender(engine, vocabulary_dir=vocabulary_dir)
    by_id = {c.id: c for c in cands}
    out: list[Digest] = []
    with engine.connect() as conn:
        for digest in digests:
            sub = digest.subscriber
            if sub.user_id is None:
                out.append(digest)
                continue
            sent = excluded.get(sub.id, set())
            items = _for_user(conn, sub, sub.user_id, span, digest.items, by_id, sent)
            out.append(Digest(sub, digest.period, items))
    return out


def _for_user(
    conn: Connection,
    sub: Subscriber,
    user_id: int,
    span: tuple[date, date],
    composed: Sequence[DigestItem],
    by_id: dict[str, Candidate],
    sent: set[str],
) -> tuple[DigestItem, ...]:
    wanted, recommender = sub.prefs.max_papers, shared_recommender(conn.engine)
    # The page's own ranking, deep enough to hold `wanted` after sent and seed papers go.
    recs = recommender.feed(conn, user_id, *span, wanted + len(sent) + len(sub.prefs.seeds))
    if not recs and not recommender.has_signals(conn, user_id, *span):
        return tuple(composed)  # nothing to rank by: the digest stays as composed
    skip = sent | set(sub.prefs.seeds)  # seed papers are never sent themselves
    ranked = [_item(by_id[r.id], r) for r in recs if r.id not in skip and r.id in by_id]
    follows, acted = follows_of(conn, user_id), acted_on(conn, user_id)
    own = [
        i
        for i in composed
        if i.paper_id not in acted and not _muted(by_id.get(i.paper_id), follows)
    ]
    return tuple(merge(ranked, own, wanted))


def merge(ranked: Sequence[DigestItem], own: Sequence[DigestItem], n: int) -> list[DigestItem]:
    """For you and the subscriber's own picks taken in turn, each paper once, `n` at most."""
    out: list[DigestItem] = []
    seen: set[str] = set()
    for pair in zip_longest(ranked, own):
        for item in pair:
            if item is not None and item.paper_id not in seen and len(out) < n:
                seen.add(item.paper_id)
                out.append(item)
    return out


def _item(cand: Candidate, rec: Recommendation) -> DigestItem:
    return candidate_item(cand, rec.why, rec.score)


def _muted(cand: Candidate | None, follows: Follows) -> bool:
    if cand is None or not has_mutes(follows):
        return False
    doc = Doc(cand.id, cand.title, cand.abstract, cand.authors, cand.categories, cand.listing_date)
    return is_muted(doc, follows)
