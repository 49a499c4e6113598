"""Cards come from a per-process cache, yet show every change any process makes at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine, event, select

from paperfeed.settings import Settings
from paperfeed.store import get_paper, upsert_papers
from paperfeed.store.accounts import users
from paperfeed.store.community import add_comment
from paperfeed.store.db import open_store
from paperfeed.store.enrichment import RepoFacts, mark_repo, save_artifacts, save_repo
from paperfeed.store.listings import set_flags
from paperfeed.store.tables import papers
from paperfeed.web.views import cards
from tests.web_support import HOSTILE, HOSTILE_ID, client, post_form, sign_up, untokened

PATH = "/papers/date/2026-06-25"  # the hostile paper's day


def _card(html: str, paper_id: str) -> str:
    start = html.index(f'data-id="{paper_id}"')
    return untokened(html[start : html.index("</article>", start)])


def _votes(card: str) -> int:
    match = re.search(r'<span class="count">(\d+)</span>', card)
    assert match
    return int(match[1])


def _comments(card: str) -> int:
    match = re.search(r'title="comments">💬 (\d+)<', card)
    assert match
    return int(match[1])


@pytest.fixture
def other_process(site: Settings) -> Iterator[Engine]:
    """A second engine over the same store: what another server process or the CLI holds."""
    eng = open_store(site)
    yield eng
    eng.dispose()


def test_another_process_changes_show_on_the_next_view_of_cached_cards(
    site: Settings, engine: Engine, other_process: Engine
) -> None:
    with client(site, engine) as reader, client(site, other_process) as writer:
        sign_up(reader, "rita")
        before = _card(reader.get(PATH).text, HOSTILE_ID)
        assert _card(reader.get(PATH).text, HOSTILE_ID) == before  # cached now
        assert "Featured" not in before and "★ 777" not in before and "1 model" not in before
        sign_up(writer, "walt")
        post_form(writer, f"/papers/{HOSTILE_ID}/upvote", {"up": "1"})
        with other_process.begin() as conn:
            walt = conn.scalar(select(users.c.id).where(users.c.username == "walt"))
            assert walt is not None
            add_comment(conn, HOSTILE_ID, walt, "A comment from elsewhere", None)
            facts = RepoFacts("example/hostile", 777, 3, "Python", "MIT", None)
            save_repo(conn, "example/hostile", facts, None, date(2026, 6, 25))
            save_artifacts(conn, HOSTILE_ID, "model", [("someone/model", 1, 2)])
            set_flags(conn, HOSTILE_ID, hidden=False, featured=True)
            renamed = replace(HOSTILE, title="Attention Is Still Not Enough", version=2)
            upsert_papers(conn, [renamed])
            stored = get_paper(conn, HOSTILE_ID)
            assert stored is not None and stored.title == renamed.title
        after = _card(reader.get(PATH).text, HOSTILE_ID)
        assert _votes(after) == _votes(before) + 1
        assert _comments(after) == _comments(before) + 1
        assert "★ 777" in after and "1 model" in after and "Featured" in after
        assert "Attention Is Still Not Enough" in after
        assert 'aria-pressed="false"' in after  # walt's vote is not rita's
        post_form(reader, f"/papers/{HOSTILE_ID}/upvote", {"up": "1"})
        mine = _card(reader.get(PATH).text, HOSTILE_ID)
        theirs = _card(writer.get(PATH).text, HOSTILE_ID)
        assert 'aria-pressed="true"' in mine and _votes(mine) == _votes(before) + 2
        assert "walt" not in mine  # the reader's own state only
        # walt's page shows his own vote, never rita's state from the shared cache
        assert 'aria-pressed="true"' in theirs and _votes(theirs) == _votes(mine)
        with other_process.begin() as conn:
            set_flags(conn, HOSTILE_ID, hidden=True, featured=False)
        assert HOSTILE_ID not in reader.get(PATH).text  # hidden by another process


def test_a_page_of_cached_cards_costs_one_query(site: Settings, engine: Engine) -> None:
    with engine.connect() as conn:
        shown = sorted(conn.scalars(select(papers.c.id)))
    assert len(shown) > 10
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    with engine.connect() as conn:
        first = cards(conn, shown, None)  # fills the cache
        event.listen(engine, "before_cursor_execute", count)
        try:
            again = cards(conn, shown, None)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert again == first and [c.paper.id for c in again] == shown
    assert len(statements) == 1, statements


def test_a_repository_gone_missing_leaves_cached_cards_and_pages(
    site: Settings, engine: Engine, other_process: Engine
) -> None:
    facts = RepoFacts("example/hostile", 777, 3, "Python", "MIT", None)
    with engine.begin() as conn:
        save_repo(conn, "example/hostile", facts, None, date(2026, 6, 25))
    with client(site, engine) as visitor:
        assert "★ 777" in _card(visitor.get(PATH).text, HOSTILE_ID)  # cached page and card
        with other_process.begin() as conn:
            mark_repo(conn, "example/hostile", "example/hostile", "missing", "404 Not Found")
        assert "★ 777" not in _card(visitor.get(PATH).text, HOSTILE_ID)


def test_each_author_name_on_a_card_keeps_its_own_direction(site: Settings, engine: Engine) -> None:
    """Arabic and Hebrew names side by side are isolated, so the list keeps its order."""
    with engine.begin() as conn:
        paper = get_paper(conn, HOSTILE_ID)
        assert paper is not None
        rtl = replace(paper, authors=["Ann Lee", "محمد علي", "יעקב כהן", "Bo Li"])
        upsert_papers(conn, [rtl])
    with client(site, engine) as c:
        card = _card(c.get(PATH).text, HOSTILE_ID)
    names = re.findall(r"<bdi>([^<]*)</bdi>", card)
    assert names == ["Ann Lee", "محمد علي", "יעקב כהן", "Bo Li"]
