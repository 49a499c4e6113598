"""A day's, week's or month's papers by topic (`/topics/...`), on both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store import get_papers
from paperfeed.store.library import save_paper, user_collections
from paperfeed.store.library.following import add_interest
from paperfeed.web.periods import day_period, month_period, week_period
from tests.web_support import (
    DAYS,
    HOSTILE_ID,
    client,
    fill_store,
    on_day,
    sign_in_as,
    user_id,
    web_settings,
)

_ROW = re.compile(r'<li><a href="/papers/([^"]+)">')


@pytest.fixture
def store(settings: Settings, engine: Engine, tmp_path: Path) -> Settings:
    site = web_settings(settings)
    fill_store(engine, site, tmp_path / "listings")
    return site


def _topics(page: str) -> dict[str, list[str]]:
    """Each topic's name and its papers, in order, as the page lists them (open and "more")."""
    found: dict[str, list[str]] = {}
    for section in page.split('<section class="topic')[1:]:
        name = re.search(r'<h2 id="[^"]+">(.*?) <span', section, re.S)
        assert name is not None
        found[unescape(name.group(1))] = _ROW.findall(section.split("</section>")[0])
    return found


def _topics_of(c: TestClient, path: str) -> dict[str, list[str]]:
    got = c.get(path)
    assert got.status_code == 200, got.text
    return _topics(got.text)


def test_a_day_by_topic_lists_each_paper_once_named_and_linked(
    store: Settings, engine: Engine
) -> None:
    embed_papers(store, engine)
    day = DAYS[1]
    ids = set(on_day(engine, day))
    with client(store, engine) as c:
        daily = c.get(day_period(day).path).text
        link = f'href="/topics/date/{day.isoformat()}">by topic</a>'
        assert link in daily
        page = c.get(f"/topics/date/{day.isoformat()}").text
        found = _topics(page)
        listed = [pid for papers in found.values() for pid in papers]
        assert sorted(listed) == sorted(ids)  # each paper of the day, once
        assert "Not yet grouped" not in page and len(found) == 2
        for name in found:
            assert 1 <= len(name.split(" · ")) <= 3 and "<" not in name
        index = re.findall(r'<li>(?:<svg class="swatch".*?</svg> )?<a href="#(topic-\d+)">', page)
        assert index == [f"topic-{n}" for n in range(1, len(found) + 1)]
        assert all(f'id="{anchor}"' in page for anchor in index)
        assert f'href="{day_period(day).path}">list</a>' in page
        # the Day, Week and Month switch stays on topics
        assert f'href="/topics/week/{week_period(day).slug}">Week</a>' in page
        assert f'href="/topics/month/{month_period(day).slug}">Month</a>' in page
        searched = re.search(r'<p class="topic-search"><a href="([^"]+)">', page)
        assert searched is not None
        got = c.get(unescape(searched.group(1)))
        assert got.status_code == 200 and "No results" not in got.text
        assert 'class="card' in got.text


def test_papers_without_an_embedding_wait_in_their_own_group(
    store: Settings, engine: Engine
) -> None:
    day = DAYS[0]
    with client(store, engine) as c:
        page = c.get(f"/topics/date/{day.isoformat()}").text
        assert list(_topics(page)) == ["Not yet grouped"]
        assert sorted(_topics(page)["Not yet grouped"]) == sorted(on_day(engine, day))
        assert "paperfeed embed" in page
        embed_papers(store, engine)  # no data version changes: the page was not kept
        after = _topics_of(c, f"/topics/date/{day.isoformat()}")
    assert "Not yet grouped" not in after
    assert sorted(p for ps in after.values() for p in ps) == sorted(on_day(engine, day))


def test_a_week_and_a_category_keep_to_their_papers(store: Settings, engine: Engine) -> None:
    embed_papers(store, engine)
    week = week_period(DAYS[0])
    with client(store, engine) as c:
        whole = _topics_of(c, f"/topics/week/{week.slug}")
        every = sorted(pid for papers in whole.values() for pid in papers)
        assert every == sorted(
            p for d in DAYS for p in on_day(engine, d) if week.start <= d <= week.end
        )
        with engine.connect() as conn:
            found = get_papers(conn, every)
        wanted = {pid for pid, p in found.items() if "cs.CV" in p.categories}
        assert 0 < len(wanted) < len(every)
        page = c.get(f"/topics/week/{week.slug}?category=cs.cv").text
        kept = sorted(pid for papers in _topics(page).values() for pid in papers)
        assert kept == sorted(wanted) and "in cs.CV" in page
        assert f'href="/papers/week/{week.slug}?category=cs.CV">list</a>' in page


