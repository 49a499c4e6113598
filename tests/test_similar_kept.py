"""A paper's similar papers are kept per process until the search indexes change: a paper hidden
or added since is seen in the very next answer (both databases, real papers, the fast model)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import Engine, select, update

from paperfeed.ingest.jobs import demo_files
from paperfeed.pipeline import ingest_files
from paperfeed.search import SearchService, embed_papers
from paperfeed.settings import Settings
from paperfeed.store import get_papers, upsert_papers
from paperfeed.store.tables import papers
from paperfeed.util import utcnow

DAY = "2026-06-25"  # the smallest listing day of the demo sample: 26 real papers


@pytest.fixture
def service(settings: Settings, engine: Engine) -> Iterator[SearchService]:
    """One real listing day, embedded, and a service that refreshes on every search."""
    fast = settings.model_copy(update={"embed_model": "static", "search_refresh_seconds": 0.0})
    listing = next(p for p in demo_files()[0] if p.name.startswith(DAY))
    _, failed = ingest_files(engine, fast, "listing", [listing])
    assert not failed
    embed_papers(fast, engine)
    svc = SearchService(fast, engine)
    yield svc
    svc.close()


def _first_id(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.scalar(select(papers.c.id).order_by(papers.c.id).limit(1)))


def test_a_paper_hidden_after_a_view_leaves_its_neighbours_similar_papers(
    service: SearchService, engine: Engine
) -> None:
    target = _first_id(engine)
    first = service.similar(target, 5)
    assert service.similar(target, 5) == first  # asked again: the same answer
    gone = first[0].id
    with engine.begin() as conn:
        conn.execute(
            update(papers).where(papers.c.id == gone).values(hidden=True, changed_at=utcnow())
        )
    again = service.similar(target, 5)
    assert gone not in {h.id for h in again} and len(again) == 5


def test_a_paper_added_after_a_view_shows_among_similar_papers(
    settings: Settings, service: SearchService, engine: Engine
) -> None:
    target = _first_id(engine)
    before = service.similar(target, 5)
    with engine.connect() as conn:
        paper = get_papers(conn, [target])[target]
    twin = replace(paper, id="2606.99999", title=paper.title + " (again)")  # the same text
    with engine.begin() as conn:
        upsert_papers(conn, [twin])
    embed_papers(service.settings, engine)
    after = service.similar(target, 5)
    assert twin.id not in {h.id for h in before}
    assert after[0].id == twin.id
