"""Composing the digests of subscribers who share a window of listing days, ranked together."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

import numpy as np
from sqlalchemy import Connection, Engine

from paperfeed import trending
from paperfeed.digest import personal
from paperfeed.digest.compose import (
    Digest,
    Embeddings,
    Ranking,
    compose,
    saved_search_hits,
    trending_vector,
)
from paperfeed.digest.extras import with_extras
from paperfeed.digest.more import with_more_links
from paperfeed.digest.schedule.timing import Late
from paperfeed.digest.subscriber import Subscriber
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.listings import trending_rows
from paperfeed.util import utcnow

log = logging.getLogger("paperfeed.digest.schedule")


def compose_window(
    engine: Engine,
    settings: Settings,
    span: tuple[date, date] | None,
    subs: list[Subscriber],
    interests: dict[int, list[db.InterestRow]],
    period: dict[int, str],
    embeddings: Embeddings | None,
    late: Late | None = None,
    read: datetime | None = None,
) -> list[Digest]:
    """Digests of subscribers who share one window of listing days (and papers stored late
    on days already covered), ranked together; `read`: the run's mark (new versions read in
    after it are the next digest's)."""
    if span is None and late is None:  # nothing new; papers new in followed collections
        empty = [Digest(s, period[s.id], ()) for s in subs]
        return with_extras(engine, personal.with_followed(engine, empty, read))
    seeds = sorted({p for s in subs for p in s.prefs.seeds})
    with engine.connect() as conn:
        found_cands = db.candidates(conn, *span) if span else []
        found_cands += db.candidates(conn, *late) if late else []
        span = _days(span, late)
        cands, trend = _with_trending(conn, settings, found_cands, span)
        ids = [c.id for c in cands]
        excluded = db.sent_paper_ids(conn, [s.id for s in subs], ids)
        titles = db.paper_titles(conn, seeds)
    vectors = stored_vectors(embeddings, ids + seeds)
    ranking = Ranking(settings.digest_trending_weight, _min_similarity(settings, embeddings))
    found = saved_search_hits(embeddings, _search_depths(subs, interests), span)
    done = compose(subs, interests, cands, vectors, excluded, trend, titles, ranking, period, found)
    kept = settings.index_dir / "vocabulary"  # where the site keeps them too
    done = personal.personalise(engine, done, span, cands, excluded, kept)
    done = with_more_links(done, span, interests)
    return with_extras(engine, personal.with_followed(engine, done, read))  # one look-up for all


def _days(span: tuple[date, date] | None, late: Late | None) -> tuple[date, date]:
    # The days the candidates are of: the new ones, and covered ones with papers stored late.
    if span is None:
        assert late is not None
        return late[0], late[1]
    return (min(span[0], late[0]) if late else span[0]), span[1]


def _search_depths(
    subs: list[Subscriber], interests: dict[int, list[db.InterestRow]]
) -> dict[str, int]:
    # Each saved search is run once, as deep as the largest digest that holds it.
    depths: dict[str, int] = {}
    for sub in subs:
        for row in interests.get(sub.id, []):
            if row.kind == "semantic":
                depths[row.value] = max(depths.get(row.value, 0), sub.prefs.max_papers)
    return depths


def _min_similarity(settings: Settings, embeddings: Embeddings | None) -> float:
    if settings.digest_min_similarity is not None:
        return settings.digest_min_similarity
    return embeddings.min_similarity() if embeddings else Ranking().min_similarity


def _with_trending(
    conn: Connection, settings: Settings, cands: list[db.Candidate], span: tuple[date, date]
) -> tuple[list[db.Candidate], np.ndarray]:
    # The site's trending formula (votes on the site included), so "trending" means one thing.
    weights = trending.TrendingWeights.from_settings(settings)
    new_since = trending.new_accounts_since(utcnow(), weights)
    rows = {r.id: r for r in trending_rows(conn, span[0], new_since)}
    ranked = trending.rank(list(rows.values()), trending.reference_time(span[1]), weights)
    place = {r.id: i for i, r in enumerate(ranked)}
    # In the trending page's order: papers of equal score (no votes yet) are then taken as it
    # lists them, so a digest's "trending" papers are the ones at the top of that page.
    cands = [
        replace(
            c,
            upvotes=rows[c.id].upvotes,
            stars=rows[c.id].github_stars or 0,
            featured=rows[c.id].featured,
        )
        if c.id in rows
        else c
        for c in sorted(cands, key=lambda c: place.get(c.id, len(place)))
    ]
    # A featured paper heads the trending page whatever its votes: it scores as the top one.
    top = max((r.score for r in ranked), default=0.0)
    return cands, trending_vector(cands, {r.id: top if r.featured else r.score for r in ranked})


def stored_vectors(embeddings: Embeddings | None, ids: Sequence[str]) -> dict[str, np.ndarray]:
    """Stored paper vectors, or none when search has not indexed them (keywords then stand in)."""
    if embeddings is None or not ids:
        return {}
    try:
        return embeddings.vectors(list(ids))
    except Exception as exc:  # noqa: BLE001 - a missing index must not stop the mail going out
        log.warning("no stored vectors (%s); semantic interests fall back to keywords", exc)
        return {}
