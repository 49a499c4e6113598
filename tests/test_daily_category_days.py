"""The days around a category-filtered daily page: the previous and next day (and the Day of a
week) skip the days with no visible paper in the categories chosen, not only the days with no
paper at all. Real listings on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import html
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperfeed.ingest.jobs import demo_files
from paperfeed.pipeline import ingest_files
from paperfeed.settings import Settings
from paperfeed.store.listings import set_flags
from paperfeed.web.periods import day_period
from tests.web_support import client, on_day, web_settings

WED, FRI, MON = date(2026, 6, 24), date(2026, 6, 26), date(2026, 6, 29)
_SUB = re.compile(r'<p class="sub">([^<]*)</p>')
_PREV = re.compile(r'<a(?: rel="prev")? href="([^"]+)">← ([^<]+)</a>')
_NEXT = re.compile(r'<a(?: rel="next")? href="([^"]+)">([^<]+) →</a>')
_DAY = re.compile(r'<a href="([^"]+)"(?: aria-current="page")?>Day</a>')


def _fill(settings: Settings, engine: Engine, folder: Path, most: int) -> Settings:
    """The first papers of three real listing days: a Wednesday, the Friday and the Monday."""
    s = web_settings(settings, page_size=10)
    listings = {p.name[:10]: p for p in demo_files()[0]}
    paths = []
    for day in (WED, FRI, MON):
        with gzip.open(listings[day.isoformat()], "rt") as handle:
            lines = handle.read().splitlines()[:most]
        paths.append(folder / f"{day.isoformat()}.jsonl")
        paths[-1].write_text("\n".join(lines) + "\n")
    _report, failed = ingest_files(engine, s, "listing", paths)
    assert not failed
    return s


@pytest.fixture
def site(settings: Settings, engine: Engine, tmp_path: Path) -> Settings:
    """60 papers of each day: every category small (read through its own index)."""
    return _fill(settings, engine, tmp_path, 60)


def _categories(engine: Engine, day: date) -> set[str]:
    return {c for p in on_day(engine, day).values() for c in p.categories}


def _nav(page: str) -> tuple[tuple[str, str] | None, tuple[str, str] | None, str]:
    """The previous and next period's (url, label), and the Day link, of a daily page."""
    start = page.index('<nav class="days"')
    days = page[start : page.index("</nav>", start)]
    before, after, day = _PREV.search(days), _NEXT.search(days), _DAY.search(days)
    assert day is not None, days
    return _link(before), _link(after), html.unescape(day[1])


def _link(found: re.Match[str] | None) -> tuple[str, str] | None:
    return (html.unescape(found[1]), found[2]) if found else None


def test_next_and_previous_day_skip_days_without_the_categories(
    site: Settings, engine: Engine
) -> None:
    """Next day on Wednesday's cs.RO papers led to Friday's "0 papers in cs.RO"; it now leads
    to Monday, the next day with cs.RO papers, and Monday's previous day back to Wednesday."""
    gap = sorted((_categories(engine, WED) & _categories(engine, MON)) - _categories(engine, FRI))
    assert gap, "a category on Wednesday and Monday but not Friday"
    cat = gap[0]
    query = f"?category={cat}"
    with client(site, engine) as c:
        wed = c.get(day_period(WED).path + query).text
        _prev, nxt, _day = _nav(wed)
        assert nxt == (day_period(MON).path + query, "Jun 29")
        mon = c.get(nxt[0]).text
        shown = len([p for p in on_day(engine, MON).values() if cat in p.categories])
        assert _SUB.search(mon)[1].endswith(f"· {shown} papers in {cat}")  # type: ignore[index]
        assert _nav(mon)[0] == (day_period(WED).path + query, "Jun 24")
        # unfiltered, the next day is still the next day with any papers
        assert _nav(c.get(day_period(WED).path).text)[1] == (day_period(FRI).path, "Jun 26")


def test_hidden_papers_do_not_make_a_day_to_go_to(site: Settings, engine: Engine) -> None:
    """A day whose only papers in the category are hidden by a moderator is skipped too."""
    gap = sorted((_categories(engine, WED) & _categories(engine, MON)) - _categories(engine, FRI))
    cat = gap[0]
    held = [k for k, p in on_day(engine, MON).items() if cat in p.categories]
    with engine.begin() as conn:
        for pid in held:  # as a moderator hides a paper
            set_flags(conn, pid, hidden=True, featured=False)
    with client(site, engine) as c:
        _prev, nxt, _day = _nav(c.get(f"{day_period(WED).path}?category={cat}").text)
    assert nxt is None  # neither Friday (none) nor Monday (hidden): the last day in cs.RO


def test_a_filtered_weeks_day_link_opens_a_day_with_the_categories(
    site: Settings, engine: Engine
) -> None:
    """Day on a week filtered to a category opened the week's last day with any papers
    (Friday, none in it); it now opens the week's last day with papers in the category."""
    only = sorted(_categories(engine, WED) - _categories(engine, FRI))
    assert only
    cat = only[0]
    with client(site, engine) as c:
        week = c.get(f"/papers/week/2026-W26?category={cat}").text
        _prev, nxt, day = _nav(week)
        assert day == f"{day_period(WED).path}?category={cat}"
        assert (nxt is None) == (cat not in _categories(engine, MON))
        unfiltered = _nav(c.get("/papers/week/2026-W26").text)[2]
    assert unfiltered == day_period(FRI).path


def test_a_big_archive_skips_a_day_of_hidden_papers_too(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    """The whole days (hundreds of cs papers: the days' index walked, not the categories'):
    on Wednesday's cs papers, Friday is next; with Friday's cs papers hidden, Monday is."""
    site = _fill(settings, engine, tmp_path, 1_000)
    cs = [k for k, p in on_day(engine, FRI).items() if any(c[:3] == "cs." for c in p.categories)]
    assert len(cs) > 200
    path = f"{day_period(WED).path}?category=cs"
    with client(site, engine) as c:
        assert _nav(c.get(path).text)[1] == (day_period(FRI).path + "?category=cs", "Jun 26")
        with engine.begin() as conn:
            for pid in cs:
                set_flags(conn, pid, hidden=True, featured=False)
        assert _nav(c.get(path).text)[1] == (day_period(MON).path + "?category=cs", "Jun 29")
        # without the filter Friday still has papers: its other archives'
        assert _nav(c.get(day_period(WED).path).text)[1] == (day_period(FRI).path, "Jun 26")