def test_topics_of_the_newest_day_and_bad_addresses(store: Settings, engine: Engine) -> None:
    with client(store, engine) as c:
        moved = c.get("/topics?category=cs.LG", follow_redirects=False)
        assert moved.status_code == 302
        assert moved.headers["location"] == f"/topics/date/{DAYS[-1].isoformat()}?category=cs.LG"
        for path, status, says in (
            ("/topics/year/2026", 404, "topics are shown for a date, a week, a month"),
            ("/topics/date/2026-13-01", 400, "2026-13-01"),
            ("/topics/week/2026-W99", 400, "2026-W99"),
            ("/topics/date/2026-06-24?category=cs.NOPE", 400, "cs.NOPE"),
        ):
            got = c.get(path)
            assert got.status_code == status and says in unescape(got.text), path
        empty = c.get("/topics/date/2020-01-01")
        assert empty.status_code == 200 and "No papers for" in empty.text


def test_a_hostile_title_is_inert(store: Settings, engine: Engine) -> None:
    embed_papers(store, engine)
    with client(store, engine) as c:
        page = c.get(f"/topics/date/{DAYS[1].isoformat()}").text
    assert HOSTILE_ID in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;title&#39;)" in page
    assert "<b>Bold</b>" not in page


@pytest.fixture
def reader(store: Settings, engine: Engine) -> Iterator[TestClient]:
    embed_papers(store, engine)
    with client(store, engine) as c:
        sign_in_as(c, "moira", new=True)
        yield c


def test_the_reader_s_mutes_hide_papers_and_say_so(reader: TestClient, engine: Engine) -> None:
    day = DAYS[1].isoformat()
    before = sorted(p for ps in _topics_of(reader, f"/topics/date/{day}").values() for p in ps)
    assert HOSTILE_ID in before
    user = user_id(engine, "moira")
    with engine.begin() as conn:
        add_interest(conn, user, "mute", "category", "cs.CR", "cs.CR")
    page = reader.get(f"/topics/date/{day}").text
    after = sorted(p for ps in _topics(page).values() for p in ps)
    assert after == [p for p in before if p != HOSTILE_ID]
    assert "1 hidden by your mutes" in page
    shown = reader.get(f"/topics/date/{day}?show_muted=1").text
    assert HOSTILE_ID in shown and "Showing the papers your mutes hide (1" in shown


