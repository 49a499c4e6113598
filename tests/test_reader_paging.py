"""A reader's mutes leave papers out before paging: pages stay full and none is skipped."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from html import unescape
from urllib.parse import urlencode

from sqlalchemy import Engine

from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store.listings import COUNT_ALL, SCAN_MOST, Page, kept_window, scan
from tests.web_support import DAYS, bearer, client, on_day, post_form, sign_up, stored

IDS = [f"p{i}" for i in range(10)]
HIDDEN = {"p2", "p3", "p7"}


def test_pages_are_formed_from_what_the_reader_sees() -> None:
    pages = [kept_window(IDS, HIDDEN, offset, 3, len(IDS)) for offset in (0, 3, 6)]
    assert [k.ids for k in pages] == [["p0", "p1", "p4"], ["p5", "p6", "p8"], ["p9"]]
    assert [k.hidden for k in pages] == [3, 3, 3]  # the whole list's, on every page
    assert {k.total for k in pages} == {7}


def test_scan_reads_a_short_listing_to_its_end_and_a_long_one_until_the_page_is_full() -> None:
    reads: list[tuple[int, int]] = []

    def reader(ids: list[str]) -> Callable[[int, int], Page]:
        def fetch(offset: int, limit: int) -> Page:
            reads.append((offset, limit))
            return Page(ids[offset : offset + limit], len(ids))

        return fetch

    def every_tenth(ids: Sequence[str]) -> set[str]:
        return {pid for pid in ids if int(pid[1:]) % 10}

    short = [f"q{i}" for i in range(COUNT_ALL)]
    kept = scan(reader(short), every_tenth, 0, 5)
    assert kept.ids == ["q0", "q10", "q20", "q30", "q40"] and kept.hidden == 900
    assert (kept.total, kept.exact) == (COUNT_ALL // 10, True)
    assert reads == [(0, 50), (50, COUNT_ALL - 50)]  # on to the end: the count is exact
    reads.clear()
    long = [f"q{i}" for i in range(10 * COUNT_ALL)]
    kept = scan(reader(long), every_tenth, 5, 5)
    assert kept.ids == ["q50", "q60", "q70", "q80", "q90"] and kept.hidden == 9000
    assert (kept.total, kept.exact) == (COUNT_ALL, False)  # estimated from the share seen
    assert reads == [(0, 50), (50, 100)]
    reads.clear()
    kept = scan(reader(long), lambda ids: {p for p in ids if p != "q4000"}, 0, 5)
    assert kept.ids == [] and reads[-1][0] + reads[-1][1] >= SCAN_MOST  # gave up in time
    assert len(reads) == 6 and reads[1] == (50, 100)  # chunks doubling


def _cards(html: str) -> list[str]:
    return re.findall(r'<article class="card[^"]*" data-id="([^"]+)"', html)


def test_muted_papers_leave_daily_and_search_pages_full(site: Settings, engine: Engine) -> None:
    embed_papers(site, engine)
    day_papers = {k: p for d in DAYS for k, p in on_day(engine, d).items()}
    year, week, _ = DAYS[0].isocalendar()
    day = f"/papers/week/{year}-W{week:02d}"
    with client(site, engine) as c:
        sign_up(c, "muter")
        everything: list[str] = []
        for page in range(1, 40):
            got = c.get(f"{day}?page={page}")
            if got.status_code == 404:
                break
            everything += _cards(got.text)
        assert len(everything) == len(day_papers) > 10
        # Mute the commonest category of the week's third paper that leaves two pages.
        counts = Counter(c for pid in everything for c in set(day_papers[pid].categories))
        third = sorted(day_papers[everything[2]].categories, key=lambda cat: -counts[cat])
        category = next(cat for cat in third if len(everything) - counts[cat] >= 10)
        post_form(c, "/me/mute", {"kind": "category", "value": category})
        seen = [pid for pid in everything if category not in day_papers[pid].categories]
        assert 10 <= len(seen) < len(everything)
        first, second = c.get(day).text, c.get(f"{day}?page=2").text
        assert _cards(first) == seen[:5] and _cards(second) == seen[5:10]
        hidden = len(everything) - len(seen)
        assert f"{hidden} hidden by your mutes · " in first  # the list's count, on every page
        assert f"{hidden} hidden by your mutes · " in second
        assert f" · {len(seen)} papers</p>" in first  # the reader's count, read to the end
        showing = c.get(f"{day}?show_muted=1").text
        assert _cards(showing) == everything[:5]
        # Paging on from there goes on showing them: the link keeps the choice.
        following = re.search(r'class="pager".*?<a rel="next" href="([^"]+)"', showing, re.S)
        assert following and "show_muted=1" in following[1]
        assert _cards(c.get(following[1].replace("&amp;", "&")).text) == everything[5:10]
        on_page = len([pid for pid in everything[:5] if pid not in seen])
        assert f"Showing the papers your mutes hide ({on_page} on this page)" in showing
        said = f"Hidden by your mute of the category {category}: shown because you asked."
        assert _marked(showing) == {pid: said for pid in everything[:5] if pid not in seen}
        assert not _marked(first)  # hidden there, so nothing to mark
        # Search: the muted category's papers are left out before paging too.
        papers = stored(engine)
        muted = {pid for pid, p in papers.items() if category in p.categories}
        title = papers[sorted(muted)[0]].title  # a muted paper's title: the plain top hit
        query = f"/search?{urlencode({'q': title})}"
        shown = c.get(query + "&show_muted=1").text
        plain = _cards(shown)
        assert re.search(r'class="pager".*?<a rel="next" href="[^"]*show_muted=1', shown, re.S)
        assert len(plain) == 5 and muted & set(plain)  # the plain page holds muted papers
        assert set(_marked(shown)) == (muted & set(plain)) - {sorted(muted)[0]}  # not the named
        # The paper the query names by its title is looked up, muted or not; the others are not.
        named = sorted(muted)[0]
        kept = _cards(c.get(query).text)
        assert len(kept) == 5 and kept[0] == named and not (muted - {named}) & set(kept)
        others = [pid for pid in plain if pid not in muted]
        assert others == kept[1:][: len(others)]
        for lookup in (named, f"arXiv:{named}", f"https://arxiv.org/abs/{named}"):
            page = c.get(f"/search?{urlencode({'q': lookup})}").text
            assert _cards(page) == [named] and "hidden by your mutes" not in page, lookup


def test_the_api_lists_leave_out_a_bearer_users_mutes(site: Settings, engine: Engine) -> None:
    embed_papers(site, engine)
    year, week, _ = DAYS[0].isocalendar()
    daily = f"/api/daily_papers?week={year}-W{week:02d}&limit=5"
    with client(site, engine) as c:
        auth = bearer(c, "apimuter")
        c.cookies.clear()

        def ids(path: str, headers: dict[str, str] | None = None) -> list[str]:
            got = c.get(path, headers=headers)
            assert got.status_code == 200, got.text
            return [item["paper"]["id"] for item in got.json()]

        public = ids(daily)
        assert len(public) == 5
        papers = stored(engine)
        category = papers[public[0]].categories[0]
        muted = {pid for pid, p in papers.items() if category in p.categories}
        added = c.post("/api/me/mutes", json={"kind": "category", "value": category}, headers=auth)
        assert added.status_code == 201, added.text
        got = c.get(daily, headers=auth)
        mine = [item["paper"]["id"] for item in got.json()]
        assert len(mine) == 5 and not muted & set(mine)
        everything = ids(daily.replace("limit=5", "limit=100"))
        seen = [pid for pid in everything if pid not in muted]
        assert len(seen) >= 5 and mine == seen[:5]
        assert got.headers["X-Hidden-By-Mutes"] == str(len(everything) - len(seen)) != "0"
        assert ids(daily + "&show_muted=true", auth) == public
        assert ids(daily) == public  # visitors' answer is not the user's (nor cached as it)
        trending = ids("/api/trending?limit=50")
        assert muted & set(trending)
        left = [p for p in trending if p not in muted]
        assert ids("/api/trending?limit=50", auth)[: len(left)] == left
        search = f"/api/papers/search?{urlencode({'q': papers[public[0]].title, 'limit': 5})}"
        plain = ids(search)
        assert plain[0] == public[0]  # the muted paper's own title finds it first
        found = c.get(search, headers=auth)
        assert found.status_code == 200
        kept = [item["paper"]["id"] for item in found.json()]
        # The paper its title names is looked up although muted; muted papers the words
        # merely match are left out.
        assert len(kept) == 5 and kept[0] == public[0] and not (muted - {public[0]}) & set(kept)
        assert int(found.headers["X-Hidden-By-Mutes"]) >= len(muted & set(plain)) - 1
        assert [pid for pid in plain if pid not in muted] == kept[1:][: len(set(plain) - muted)]


def test_for_you_says_what_the_mutes_hide_and_shows_it_on_request(
    site: Settings, engine: Engine
) -> None:
    embed_papers(site, engine)
    with client(site, engine) as c:
        sign_up(c, "formuter")
        for pid in sorted(on_day(engine, DAYS[2]))[:2]:
            post_form(c, f"/papers/{pid}/rate", {"rating": "1"})
        plain = _cards(c.get("/for-you?window=month").text)
        assert len(plain) >= 3 and "hidden by your mutes" not in c.get("/for-you").text
        papers = stored(engine)
        category = papers[plain[0]].categories[0]
        muted = {pid for pid, p in papers.items() if category in p.categories}
        post_form(c, "/me/mute", {"kind": "category", "value": category})
        page = c.get("/for-you?window=month").text
        kept = _cards(page)
        assert kept and not muted & set(kept)
        count = len(muted & set(plain))
        assert f"{count} hidden by your mutes on this page · " in page
        showing = c.get("/for-you?window=month&show_muted=1").text
        assert _cards(showing) == plain  # the ranking as it was, muted papers in
        assert f"Showing the papers your mutes hide ({count} on this page)" in showing
        assert set(_marked(showing)) == muted & set(plain) and count
        assert f"Hidden by your mute of the category {category}" in showing
        assert 'href="/for-you?window=month&amp;">hide them</a>' in showing
        # Page 2 counts what the mutes hide from its own stretch of the ranking, not page 1's.
        second = c.get("/for-you?window=month&page=2&show_muted=1").text
        on_second = len(muted & set(_cards(second)))
        assert _cards(second) and on_second != count  # the two pages differ here
        assert f"Showing the papers your mutes hide ({on_second} on this page)" in second
        hiding = c.get("/for-you?window=month&page=2").text
        said = f"{on_second} hidden by your mutes on this page · " if on_second else "hidden by"
        assert (said in hiding) == bool(on_second)


def _marked(page: str) -> dict[str, str]:
    """The cards of a page that say which mute would hide them, and what they say."""
    found = re.findall(r'<article class="card[^"]*" data-id="([^"]+)">(.*?)</article>', page, re.S)
    marks = {pid: re.search(r'<p class="muted-why">([^<]*)</p>', body) for pid, body in found}
    return {pid: unescape(m[1]) for pid, m in marks.items() if m}


def test_a_search_whose_results_are_all_muted_says_so(site: Settings, engine: Engine) -> None:
    """A search filtered to a muted category said "No results" above "184 hidden by your
    mutes"."""
    papers = stored(engine)
    category = Counter(c for p in papers.values() for c in p.categories).most_common(1)[0][0]
    one = next(p for p in papers.values() if category in p.categories)
    word = max(one.title.split(), key=len)
    query = f"/search?{urlencode({'q': word, 'category': category, 'mode': 'keyword'})}"
    with client(site, engine) as c:
        sign_up(c, "allmuted")
        assert _cards(c.get(query).text)  # there are results, before the mute
        post_form(c, "/me/mute", {"kind": "category", "value": category})
        page = c.get(query).text
        plain = c.get(f"/search?{urlencode({'q': 'zzqqxx', 'category': category})}").text
    assert "Nothing to show: your mutes hide every result" in page and not _cards(page)
    assert "hidden by your mutes" in page and "No results" not in page
    assert "No results" in plain and "Nothing to show" not in plain
