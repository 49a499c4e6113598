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
from paperfeed.store.library import ensure_collection
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


# For you: the same count and "Show only new" over the reader's ranking.


@pytest.fixture
def ranked(
    settings: Settings, engine: Engine, tmp_path: Path
) -> Iterator[tuple[TestClient, Engine]]:
    """A reader ("fan") who rated two papers of the first day 👍, on their first visit, over
    a store whose For you pages hold two papers each."""
    settings = web_settings(settings, page_size=2)
    fill_store(engine, settings, tmp_path / "listings")
    embed_papers(settings, engine)
    with client(settings, engine) as c:
        sign_in_as(c, "fan", new=True)
        for pid in sorted(on_day(engine, DAYS[0]))[:2]:
            post_form(c, f"/papers/{pid}/rate", {"rating": "1"})
        yield c, engine


def _for_you_ids(c: TestClient, path: str) -> list[str]:
    """The papers a For you address ranks, in order, read down its pages."""
    found: list[str] = []
    while True:
        page = c.get(path).text
        found += list(_cards(page))
        more = re.search(r'rel="next" href="([^"]+)"', page)
        if more is None:
            return found
        path = more.group(1).replace("&amp;", "&")


def _listed_since_last_visit(engine: Engine, reader: str, ids: list[str]) -> None:
    """The reader's last visit was two hours ago; `ids` were listed since, every other paper
    three days ago."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(update(papers).values(listed_at=now - timedelta(days=3)))
        recent = update(papers).where(papers.c.id.in_(ids))
        conn.execute(recent.values(listed_at=now - timedelta(hours=1)))
        seen = update(users).where(users.c.username == reader)
        conn.execute(seen.values(last_visit_at=now - timedelta(hours=2), previous_visit_at=None))


def _returning(c: TestClient, engine: Engine) -> tuple[list[str], list[str]]:
    """The week's ranking on a first visit, then three of its papers (the 2nd, 4th and 6th)
    listed since the reader's last visit; the ranking, and those three."""
    first = _for_you_ids(c, "/for-you?window=week")
    assert len(first) >= 7 and "since your last visit" not in c.get("/for-you").text
    new = [first[1], first[3], first[5]]
    _listed_since_last_visit(engine, "fan", new)
    return first, new


def test_for_you_says_how_many_of_its_papers_are_new(ranked: tuple[TestClient, Engine]) -> None:
    c, engine = ranked
    _first, new = _returning(c, engine)
    page = c.get("/for-you?window=week").text
    assert "<b>3 new</b> since your last visit on" in page
    assert 'href="/for-you?window=week&amp;new=1">Show only new</a>' in page
    assert 'href="/for-you?window=month">This month</a>' in page  # no filter: none kept
    _listed_since_last_visit(engine, "fan", new)  # the For you API is no visit
    before = _visits(engine, "fan")
    assert c.get("/api/me/feed?window=week").status_code == 200
    assert _visits(engine, "fan") == before


def test_for_you_shows_only_new_in_rank_order(ranked: tuple[TestClient, Engine]) -> None:
    """`?new=1` keeps the ranking's order, pages through just those papers, and its window
    links, pager and "Rank by" form keep it."""
    c, engine = ranked
    _first, new = _returning(c, engine)
    everything = _for_you_ids(c, "/for-you?window=week")
    expected = [pid for pid in everything if pid in new]
    assert sorted(expected) == sorted(new)
    page = c.get("/for-you?window=week&new=1").text
    assert list(_cards(page)) == _badged(page) == expected[:2]  # ranked order, two a page
    assert "Showing only the 3 papers new since your last visit on" in page
    assert 'href="/for-you?window=week">Show all papers</a>' in page
    assert 'href="/for-you?window=month&amp;new=1">This month</a>' in page
    assert 'href="/for-you?window=week&amp;new=1&amp;page=2">Further down' in page
    assert _for_you_ids(c, "/for-you?window=week&new=1") == expected
    assert sorted(_for_you_ids(c, "/for-you?window=month&new=1")) == sorted(new)
    month = c.get("/for-you?window=month&new=1").text
    assert "Showing only the 3 papers" in month
    assert 'href="/for-you?window=week&amp;new=1">This week</a>' in month
    with engine.begin() as conn:  # a reader with a collection is offered "Rank by"
        user = conn.execute(select(users.c.id).where(users.c.username == "fan")).scalar_one()
        ensure_collection(conn, user, "Reading group")
    rank_by = c.get("/for-you?window=week&new=1").text.split('class="rank-by"', 1)[1]
    assert '<input type="hidden" name="new" value="1">' in rank_by.split("</form>", 1)[0]


def test_for_you_counts_only_what_it_shows(ranked: tuple[TestClient, Engine]) -> None:
    """A new paper the reader's mutes hide, or one rated 👎 (not interested), is neither
    counted nor listed; shown again with the muted ones, it is counted again."""
    c, engine = ranked
    _first, new = _returning(c, engine)
    with engine.begin() as conn:
        found = get_papers(conn, new)
        others = " ".join(f"{p.title} {p.abstract}" for p in found.values() if p.id != new[0])
        word = next(
            w
            for w in re.findall(r"[a-z]{6,}", found[new[0]].title.lower())
            if w not in others.lower()
        )
        user = conn.execute(select(users.c.id).where(users.c.username == "fan")).scalar_one()
        add_interest(conn, int(user), "mute", "keyword", word, word)
    assert "<b>2 new</b> since your last visit" in c.get("/for-you?window=week").text
    assert new[0] not in _for_you_ids(c, "/for-you?window=week&new=1")
    muted_too = c.get("/for-you?window=week&show_muted=1").text
    assert "<b>3 new</b>" in muted_too
    assert "/for-you?window=week&amp;show_muted=1&amp;new=1" in muted_too
    post_form(c, f"/papers/{new[1]}/rate", {"rating": "-1"})
    page = c.get("/for-you?window=week&new=1").text
    assert "Showing only the 1 paper new since your last visit" in page
    assert list(_cards(page)) == [new[2]]


