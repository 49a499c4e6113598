"""A signed-in subscriber's digest: the For you ranking of the digest's days, with their mutes.

The papers come from the same ranker the For you page, the API and the private feed call
(`Recommender.feed`, one cached model per user); the subscriber's own interests (saved
searches, authors, categories, trending) are interleaved with them; the user's mutes remove
papers from both, and, as on the page, papers the user already saved, rated, upvoted or
submitted are left out. Subscribers without an account, and users without signals, get their
digest exactly as composed.

After those papers come the papers newly put in the shared collections the user follows (as on
For you), under each collection's name with its owner's note: added since the previous digest
(no further back than a digest's window reaches), cleared of mutes, each sent once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import zip_longest
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, Engine

from paperfeed.digest.compose import Digest, DigestItem, candidate_item
from paperfeed.digest.subscriber import Subscriber
from paperfeed.recommend.model import Doc, Follows, Recommendation, is_muted
from paperfeed.recommend.service import acted_on, follows_of, has_mutes, shared_recommender
from paperfeed.store import digests as db
from paperfeed.store import revisions
from paperfeed.store import shared_lists as lists
from paperfeed.store.digests import Candidate
from paperfeed.store.library import Collection
from paperfeed.util import utcnow

SECTION = "New in collections you follow: {name}"
FOLLOWED_MOST = 10  # papers a digest carries from the collections its reader follows
_FIRST_DAYS = {"weekly": 7}  # a first digest takes a period's additions (a day unless here)
_MOST_DAYS = {"weekly": 14}  # never older than a digest's window reaches (a week unless here)
_OVERLAP = timedelta(hours=1)  # added while the last digest was composed (sent ones still go)


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
    cols = {c.id: i for i, c in enumerate(cands)}
    out: list[Digest] = []
    with engine.connect() as conn:
        for digest in digests:
            sub = digest.subscriber
            if sub.user_id is None:
                out.append(digest)
                continue
            sent = excluded.get(sub.id, set())
            items = _for_user(conn, sub, sub.user_id, span, digest.items, by_id, sent)
            more = _not_carried(digest, items, cols)
            out.append(replace(digest, items=items, more=more, matched=b""))
    return out


def _not_carried(digest: Digest, items: Sequence[DigestItem], cols: dict[str, int]) -> int:
    """How many papers matched the subscriber's interests that `items` do not carry, whatever
    left them out (the subscriber's limit, or For you picks taking their places)."""
    if not digest.matched:
        return digest.more
    bits = np.unpackbits(np.frombuffer(digest.matched, np.uint8), count=len(cols))
    carried = sum(1 for i in items if i.paper_id in cols and bits[cols[i.paper_id]])
    return int(bits.sum()) - carried


def with_followed(
    engine: Engine, digests: Sequence[Digest], until: datetime | None = None
) -> list[Digest]:
    """Each account holder's digest with the papers newly put in the collections they follow
    after its own (also a digest of no new listing days: a weekend's), and how many of their
    papers have new versions read in up to `until` (when the run read the store)."""
    users = [d.subscriber.user_id for d in digests if d.subscriber.user_id is not None]
    if not users:
        return list(digests)
    out: list[Digest] = []
    with engine.connect() as conn:
        following = lists.following_anything(conn, users)
        for digest in digests:
            uid, taken = digest.subscriber.user_id, {i.paper_id for i in digest.items}
            if uid in following and uid is not None:
                added, more = followed_section(conn, digest.subscriber, uid, taken)
                revised = revised_lines(conn, digest.subscriber, uid, until)
                digest = replace(digest, items=digest.items + added, section_more=more)
                digest = replace(digest, revised=revised)
            out.append(digest)
    return out


def followed_section(
    conn: Connection, sub: Subscriber, user_id: int, taken: set[str]
) -> tuple[tuple[DigestItem, ...], tuple[tuple[str, int, str], ...]]:
    """The papers newly put in the collections the user follows and not yet sent to them (nor
    in `taken`, nor muted), by collection, each under its collection's heading; and, for each
    collection that had more than those carried (none, where the others' papers filled the
    digest), its heading, how many more and its page."""
    since = _since(conn, sub)
    fetched = lists.followed_additions(conn, user_id, FOLLOWED_MOST * 5, since=since)
    found = [a for a in fetched if a.paper_id not in taken]
    ids = [a.paper_id for a in found]
    skip = db.sent_paper_ids(conn, [sub.id], ids).get(sub.id, set())
    cands = {c.id: c for c in db.candidates_of(conn, [p for p in ids if p not in skip])}
    follows = follows_of(conn, user_id)
    kept = [a for a in found if a.paper_id in cands and not _muted(cands[a.paper_id], follows)]
    order = {a.collection.id: i for i, a in reversed(list(enumerate(kept)))}
    carried = sorted(kept[:FOLLOWED_MOST], key=lambda a: order[a.collection.id])  # stable
    items = tuple(_added(cands[a.paper_id], a) for a in carried)
    # Past those fetched, papers are counted unchecked (sent before or muted: rare, a week).
    over = {a.paper_id for a in kept[FOLLOWED_MOST:]}
    out = sorted((taken | {a.paper_id for a in fetched}) - over)
    shown = list({a.collection.id: a.collection for a in carried}.values())
    # Collections pushed out by the others' papers get a line of their own, after the sections.
    left = [c for c in {a.collection.id: a.collection for a in kept}.values() if c not in shown]
    more = lists.additions_since(conn, [c.id for c in shown + left], since, out)
    return items, tuple(_more_of(c, more[c.id]) for c in shown + left if more.get(c.id))


def revised_lines(
    conn: Connection, sub: Subscriber, user_id: int, until: datetime | None = None
) -> tuple[tuple[str, int, str], ...]:
    """For each collection the user follows, how many of its papers had new versions read in
    since the previous digest read the store, up to `until` (each told once: no overlap
    here), and its page."""
    now = utcnow()
    last = sub.stored_until or db.last_digest_at(conn, sub.id)
    since = last or now - timedelta(days=_FIRST_DAYS.get(sub.prefs.frequency, 1))
    found = revisions.followed_revisions(conn, user_id, since, until)
    return tuple((r.collection.name, r.papers, f"/c/{r.collection.share_key}") for r in found)


def _more_of(collection: Collection, n: int) -> tuple[str, int, str]:
    # A followed collection's "and N more": its page, newest additions first.
    path = f"/c/{collection.share_key}" + ("?order=added" if collection.ordered else "")
    return SECTION.format(name=collection.name), n, path


def _since(conn: Connection, sub: Subscriber) -> datetime:
    """Additions after the subscriber's previous digest (a first one: its period's)."""
    now, often = utcnow(), sub.prefs.frequency
    earliest = now - timedelta(days=_MOST_DAYS.get(often, 7))
    last = db.last_digest_at(conn, sub.id)
    first = now - timedelta(days=_FIRST_DAYS.get(often, 1))
    return max(earliest, last - _OVERLAP if last else first)


def _added(cand: Candidate, addition: lists.Addition) -> DigestItem:
    name = addition.collection.name
    why = f"new in “{name}”, a collection you follow"
    item = candidate_item(cand, why, 0.0)
    return replace(item, section=SECTION.format(name=name), note=addition.note)


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
        # Nothing to rank by: the digest stays as composed, less what the reader muted.
        muting = follows_of(conn, user_id)
        return tuple(i for i in composed if not _muted(by_id.get(i.paper_id), muting))
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