def test_a_topic_s_own_page_lists_all_of_it(
    store: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The overview lists a topic's first papers (here 2: LISTED patched) and links to the
    topic's own page, which lists every one; a topic the page does not have is a 404."""
    from paperfeed.web.views import topics

    embed_papers(store, engine)
    monkeypatch.setattr(topics, "LISTED", 2)
    path = f"/topics/week/{week_period(DAYS[0]).slug}"
    with client(store, engine) as c:
        whole = c.get(path).text
        assert all(len(papers) <= 2 for papers in _topics(whole).values())
        link = re.search(r'<a href="([^"]+)">All (\d+) papers of this topic</a>', whole)
        assert link is not None and link.group(1) == f"{path}?topic=1"
        one = c.get(unescape(link.group(1))).text
        found = _topics(one)
        assert len(found) == 1 and len(next(iter(found.values()))) == int(link.group(2))
        assert f'<a href="{path}#topic-1">← All topics of' in one
        assert "topic-index" not in one
        missing = c.get(f"{path}?topic=99")
        assert missing.status_code == 404 and "there is no topic 99 here" in missing.text
        assert c.get(f"{path}?topic=0").status_code in (400, 422)


def test_the_api_groups_as_the_page_does(store: Settings, engine: Engine) -> None:
    """`GET /api/topics` answers the page's topics (words, sizes, papers in order), the papers
    waiting for an embedding, and a caller's mutes; bad periods are 4xx."""
    from paperfeed.web.views.topics import MOST_PAPERS

    week = week_period(DAYS[0])
    with client(store, engine) as c:
        waiting = c.get(f"/api/topics?week={week.slug}").json()
        assert waiting["topics"] == [] and waiting["total"] == len(waiting["waiting"]) > 0
        embed_papers(store, engine)
        got = c.get(f"/api/topics?week={week.slug}")
        assert got.status_code == 200, got.text
        found = got.json()
        page = _topics_of(c, f"/topics/week/{week.slug}")
        assert [" · ".join(t["label"]) for t in found["topics"]] == list(page)
        assert [t["papers"] for t in found["topics"]] == list(page.values())
        assert all(t["size"] == len(t["papers"]) == len(t["places"]) for t in found["topics"])
        places = {
            p: xy for t in found["topics"] for p, xy in zip(t["papers"], t["places"], strict=True)
        }
        assert all(len(xy) == 2 and 0 <= min(xy) <= max(xy) <= 1 for xy in places.values())
        dots = _dots(c.get(f"/topics/week/{week.slug}").text)  # the page's map, drawn from them
        drawn = {
            p: (round(x / 1000, 3), round((y - 24) / 536, 3)) for p, (x, y, *_) in dots.items()
        }
        assert drawn == {p: (round(x, 3), round(y, 3)) for p, (x, y) in places.items()}
        assert found["period"] == {
            "kind": "week",
            "start": week.start.isoformat(),
            "end": week.end.isoformat(),
        }
        assert found["waiting"] == [] and found["grouped"] == found["total"]
        assert found["hiddenByMutes"] == 0
        newest = c.get("/api/topics").json()["period"]
        assert newest["kind"] == "date" and newest["start"] == DAYS[-1].isoformat()
        for bad in ("?date=2026-13-01", "?week=2026-W26&month=2026-06", "?category=cs.NOPE"):
            assert c.get(f"/api/topics{bad}").status_code in (400, 422), bad
        described = c.get("/openapi.json").json()["paths"]["/api/topics"]["get"]["description"]
        assert f"{MOST_PAPERS:,} papers" in described
        sign_in_as(c, "moira", new=True)
        token = c.post(
            "/api/login", json={"username": "moira", "password": "correct horse battery"}
        )
        auth = {"Authorization": f"Bearer {token.json()['token']}"}
        user = user_id(engine, "moira")
        with engine.begin() as conn:
            add_interest(conn, user, "mute", "category", "cs.CR", "cs.CR")
        day = DAYS[1].isoformat()
        mine = c.get(f"/api/topics?date={day}", headers=auth).json()
        assert mine["hiddenByMutes"] == 1
        assert HOSTILE_ID not in [p for t in mine["topics"] for p in t["papers"]]
        shown = c.get(f"/api/topics?date={day}&show_muted=true", headers=auth).json()
        assert HOSTILE_ID in [p for t in shown["topics"] for p in t["papers"]]


_DOT = re.compile(
    r'<a href="/papers/([^"]+)" tabindex="-1"><circle cx="([\d.]+)" cy="([\d.]+)" r="[\d.]+"'
    r' fill="(#[0-9a-f]{6})"( class="saved")?><title>([^<]*)</title>'
)
_SWATCH = re.compile(r'<li><svg class="swatch"[^>]*><circle [^>]*fill="(#[0-9a-f]{6})"/></svg>')


def _dots(page: str) -> dict[str, tuple[float, float, str, bool, str]]:
    """Each dot of the page's map: its paper, place, colour, ring and title."""
    drawn = page.split('<figure class="topic-map">')[1].split("</figure>")[0]
    found = {
        m[0]: (float(m[1]), float(m[2]), m[3], bool(m[4]), unescape(m[5]))
        for m in _DOT.findall(drawn)
    }
    assert len(found) == drawn.count("<circle"), "every dot read"
    return found


def test_the_map_draws_each_listed_paper_in_its_topic_s_colour_near_its_topic(
    store: Settings, engine: Engine
) -> None:
    """The overview's map has one dot per listed paper, linked to it, titled with its plain
    title, in the colour its topic has in the index; a topic's papers sit closer to one another
    than to the other topic's; the page of one topic draws none."""
    embed_papers(store, engine)
    path = f"/topics/week/{week_period(DAYS[0]).slug}"
    with client(store, engine) as c:
        page = c.get(path).text
        one = c.get(f"{path}?topic=1").text
    topics = _topics(page)
    dots = _dots(page)
    assert sorted(dots) == sorted(p for papers in topics.values() for p in papers)
    colours = _SWATCH.findall(page)
    assert len(colours) == len(topics) >= 2 and len(set(colours)) == len(colours)
    with engine.connect() as conn:
        papers = get_papers(conn, list(dots))
    for colour, members in zip(colours, topics.values(), strict=True):
        assert {dots[p][2] for p in members} == {colour}
    for pid, (x, y, _, saved, title) in dots.items():
        assert 0 <= x <= 1000 and 0 <= y <= 560 and not saved
        assert title == " ".join(papers[pid].title.split()) or "$" in papers[pid].title
    groups = list(topics.values())
    within = [_mean_distance(dots, g, g) for g in groups]
    between = _mean_distance(dots, groups[0], groups[1])
    assert max(within[:2]) < between
    assert 'class="topic-map"' not in one


def _mean_distance(
    dots: dict[str, tuple[float, float, str, bool, str]], a: list[str], b: list[str]
) -> float:
    pairs = [(p, q) for p in a for q in b if p != q]
    total = sum(
        ((dots[p][0] - dots[q][0]) ** 2 + (dots[p][1] - dots[q][1]) ** 2) ** 0.5 for p, q in pairs
    )
    return total / max(len(pairs), 1)


def test_the_map_rings_the_reader_s_saved_papers(reader: TestClient, engine: Engine) -> None:
    day = DAYS[1].isoformat()
    first = next(iter(_topics_of(reader, f"/topics/date/{day}").values()))[0]
    user = user_id(engine, "moira")
    with engine.begin() as conn:
        save_paper(conn, user, first)
    page = reader.get(f"/topics/date/{day}").text
    assert [p for p, dot in _dots(page).items() if dot[3]] == [first]
    assert "Ringed: the 1 in your library." in page


def test_a_reader_s_library_by_topic_groups_and_maps_only_their_papers(
    reader: TestClient, engine: Engine
) -> None:
    """/library/topics groups the reader's saved papers (or one collection's) by topic, each
    once, on a map with no ring (all are saved); the library page links it; a collection not
    theirs is a 404 and an empty library says how to start."""
    empty = reader.get("/library/topics")
    assert empty.status_code == 200 and "Nothing saved yet" in empty.text
    assert 'href="/library/topics">By topic</a>' not in reader.get("/library").text
    week = sorted(p for d in DAYS[:3] for p in on_day(engine, d))
    mine, kept = week[::2], week[::6]
    user = user_id(engine, "moira")
    with engine.begin() as conn:
        for pid in mine:
            save_paper(conn, user, pid, "Reading group" if pid in kept else None)
        collection = user_collections(conn, user)[0].id
    assert 'href="/library/topics">By topic</a>' in reader.get("/library").text
    page = reader.get("/library/topics")
    assert page.status_code == 200
    grouped = _topics(page.text)
    assert sorted(p for ps in grouped.values() for p in ps) == sorted(mine)
    assert len(grouped) >= 2 and "Not yet grouped" not in grouped
    dots = _dots(page.text)
    assert sorted(dots) == sorted(mine) and not any(d[3] for d in dots.values())
    assert 'href="/library">list</a>' in page.text
    one = reader.get(f"/library/topics?collection={collection}").text
    assert sorted(p for ps in _topics(one).values() for p in ps) == sorted(kept)
    assert f'href="/library?collection={collection}">list</a>' in one
    assert "<h1>Reading group</h1>" in one
    assert reader.get("/library/topics?collection=999999").status_code == 404
    assert reader.get("/library/topics?collection=0").status_code in (400, 422)
    reader.cookies.clear()
    signed_out = reader.get("/library/topics", follow_redirects=False)
    assert signed_out.status_code in (303, 401) and "moira" not in signed_out.text


def test_a_big_library_lists_each_topic_s_first_papers_and_the_rest_on_its_page(
    reader: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library's overview lists and draws each topic's LISTED first papers (here 2) and
    links the topic's own page, which lists all of it; a topic it does not have is a 404."""
    from paperfeed.web.views import topics

    monkeypatch.setattr(topics, "LISTED", 2)
    mine = sorted(p for d in DAYS[:3] for p in on_day(engine, d))[::2]
    user = user_id(engine, "moira")
    with engine.begin() as conn:
        for pid in mine:
            save_paper(conn, user, pid)
    whole = reader.get("/library/topics").text
    grouped = _topics(whole)
    assert all(len(papers) <= 2 for papers in grouped.values())
    assert sorted(_dots(whole)) == sorted(p for ps in grouped.values() for p in ps)
    link = re.search(r'<a href="([^"]+)">All (\d+) papers of this topic</a>', whole)
    assert link is not None and unescape(link.group(1)).startswith("/library/topics?topic=")
    one = reader.get(unescape(link.group(1))).text
    found = _topics(one)
    assert len(found) == 1 and len(next(iter(found.values()))) == int(link.group(2))
    assert "← All topics</a>" in one and 'class="topic-map"' not in one
    missing = reader.get("/library/topics?topic=99")
    assert missing.status_code == 404 and "there is no topic 99 here" in missing.text
