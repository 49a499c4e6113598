"""Papers new since a signed-in reader's previous visit: the "New" badge and the daily page's
count and filter, for that reader only (never anonymous, never in a cached shared page), and
which requests count as a visit."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store import get_papers
from paperfeed.store.accounts import users
from paperfeed.store.library.following import add_interest
from paperfeed.store.tables import papers
from paperfeed.util import utcnow
from tests.web_support import (
    DAYS,
    bearer,
    client,
    fill_store,
    on_day,
    post_form,
    sign_in_as,
    web_settings,
)

BADGE = '<span class="badge new">New</span>'
NEWEST = DAYS[-1]


@pytest.fixture
def site(settings: Settings, engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, Engine]]:
    settings = web_settings(settings, page_size=20)
    fill_store(engine, settings, tmp_path / "listings")
    with client(settings, engine) as c:
        yield c, engine


def _new_papers(engine: Engine, reader: str) -> tuple[list[str], datetime]:
    """Two papers of the newest day put on it since the reader's last visit, two hours ago
    (every other paper three days ago); the papers and that visit."""
    now, ids = utcnow(), sorted(on_day(engine, NEWEST))
    last = now - timedelta(hours=2)
    with engine.begin() as conn:
        conn.execute(update(papers).values(listed_at=now - timedelta(days=3)))
        recent = update(papers).where(papers.c.id.in_(ids[:2]))
        conn.execute(recent.values(listed_at=now - timedelta(hours=1)))
        seen = update(users).where(users.c.username == reader)
        conn.execute(seen.values(last_visit_at=last, previous_visit_at=None))
    return ids[:2], last


def _visits(engine: Engine, name: str) -> tuple[datetime | None, datetime | None]:
    with engine.connect() as conn:
        query = select(users.c.last_visit_at, users.c.previous_visit_at)
        row = conn.execute(query.where(users.c.username == name)).one()
    return row.last_visit_at, row.previous_visit_at


def _cards(page: str) -> dict[str, str]:
    """The page's cards by paper id."""
    cards = page.split('<article class="card')[1:]
    return {c.split('data-id="', 1)[1].split('"', 1)[0]: c for c in cards}


def _badged(page: str) -> list[str]:
    """The ids of the cards that say "New"."""
    return sorted(pid for pid, card in _cards(page).items() if BADGE in card)


def test_the_reader_sees_what_is_new_since_their_last_visit(
    site: tuple[TestClient, Engine],
) -> None:
    c, engine = site
    sign_in_as(c, "vera", new=True)
    new, last = _new_papers(engine, "vera")
    page = c.get("/daily")
    assert page.status_code == 200
    assert _badged(page.text) == new
    assert "2 new</b> since your last visit on" in page.text
    assert f'datetime="{last:%Y-%m-%dT%H:%MZ}"' in page.text
    assert "Show only new" in page.text
    assert _visits(engine, "vera")[1] == last  # this visit began; the last one is the previous
    again = c.get(f"/papers/date/{NEWEST.isoformat()}")  # the same visit: the same papers
    assert _badged(again.text) == new


def test_show_only_new_lists_just_those(site: tuple[TestClient, Engine]) -> None:
    c, engine = site
    sign_in_as(c, "vera", new=True)
    new, _last = _new_papers(engine, "vera")
    path = f"/papers/date/{NEWEST.isoformat()}"
    c.get(path)
    page = c.get(path + "?new=1").text
    assert sorted(_cards(page)) == _badged(page) == new
    assert "Showing only the 2 papers new since your last visit" in page
    assert f'href="{path}">Show all papers</a>' in page
    assert f"{path}?sort=new&amp;new=1" in page  # the order kept with the filter
    full = c.get(path).text
    assert full.count('<article class="card') == len(on_day(engine, NEWEST))


def test_all_categories_keeps_show_only_new(site: tuple[TestClient, Engine]) -> None:
    """Leaving a category filter keeps the page to the new papers, as the other links do."""
    c, engine = site
    sign_in_as(c, "vera", new=True)
    new, _last = _new_papers(engine, "vera")
    path = f"/papers/date/{NEWEST.isoformat()}"
    with engine.connect() as conn:
        paper = get_papers(conn, [new[0]])[new[0]]
    c.get(path)
    page = c.get(f"{path}?new=1&category={paper.categories[0]}").text
    assert new[0] in _badged(page)
    assert f'href="{path}?new=1">All categories</a>' in page


def test_the_count_leaves_out_what_the_reader_muted(site: tuple[TestClient, Engine]) -> None:
    """The count says what "Show only new" lists: a new paper the reader's mutes hide is in
    neither (it said 2 new while the filtered page showed 1)."""
    c, engine = site
    sign_in_as(c, "vera", new=True)
    new, _last = _new_papers(engine, "vera")
    with engine.begin() as conn:
        found = get_papers(conn, new)
        other = f"{found[new[1]].title} {found[new[1]].abstract}".lower()
        word = next(
            w for w in re.findall(r"[a-z]{6,}", found[new[0]].title.lower()) if w not in other
        )
        user = conn.scalar(select(users.c.id).where(users.c.username == "vera"))
        add_interest(conn, int(user), "mute", "keyword", word, word)
    path = f"/papers/date/{NEWEST.isoformat()}"
    page = c.get(path).text
    assert "1 new</b> since your last visit on" in page
    only = c.get(path + "?new=1").text
    assert sorted(_cards(only)) == [new[1]]
    assert "Showing only the 1 paper new since your last visit" in only


