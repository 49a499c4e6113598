"""Store-wide counts for `paperfeed stats`."""

from __future__ import annotations

from sqlalchemy import Connection, distinct, func, select

from paperfeed.models import LOCAL_PREFIX
from paperfeed.store.tables import code_links, paper_authors, paper_categories, papers


def store_stats(conn: Connection) -> dict[str, object]:
    """Counts of papers, authors, categories, sources and the listing-date range."""
    count = func.count()
    total = conn.execute(select(count).select_from(papers)).scalar_one()
    local = conn.execute(select(count).where(papers.c.id.like(f"{LOCAL_PREFIX}%"))).scalar_one()
    first, last = conn.execute(
        select(func.min(papers.c.listing_date), func.max(papers.c.listing_date))
    ).one()
    top = conn.execute(
        select(paper_categories.c.category, count)
        .group_by(paper_categories.c.category)
        .order_by(count.desc(), paper_categories.c.category)
        .limit(10)
    ).all()
    by_source = conn.execute(select(papers.c.source, count).group_by(papers.c.source)).all()
    return {
        "papers": total,
        "arxiv_papers": total - local,
        "local_papers": local,
        "withdrawn": conn.execute(select(count).where(papers.c.withdrawn.is_(True))).scalar_one(),
        "authors": conn.execute(
            select(func.count(distinct(paper_authors.c.name_key)))
        ).scalar_one(),
        "categories": conn.execute(
            select(func.count(distinct(paper_categories.c.category)))
        ).scalar_one(),
        "with_code": conn.execute(select(func.count(distinct(code_links.c.paper_id)))).scalar_one(),
        "first_listing_date": first.isoformat() if first else None,
        "last_listing_date": last.isoformat() if last else None,
        "sources": {s: n for s, n in sorted(by_source)},
        "top_categories": {c: n for c, n in top},
    }
