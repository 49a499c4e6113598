"""Cards for papers, assembled from the store and this process's card cache."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from paperfeed.models import Paper
from paperfeed.store import get_papers
from paperfeed.store.accounts import User
from paperfeed.store.card_rows import CardRow, card_rows
from paperfeed.store.enrichment import Enrichment, enrichment_for, github_name
from paperfeed.store.listings import Flags
from paperfeed.store.papers import change_stamps
from paperfeed.web.card_cache import EnrichmentKey, PaperKey, cache_for
from paperfeed.web.views.common import Card


def cards(conn: Connection, ids: Sequence[str], user: User | None) -> list[Card]:
    """Cards for papers in the given order (ids not in the store are skipped).

    One query reads what changes often (votes, comments, flags, submissions, the reader's own
    votes) and the keys of what does not (each paper's `changed_at`, the site revision); papers
    and enrichment come from this process's card cache when those keys still match.
    """
    fresh = card_rows(conn, ids, user.id if user else None)
    found = [i for i in dict.fromkeys(ids) if i in fresh.rows]
    papers = _papers(conn, [fresh.rows[i] for i in found])
    extra = _enrichment(conn, [fresh.rows[i] for i in found], papers, fresh.revision)
    out = []
    for i in ids:
        row = fresh.rows.get(i)
        if row is None or i not in papers:
            continue
        out.append(
            Card(
                paper=papers[i],
                upvotes=_imported_votes(papers[i]) + row.upvotes,
                upvoted=row.upvoted,
                submission=row.submission,
                flags=Flags(row.hidden, row.featured),
                comments=row.comments,
                enrichment=extra.get(i),
            )
        )
    return out


def _papers(conn: Connection, rows: list[CardRow]) -> dict[str, Paper]:
    return _kept_papers(conn, [(r.id, r.changed_at) for r in rows])


def current_papers(conn: Connection, ids: Sequence[str]) -> dict[str, Paper]:
    """Papers by id through this process's card cache (each one's `changed_at` read fresh)."""
    return _kept_papers(conn, list(change_stamps(conn, ids).items()))


def _kept_papers(conn: Connection, keys: list[PaperKey]) -> dict[str, Paper]:
    def load(keys: list[PaperKey]) -> dict[PaperKey, Paper]:
        # Kept under the changed_at read before loading: a newer paper under an older key is
        # never served, as every later view reads the newer changed_at.
        loaded = get_papers(conn, [pid for pid, _ in keys])
        return {k: loaded[k[0]] for k in keys if k[0] in loaded}

    found = cache_for(conn.engine).papers.get_or_load(keys, load)
    return {pid: paper for (pid, _), paper in found.items()}


def _enrichment(
    conn: Connection, rows: list[CardRow], papers: dict[str, Paper], revision: int
) -> dict[str, Enrichment]:
    def load(keys: list[EnrichmentKey]) -> dict[EnrichmentKey, Enrichment | None]:
        ids = [pid for pid, _, _ in keys]
        loaded = enrichment_for(conn, ids, {i: _repos_of(papers[i]) for i in ids})
        return {k: loaded.get(k[0]) for k in keys}

    keys = [(r.id, r.changed_at, revision) for r in rows if r.id in papers]
    found = cache_for(conn.engine).enrichment.get_or_load(keys, load)
    return {k[0]: e for k, e in found.items() if e is not None}


def _repos_of(paper: Paper) -> list[str]:
    names = [github_name(u) for u in paper.code_links]
    if paper.signals and paper.signals.github_repo:
        names.append(github_name(paper.signals.github_repo))
    return [n for n in dict.fromkeys(names) if n]


def _imported_votes(paper: Paper) -> int:
    return paper.signals.upvotes if paper.signals else 0
