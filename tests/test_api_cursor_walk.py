"""A data scientist walks a whole period through the API, on SQLite and PostgreSQL, while people
upvote and late papers arrive: the cursor of /api/daily_papers?sort=new gives each paper once."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from tests.web_support import DAYS, bearer, client, stored

WEEK = "2026-W26"  # holds all three DAYS
_NEXT = re.compile(r'<([^>]+)>; rel="next"')


def _late(engine: Engine, pid: str, day_index: int) -> None:
    paper = Paper(
        id=pid, title=f"A late paper {pid}", abstract="Late.", listing_date=DAYS[day_index]
    )
    with engine.begin() as conn:
        upsert_papers(conn, [paper])


def _walk(
    c: TestClient, params: dict[str, str], between: Callable[[int], None], **headers: str
) -> list[str]:
    """Every id the walk gives, following Link rel="next" (each step checked against
    X-Next-Cursor); `between(n)` runs after page n."""
    seen: list[str] = []
    got = c.get("/api/daily_papers", params=params, headers=headers)
    pages = 0
    while True:
        assert got.status_code == 200, got.text
        seen += [item["paper"]["id"] for item in got.json()]
        between(pages)
        pages += 1
        following = _NEXT.search(got.headers.get("link", ""))
        if following is None:
            assert "x-next-cursor" not in got.headers
            return seen
        assert f"cursor={got.headers['x-next-cursor']}" in following.group(1)
        assert pages < 50, "the walk does not end"
        got = c.get(following.group(1), headers=headers)


def test_a_walk_gives_each_paper_once_while_papers_are_upvoted_and_added(
    site: Settings, engine: Engine
) -> None:
    """Offset pages repeated a paper when a late one joined an earlier place of the list and
    skipped one when an upvote moved it; the cursor goes on right after the last paper seen."""
    before = {pid for pid, p in stored(engine).items() if p.listing_date in DAYS}
    with client(site, engine) as c:
        auth = bearer(c, "walker")
        ahead, behind = "2606.99990", "2606.00001"  # newest day's top; oldest day's end

        def meanwhile(page: int) -> None:
            if page == 0:
                _late(engine, ahead, 2)  # before the cursor: an offset page would repeat one
                _late(engine, behind, 0)  # after it: comes once
            if page == 1:
                for pid in sorted(before)[:3]:  # reorders the vote sort, not this one
                    assert c.post(f"/api/papers/{pid}/upvote", headers=auth).status_code < 300

        seen = _walk(c, {"week": WEEK, "sort": "new", "limit": "4"}, meanwhile)
    assert len(seen) == len(set(seen)), "a paper came twice"
    assert set(seen) - {ahead} == before | {behind}


def test_a_signed_in_walk_leaves_out_mutes_and_still_gives_each_paper_once(
    site: Settings, engine: Engine
) -> None:
    papers = {pid: p for pid, p in stored(engine).items() if p.listing_date == DAYS[1]}
    with client(site, engine) as c:
        auth = bearer(c, "muter")
        muted = next(p for p in papers.values() if p.authors)
        added = c.post(
            "/api/me/mutes", json={"kind": "author", "value": muted.authors[0]}, headers=auth
        )
        assert added.status_code < 300, added.text
        hidden = {pid for pid, p in papers.items() if muted.authors[0] in p.authors}
        params = {"date": DAYS[1].isoformat(), "sort": "new", "limit": "3"}
        seen = _walk(c, params, lambda _n: None, **auth)
        everyone = _walk(c, params, lambda _n: None)
    assert len(seen) == len(set(seen)) and set(seen) == set(papers) - hidden
    assert sorted(everyone) == sorted(papers)


def test_the_newest_day_walk_stays_on_the_day_it_started(site: Settings, engine: Engine) -> None:
    """Without a date the list is the newest day: a day listed mid-walk does not cut it short."""
    newest = {pid for pid, p in stored(engine).items() if p.listing_date == DAYS[2]}
    with client(site, engine) as c:

        def next_day(page: int) -> None:
            if page == 0:
                later = Paper(
                    id="2606.99991", title="Next day", listing_date=DAYS[2].replace(day=27)
                )
                with engine.begin() as conn:
                    upsert_papers(conn, [later])

        seen = _walk(c, {"sort": "new", "limit": "3"}, next_day)
    assert sorted(seen) == sorted(newest)


def test_a_bad_cursor_is_a_400_that_says_why(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        first = c.get("/api/daily_papers", params={"week": WEEK, "sort": "new", "limit": "2"})
        cursor = first.headers["x-next-cursor"]
        tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
        for params, says in [
            ({"week": WEEK, "sort": "new", "cursor": tampered}, "not one this site made"),
            ({"week": WEEK, "sort": "new", "cursor": "<script>alert(1)</script>"}, "not one"),
            ({"month": "2026-06", "sort": "new", "cursor": cursor}, "another list"),
            ({"week": WEEK, "cursor": cursor}, "only sort=new"),
            ({"week": WEEK, "sort": "new", "cursor": cursor, "p": "1"}, "not both"),
        ]:
            got = c.get("/api/daily_papers", params=params)
            assert got.status_code == 400, (params, got.text)
            detail = got.json()["detail"]
            assert detail.startswith("cursor:") and says in detail and "<script>" not in detail
        fine = c.get(
            "/api/daily_papers",
            params={"week": WEEK, "sort": "new", "limit": "2", "cursor": cursor},
        )
        assert fine.status_code == 200 and len(fine.json()) == 2
        assert not {i["paper"]["id"] for i in fine.json()} & {
            i["paper"]["id"] for i in first.json()
        }
        doc = c.get("/openapi.json").json()
        daily = doc["paths"]["/api/daily_papers"]["get"]
        assert "X-Next-Cursor" in daily["responses"]["200"]["headers"]
        assert "cursor" in {p["name"] for p in daily["parameters"]}


def test_a_newest_day_walk_by_page_stays_on_its_day(site: Settings, engine: Engine) -> None:
    """Without a date, the pages' links named no day: a day listed mid-walk switched the walk
    to it after its first page (page 2 of the new day, papers of the old one never seen)."""
    newest = {pid for pid, p in stored(engine).items() if p.listing_date == DAYS[2]}
    seen: list[str] = []
    with client(site, engine) as c:
        got = c.get("/api/daily_papers", params={"limit": "3"})
        while True:
            assert got.status_code == 200, got.text
            seen += [item["paper"]["id"] for item in got.json()]
            link = _NEXT.search(got.headers.get("link", ""))
            if link is None:
                break
            assert f"date={DAYS[2].isoformat()}" in link.group(1), link.group(1)
            if len(seen) == 3:  # the next day arrives after the first page
                later = Paper(id="2606.99991", title="Next day", listing_date=date(2026, 6, 27))
                with engine.begin() as conn:
                    upsert_papers(conn, [later])
            parts = urlsplit(link.group(1))
            got = c.get(f"{parts.path}?{parts.query}")
    assert sorted(seen) == sorted(newest) and len(seen) == len(set(seen))
