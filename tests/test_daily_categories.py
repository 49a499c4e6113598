"""A day's papers filtered by category (a conference-season day of hundreds of papers in one's
own fields): the day pages, their pages and neighbours, the feed and the API all list the same
papers, and their counts add up. Real listings on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import html
import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.ingest.jobs import demo_files
from paperfeed.pipeline import ingest_files
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.web.periods import day_period
from tests.web_support import HOSTILE, client, on_day, web_settings

DAY, BEFORE = date(2026, 6, 30), date(2026, 6, 29)
PER_PAGE = 7
_SUB = re.compile(r'<p class="sub">([^<]*)</p>')
_NEXT = re.compile(r'<a rel="next" href="([^"]*)">Next page')


def _fill(engine: Engine, settings: Settings, folder: Path) -> None:
    """The first 90 papers of a real listing day and 20 of the day before (and a hostile one)."""
    folder.mkdir(parents=True, exist_ok=True)
    listings = {p.name[:10]: p for p in demo_files()[0]}
    paths = []
    for day, n in ((DAY, 90), (BEFORE, 20)):
        with gzip.open(listings[day.isoformat()], "rt") as handle:
            lines = handle.read().splitlines()[:n]
        paths.append(folder / f"{day.isoformat()}.jsonl")
        paths[-1].write_text("\n".join(lines) + "\n")
    _report, failed = ingest_files(engine, settings, "listing", paths)
    assert not failed
    with engine.begin() as conn:
        upsert_papers(conn, [HOSTILE])


@pytest.fixture
def site(settings: Settings, engine: Engine, tmp_path: Path) -> Settings:
    s = web_settings(settings, page_size=PER_PAGE)
    _fill(engine, s, tmp_path / "listings")
    return s


def _in(engine: Engine, day: date, *names: str) -> set[str]:
    """The day's papers in any of these categories, or in an archive's (cs: cs.*)."""
    held = lambda c: c in names or c.split(".")[0] in names  # noqa: E731
    return {pid for pid, p in on_day(engine, day).items() if any(map(held, p.categories))}


def _ids(page: str) -> list[str]:
    return re.findall(r'<article class="card[^"]*"[^>]*data-id="([^"]+)"', page)


def _walk(c: TestClient, path: str) -> tuple[list[str], list[str]]:
    """Every card of a paged listing by following its Next page links, and the pages' urls."""
    seen: list[str] = []
    urls = [path]
    while True:
        page = c.get(urls[-1])
        assert page.status_code == 200, urls[-1]
        seen += _ids(page.text)
        more = _NEXT.search(page.text)
        if more is None:
            return seen, urls
        urls.append(html.unescape(more[1]))