def test_a_first_visit_shows_no_badge(site: tuple[TestClient, Engine]) -> None:
    c, engine = site
    sign_in_as(c, "vera", new=True)
    page = c.get("/daily").text
    assert BADGE not in page and "since your last visit" not in page
    assert _visits(engine, "vera")[0] is not None


def test_anonymous_pages_never_say_new_even_cached(site: tuple[TestClient, Engine]) -> None:
    c, engine = site
    anonymous = c.get("/daily").text  # kept in the shared page cache
    sign_in_as(c, "vera", new=True)
    new, _last = _new_papers(engine, "vera")
    assert _badged(c.get("/daily").text) == new
    c.cookies.clear()
    for path in ("/daily", "/daily?new=1", f"/papers/date/{NEWEST.isoformat()}"):
        shown = c.get(path).text
        assert BADGE not in shown and "since your last visit" not in shown, path
    assert BADGE not in anonymous
    assert c.get("/daily?new=1").text.count('<article class="card') == len(on_day(engine, NEWEST))


def test_feeds_and_api_tokens_are_no_visit(site: tuple[TestClient, Engine]) -> None:
    c, engine = site
    auth = bearer(c, "bot")
    assert c.get("/api/me/library", headers=auth).status_code == 200
    assert c.get("/daily", headers=auth).status_code == 200
    assert _visits(engine, "bot") == (None, None)
    sign_in_as(c, "vera", new=True)
    with engine.begin() as conn:
        conn.execute(update(users).values(last_visit_at=None, previous_visit_at=None))
    assert c.get("/feeds/daily.atom").status_code == 200
    assert c.get("/api/me/library").status_code == 200  # the site's own scripts' reads
    assert _visits(engine, "vera") == (None, None)
    assert c.get("/daily").status_code == 200
    assert _visits(engine, "vera")[0] is not None


def test_a_bad_new_value_is_refused_clearly(site: tuple[TestClient, Engine]) -> None:
    c, _engine = site
    sign_in_as(c, "vera", new=True)
    answer = c.get("/daily?new=yes")
    assert answer.status_code == 400
    assert "new: Input should be a valid integer" in answer.text
    assert c.get("/daily?new=2").status_code == 400


def test_for_you_cards_say_new_too(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    settings = web_settings(settings, page_size=20)
    fill_store(engine, settings, tmp_path / "listings")
    embed_papers(settings, engine)
    old = set(on_day(engine, DAYS[0]))
    with client(settings, engine) as c:
        sign_in_as(c, "fan", new=True)
        for pid in sorted(on_day(engine, DAYS[2]))[:2]:
            post_form(c, f"/papers/{pid}/rate", {"rating": "1"})
        _new_papers(engine, "fan")
        with engine.begin() as conn:  # every paper but the first day's is new
            recent = update(papers).where(papers.c.id.not_in(old))
            conn.execute(recent.values(listed_at=utcnow() - timedelta(hours=1)))
        page = c.get("/for-you?window=month").text
    shown = set(_cards(page))
    assert shown - old and shown & old  # both kinds ranked here
    assert _badged(page) == sorted(shown - old)


def test_a_visit_waits_not_for_a_long_sqlite_write(
    sqlite_settings: Settings, open_migrated: Callable[[Settings], Engine], tmp_path: Path
) -> None:
    """While another writer holds SQLite's lock (an ingest, a backup), the page view that
    begins a visit is served without waiting the store's busy timeout (ten minutes here): the
    visit is left out, and the first page view after the write notes it."""
    settings = web_settings(sqlite_settings, page_size=20, sqlite_busy_seconds=600)
    engine = open_migrated(settings)
    fill_store(engine, settings, tmp_path / "listings")
    with client(settings, engine) as c:
        sign_in_as(c, "vera", new=True)
        _new, last = _new_papers(engine, "vera")
        served: list[int] = []
        other = sqlite3.connect(settings.data_dir / "paperfeed.db")
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        try:
            view = threading.Thread(target=lambda: served.append(c.get("/daily").status_code))
            view.start()
            view.join(timeout=120)  # far below the busy timeout; far above a page view
            held_up = view.is_alive()
        finally:
            other.rollback()
            other.close()
        view.join()
        assert not held_up, "the page view waited for the other writer"
        assert served == [200]
        assert _visits(engine, "vera") == (last, None)  # left out
        assert c.get("/daily").status_code == 200
        assert _visits(engine, "vera")[1] == last  # noted by the next view
    engine.dispose()