def _mute_a_word_of(engine: Engine, pid: str, apart: list[str]) -> None:
    """The reader "fan" mutes a word of `pid`'s title that no paper of `apart` has."""
    with engine.begin() as conn:
        found = get_papers(conn, [pid, *apart])
        others = " ".join(f"{p.title} {p.abstract}" for p in found.values() if p.id != pid)
        word = next(
            w for w in re.findall(r"[a-z]{6,}", found[pid].title.lower()) if w not in others.lower()
        )
        user = conn.execute(select(users.c.id).where(users.c.username == "fan")).scalar_one()
        add_interest(conn, int(user), "mute", "keyword", word, word)


def _mutes_note(page: str) -> str:
    found = re.search(r'<p class="muted-note"[^>]*>(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)) if found else ""


def test_only_new_counts_only_new_papers_hidden_by_mutes(
    ranked: tuple[TestClient, Engine],
) -> None:
    """With "Show only new", the "hidden by your mutes" note counts the new papers the mutes
    hide from that page, not those of the whole ranking's page."""
    c, engine = ranked
    first, new = _returning(c, engine)
    _mute_a_word_of(engine, first[0], new)  # the top paper, not new
    assert first[0] not in _for_you_ids(c, "/for-you?window=week")
    assert _mutes_note(c.get("/for-you?window=week&new=1").text) == ""
    _mute_a_word_of(engine, new[0], [p for p in new if p != new[0]])
    page = c.get("/for-you?window=week&new=1").text
    assert _mutes_note(page).startswith("1 hidden by your mutes on this page")
    assert new[0] not in _cards(page)
    shown = c.get("/for-you?window=week&new=1&show_muted=1").text
    assert new[0] in _cards(shown)
    assert _mutes_note(shown).startswith("Showing the papers your mutes hide (1 on this page)")


def test_for_you_with_nothing_new_says_so(ranked: tuple[TestClient, Engine]) -> None:
    c, engine = ranked
    assert _for_you_ids(c, "/for-you?window=week")
    _listed_since_last_visit(engine, "fan", [])
    assert "<b>0 new</b> since your last visit on" in c.get("/for-you?window=week").text
    page = c.get("/for-you?window=week&new=1").text
    assert not _cards(page)
    assert "Showing only the 0 papers new since your last visit" in page
    assert "None of the papers ranked here is new since your last visit." in page
    assert "Nothing to rank yet" not in page


def test_home_is_for_you_with_its_count(ranked: tuple[TestClient, Engine]) -> None:
    c, engine = ranked
    _first, new = _returning(c, engine)
    home = c.get("/").text
    assert 'class="cards foryou"' in home and "<b>3 new</b> since your last visit" in home
    assert 'href="/for-you?window=week&amp;new=1">Show only new</a>' in home
    only = c.get("/?new=1").text
    assert set(_cards(only)) <= set(new) and "Showing only the 3 papers" in only


def test_for_you_refuses_a_bad_new_value(ranked: tuple[TestClient, Engine]) -> None:
    c, _engine = ranked
    for path in ("/for-you?new=yes", "/?new=yes"):
        answer = c.get(path)
        assert answer.status_code == 400, path
        assert "new: Input should be a valid integer" in answer.text
    assert c.get("/for-you?new=2").status_code == 400


def _reasons(c: TestClient, path: str) -> list[str]:
    """The one-line reason of every card a For you address shows, read down its pages."""
    found: list[str] = []
    while True:
        page = c.get(path).text
        for card in _cards(page).values():
            why = re.search(r'<p class="why">Why: ([^<]*)</p>', card)
            found.append(why.group(1).strip() if why else "")
        more = re.search(r'rel="next" href="([^"]+)"', page)
        if more is None:
            return found
        path = more.group(1).replace("&amp;", "&")


def test_a_returning_reader_gets_a_reason_on_every_card(ranked: tuple[TestClient, Engine]) -> None:
    """A returning reader's For you is ranked deep enough to count what is new on every page,
    but reasons are worded only for what a page shows: every shown card, on every page and
    with ?new=1, still says why."""
    c, engine = ranked
    first, new = _returning(c, engine)
    everywhere = _reasons(c, "/for-you?window=week")
    assert len(everywhere) == len(first) and all(everywhere), everywhere
    only_new = _reasons(c, "/for-you?window=week&new=1")
    assert len(only_new) == len(new) and all(only_new), only_new


START = '<p class="start-here" role="note">'


def test_only_a_new_readers_home_points_at_where_to_start(
    site: tuple[TestClient, Engine],
) -> None:
    """A signed-in reader with nothing for For you to rank towards is shown, on the home page
    only, where to start (their For you list, the library import); not an anonymous visitor,
    not /daily, and no more once they have saved a paper (home is then For you)."""
    c, engine = site
    assert START not in c.get("/").text  # anonymous (and the shared cache it fills)
    sign_in_as(c, "newcomer", new=True)
    home = c.get("/").text
    assert START in home
    note = home.split(START, 1)[1].split("</p>", 1)[0]
    assert 'href="/for-you">Start your For you list</a>' in note
    assert 'href="/library/import">Import</a>' in note
    assert START not in c.get("/daily").text
    c.cookies.clear()
    assert START not in c.get("/").text  # signed out again: the cached page never says it
    sign_in_as(c, "newcomer")
    pid = sorted(on_day(engine, NEWEST))[0]
    post_form(c, f"/papers/{pid}/save", {"saved": "1", "next": "/"})
    assert START not in c.get("/").text