@pytest.mark.parametrize("sort", ["votes", "new"])
def test_a_filtered_day_pages_through_exactly_its_categories_papers(
    site: Settings, engine: Engine, sort: str
) -> None:
    """A 2,000-paper day had no category filter (67 pages of 30 to find one's cs.CV papers);
    ?category= lists only those papers, every page keeping the filter and the order."""
    wanted = _in(engine, DAY, "cs.CV")
    assert PER_PAGE < len(wanted) < len(on_day(engine, DAY))  # several pages, not the whole day
    path = day_period(DAY).path + (
        "?sort=new&category=cs.CV" if sort == "new" else "?category=cs.CV"
    )
    with client(site, engine) as c:
        first = c.get(path).text
        assert _SUB.search(first)[1].endswith(f"· {len(wanted)} papers in cs.CV")  # type: ignore[index]
        # the control offers the day's categories with the counts the filter then lists
        assert f'<option value="cs.CV" selected>cs.CV ({len(wanted)})</option>' in first
        seen, urls = _walk(c, path)
    assert sorted(seen) == sorted(wanted)  # each once: no paper lost or repeated across pages
    assert len(urls) == -(-len(wanted) // PER_PAGE)
    assert all("category=cs.CV" in u for u in urls[1:])
    assert all("sort=new" in u for u in urls[1:]) == (sort == "new")


def test_several_categories_an_archive_and_any_case(site: Settings, engine: Engine) -> None:
    """Several categories (repeated or comma-separated, any case) list the papers in any of
    them; an archive (cs) all of its categories'; the counts in the select add up to them."""
    two = _in(engine, DAY, "cs.CL", "cs.LG")
    with client(site, engine) as c:
        for query in ("category=cs.cl,CS.LG", "category=cs.CL&category=cs.LG"):
            seen, _urls = _walk(c, f"{day_period(DAY).path}?{query}")
            assert sorted(seen) == sorted(two), query
        seen, _urls = _walk(c, f"{day_period(DAY).path}?category=cs")
        assert sorted(seen) == sorted(_in(engine, DAY, "cs"))
        page = c.get(day_period(DAY).path).text
    counts = dict(re.findall(r'<option value="([^"]+)">\1 \(([\d,]+)\)</option>', page))
    for code, n in counts.items():
        assert int(n.replace(",", "")) == len(_in(engine, DAY, code)), code
    assert {"cs.CV", "cs.CL", "cs.LG"} <= set(counts)


def test_the_days_around_and_the_calendar_keep_the_filter(site: Settings, engine: Engine) -> None:
    """The previous day, Week, Month, the sort links and the calendar's day keep the category."""
    with client(site, engine) as c:
        page = html.unescape(c.get(day_period(DAY).path + "?category=cs.CV&sort=new").text)
        before = day_period(BEFORE).path + "?sort=new&category=cs.CV"
        assert f'href="{before}"' in page
        assert '/papers/week/2026-W27?sort=new&category=cs.CV"' in page
        assert f'href="{day_period(DAY).path}?category=cs.CV"' in page  # most upvoted
        assert '<input type="hidden" name="category" value="cs.CV">' in page
        day_before = c.get(before).text
        assert _SUB.search(day_before)[1].endswith(  # type: ignore[index]
            f"{len(_in(engine, BEFORE, 'cs.CV'))} papers in cs.CV"
        )
        picked = c.get(f"/daily?date={BEFORE}&category=cs.CV", follow_redirects=False)
        assert picked.headers["location"] == day_period(BEFORE).path + "?category=cs.CV"


def test_the_feed_and_the_api_list_the_same_papers(site: Settings, engine: Engine) -> None:
    """/feeds/daily and /api/daily_papers take the same filter: by page, by cursor, whole."""
    wanted = _in(engine, DAY, "cs.CV")
    query = f"date={DAY}&category=cs.CV"
    with client(site, engine) as c:
        feed = c.get(f"/feeds/daily.atom?{query}").text
        assert sorted(re.findall(r"<id>[^<]*/papers/([^<]+)</id>", feed)) == sorted(wanted)
        page = c.get(day_period(DAY).path + "?category=cs.CV").text
        assert f"/feeds/daily.atom?{query}".replace("&", "&amp;") in page
        paged: list[str] = []
        for p in range(3):
            got = c.get(f"/api/daily_papers?{query}&limit=5&p={p}").json()
            paged += [item["paper"]["id"] for item in got]
        walked: list[str] = []
        url: str | None = f"/api/daily_papers?{query}&limit=5&sort=new"
        while url:
            answer = c.get(url)
            walked += [item["paper"]["id"] for item in answer.json()]
            cursor = answer.headers.get("x-next-cursor")
            url = f"/api/daily_papers?{query}&limit=5&sort=new&cursor={cursor}" if cursor else None
    assert len(paged) == min(15, len(wanted)) and set(paged) <= wanted
    assert sorted(walked) == sorted(wanted)


@pytest.mark.parametrize(
    "path",
    [
        "/papers/date/2026-06-30?category=cs.XX",
        "/daily?category=cs.CV,%3Cscript%3Ealert(1)%3C/script%3E",
        "/feeds/daily.atom?category=nope",
        "/api/daily_papers?category=cs.ML",
        "/api/daily_papers?sort=trending&category=cs.CV",
        "/papers/date/2026-06-30?category=" + ",".join(["cs.CV"] * 21),
    ],
)
def test_a_bad_category_is_a_clear_400(site: Settings, engine: Engine, path: str) -> None:
    with client(site, engine) as c:
        answer = c.get(path)
    assert answer.status_code == 400, answer.text
    assert "category" in answer.text
    assert "<script>alert" not in answer.text  # the name given is shown inert
    if "cs.ML" in path:
        assert "Did you mean stat.ML?" in answer.text
