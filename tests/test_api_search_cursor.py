"""A data scientist walks a keyword search by date through the API, on SQLite and PostgreSQL,
while papers arrive: the cursor of /api/papers/search?mode=keyword&sort=date gives each once, in
(day, id) order, and a bad cursor is a 400 that says why."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from tests.web_support import DAYS, bearer, client

_NEXT = re.compile(r'<([^>]+)>; rel="next"')
WORD = "quasicrystal"
# Stored out of id order, several on one day: a day's papers came in the index's order.
MINE = {
    "2606.30005": 1,
    "2606.30001": 1,
    "2606.30004": 1,
    "2606.30002": 2,
    "2606.30009": 0,
    "2606.30003": 1,
    "2606.30007": 2,
}


def _add(engine: Engine, pid: str, day: int, author: str = "Ada Lovelace") -> None:
    paper = Paper(
        id=pid,
        title=f"Growing a {WORD} {pid}",
        abstract=f"A {WORD} grown slowly.",
        authors=(author,),
        categories=("cond-mat.mtrl-sci",),
        listing_date=DAYS[day],
    )
    with engine.begin() as conn:
        upsert_papers(conn, [paper])


def _walk(
    c: TestClient, params: dict[str, str], between: Callable[[int], None], **headers: str
) -> list[str]:
    """Every id the walk gives, following Link rel="next" (checked against X-Next-Cursor)."""
    seen: list[str] = []
    got = c.get("/api/papers/search", params=params, headers=headers)
    pages = 0
    while True:
        assert got.status_code == 200, got.text
        assert got.headers["x-search-mode"] == "keyword"
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


def _newest_first(ids: dict[str, int]) -> list[str]:
    return sorted(ids, key=lambda pid: (ids[pid], pid), reverse=True)


def test_a_search_walk_by_date_gives_each_paper_once_in_day_then_id_order(
    site: Settings, engine: Engine
) -> None:
    for pid, day in MINE.items():
        _add(engine, pid, day)
    ahead, behind = "2606.30008", "2606.30000"  # a place already passed; one still ahead
    params = {"q": WORD, "mode": "keyword", "sort": "date", "limit": "2"}
    with client(site, engine) as c:

        def meanwhile(page: int) -> None:
            if page == 0:
                _add(engine, ahead, 2)  # an offset page would repeat the day's last paper
                _add(engine, behind, 0)

        seen = _walk(c, params, meanwhile)
        assert seen == _newest_first(MINE | {behind: 0})
        again = _walk(c, params, lambda _n: None)  # now with both: the order is the same one
        assert again == _newest_first(MINE | {behind: 0, ahead: 2})
        bounded = {"since": DAYS[1].isoformat(), "until": DAYS[1].isoformat()}
        one_day = _walk(c, params | bounded | {"limit": "3"}, lambda _n: None)
        assert one_day == _newest_first({k: d for k, d in MINE.items() if d == 1})


def test_a_signed_in_search_walk_leaves_out_mutes(site: Settings, engine: Engine) -> None:
    for pid, day in MINE.items():
        _add(engine, pid, day, "Muted Person" if pid.endswith(("1", "3", "9")) else "Kept One")
    with client(site, engine) as c:
        auth = bearer(c, "searcher")
        muted = c.post(
            "/api/me/mutes", json={"kind": "author", "value": "Muted Person"}, headers=auth
        )
        assert muted.status_code < 300, muted.text
        params = {"q": WORD, "mode": "keyword", "sort": "date", "limit": "2"}
        seen = _walk(c, params, lambda _n: None, **auth)
    kept = {k: d for k, d in MINE.items() if not k.endswith(("1", "3", "9"))}
    assert seen == _newest_first(kept)


def test_a_bad_search_cursor_is_a_400_that_says_why(site: Settings, engine: Engine) -> None:
    for pid, day in MINE.items():
        _add(engine, pid, day)
    base = {"q": WORD, "mode": "keyword", "sort": "date", "limit": "2"}
    with client(site, engine) as c:
        first = c.get("/api/papers/search", params=base)
        cursor = first.headers["x-next-cursor"]
        daily = c.get("/api/daily_papers", params={"sort": "new", "limit": "2"})
        tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
        for params, says in [
            (base | {"cursor": tampered}, "not one this site made"),
            (base | {"cursor": "<script>alert(1)</script>"}, "not one"),
            (base | {"q": "crystal", "cursor": cursor}, "another list"),
            (base | {"cursor": daily.headers["x-next-cursor"]}, "another list"),
            (base | {"mode": "hybrid", "cursor": cursor}, "only sort=date with mode=keyword"),
            (base | {"mode": "semantic", "cursor": cursor}, "how deep the search reads"),
            ({**base, "sort": "relevance", "cursor": cursor}, "only sort=date"),
            (base | {"cursor": cursor, "p": "1"}, "not both"),
        ]:
            got = c.get("/api/papers/search", params=params)
            assert got.status_code == 400, (params, got.text)
            detail = got.json()["detail"]
            assert detail.startswith("cursor:") and says in detail and "<script>" not in detail
        fine = c.get("/api/papers/search", params=base | {"cursor": cursor})
        assert fine.status_code == 200 and len(fine.json()) == 2
        hybrid = c.get("/api/papers/search", params=base | {"mode": "hybrid"})
        assert hybrid.status_code == 200 and "x-next-cursor" not in hybrid.headers
        doc = c.get("/openapi.json").json()
        search = doc["paths"]["/api/papers/search"]["get"]
        assert "X-Next-Cursor" in search["responses"]["200"]["headers"]
        assert "cursor" in {p["name"] for p in search["parameters"]}
