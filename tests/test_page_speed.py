"""What the slowest pages at full scale read from the store (bench/pages.py): no query per row,
and nothing read that the page does not show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, event, select

from paperfeed.settings import Settings
from paperfeed.store import library
from paperfeed.store.accounts import users
from paperfeed.store.tables import papers
from tests.web_support import client, sign_up


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on this engine inside the block."""
    seen: list[str] = []

    def note(*args: object) -> None:
        seen.append(" ".join(str(args[2]).split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _save(engine: Engine, username: str, ids: list[str]) -> None:
    with engine.begin() as conn:
        uid = conn.scalar(select(users.c.id).where(users.c.username == username))
        assert uid is not None
        library.save_papers(conn, uid, ids)


@pytest.mark.parametrize("fmt", ["bib", "ris", "json"])
def test_a_library_export_reads_papers_only_and_not_once_per_paper(
    site: Settings, engine: Engine, fmt: str
) -> None:
    """An export of 2,000 saved papers counted every paper's votes and comments (for cards it
    never showed): 0.8 s of the served 0.83 s BibTeX export at 75 k papers."""
    with engine.connect() as conn:
        every = sorted(conn.scalars(select(papers.c.id)))
    assert len(every) > 12
    with client(site, engine) as c:
        sign_up(c, "ada")
        _save(engine, "ada", every[:3])
        c.get(f"/library/export.{fmt}")  # warms this process's caches
        with statements(engine) as few:
            small = c.get(f"/library/export.{fmt}")
        _save(engine, "ada", every[3:])
        c.get(f"/library/export.{fmt}")
        with statements(engine) as many:
            large = c.get(f"/library/export.{fmt}")
    assert small.status_code == large.status_code == 200
    assert all(pid in large.text for pid in every)
    assert sum(pid in small.text for pid in every) == 3
    assert len(many) == len(few), many  # the same queries for 3 papers as for all
    counted = [s for s in many if "FROM votes" in s or "FROM comments" in s]
    assert not counted, counted
