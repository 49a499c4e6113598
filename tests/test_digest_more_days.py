"""A weekly digest's "…and N more" link lists exactly the digest's days: a week that crosses
two ISO weeks or two months is a run of days on the daily pages (/papers/days/A..B), with the
category filter, paging and sort kept and no feed or neighbours; a run too long or backwards
is a 400. Real listings, a real SMTP server, SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, date, datetime
from pathlib import Path

import feedparser
import pytest
from sqlalchemy import Engine

from paperfeed.digest.deliver import make_mailer
from paperfeed.digest.schedule import run_due
from paperfeed.ingest.jobs import demo_files
from paperfeed.pipeline import ingest_files
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.digests import InterestRow
from tests.digest_support import Sink, daily_reader, digest_paper_ids
from tests.web_support import client, on_day, web_settings

BASE = "https://example.org/feed"  # a site under a path: links keep it
_MORE = re.compile(r"…and ([\d,]+) more papers? matched your interests: see them all\n\s+(\S+)")
_CARD = re.compile(r'<article class="card[^"]*"[^>]*data-id="([^"]+)"')
NOW = datetime(2026, 7, 2, 9, tzinfo=UTC)


def _store(settings: Settings, engine: Engine, folder: Path, days: list[date]) -> None:
    """The first 60 papers of each of these real demo listing days."""
    listings = {p.name[:10]: p for p in demo_files()[0]}
    paths = []
    for day in days:
        with gzip.open(listings[day.isoformat()], "rt") as handle:
            lines = handle.read().splitlines()[:60]
        path = folder / f"{day.isoformat()}.jsonl"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    _report, failed = ingest_files(engine, settings, "listing", paths)
    assert not failed


@pytest.fixture
def s(settings: Settings, sink: Sink) -> Settings:
    update = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "k" * 32}
    return web_settings(settings.model_copy(update=update | {"base_url": BASE}), page_size=200)


def _weekly(engine: Engine, email: str, covered: date, *interests: InterestRow) -> None:
    values = daily_reader(covered) | {"email": email, "email_key": email, "frequency": "weekly"}
    values |= {"max_papers": 3, "include_trending": False}
    with engine.begin() as conn:
        sid = db.insert_subscriber(conn, values)
        db.replace_interests(conn, sid, list(interests))


def _text(sink: Sink, address: str) -> str:
    [mail] = sink.to(address)
    return str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def _in(engine: Engine, days: list[date], category: str) -> set[str]:
    return {k for d in days for k, p in on_day(engine, d).items() if category in p.categories}


@pytest.mark.parametrize(
    ("stored", "covered", "slug"),
    [
        # Thursday 25 June to Wednesday 1 July: two ISO weeks and two months (the link was
        # week 27's, which has no 25 June)
        ([date(2026, 6, 22), date(2026, 6, 25), date(2026, 7, 1)], date(2026, 6, 24),
         "2026-06-25..2026-07-01"),
        # Wednesday 24 to Tuesday 30 June: two ISO weeks of one month (the link was June's,
        # which lists 22 June's papers, sent in the week before)
        ([date(2026, 6, 22), date(2026, 6, 25), date(2026, 6, 30)], date(2026, 6, 23),
         "2026-06-24..2026-06-30"),
    ],
)  # fmt: skip
def test_a_weekly_digest_across_two_weeks_links_to_exactly_its_days(
    s: Settings,
    engine: Engine,
    sink: Sink,
    tmp_path: Path,
    stored: list[date],
    covered: date,
    slug: str,
) -> None:
    """A weekly digest's "…and N more" link led to the week (or month) of its last day: the
    earlier days' papers were not there, or days sent a week before were; it now leads to
    the run of the digest's days, filtered as the digest is, and lists N plus those sent."""
    _store(s, engine, tmp_path, stored)
    days = [d for d in stored if d > covered]
    cv = _in(engine, days, "cs.CV")
    assert len(cv) > 3 and _in(engine, [stored[0]], "cs.CV"), "papers on the days left out too"
    _weekly(engine, "w@example.org", covered, InterestRow("category", "cs.CV"))
    _weekly(engine, "k@example.org", covered, InterestRow("keyword", "model"))
    run_due(engine, s, make_mailer(s), due_all=True, now=NOW)
    text = _text(sink, "w@example.org")
    more = _MORE.search(text)
    assert more is not None, text
    assert more[2] == f"{BASE}/papers/days/{slug}?category=cs.CV"
    sent = set(digest_paper_ids(text))
    assert len(sent) == 3 and sent <= cv
    assert int(more[1].replace(",", "")) == len(cv) - 3
    words = _MORE.search(_text(sink, "k@example.org"))
    assert words is not None and words[2] == f"{BASE}/papers/days/{slug}"  # no filter
    with client(s, engine) as c:
        opened = c.get(more[2].removeprefix("https://example.org"))  # served under /feed
        whole = c.get(words[2].removeprefix("https://example.org"))
    assert opened.status_code == 200 and whole.status_code == 200
    assert set(_CARD.findall(opened.text)) == cv  # the digest's days, in cs.CV, and only them
    everything = {k for d in days for k in on_day(engine, d)}
    assert set(_CARD.findall(whole.text)) == everything


_RUN_CV = "days=2026-06-25..2026-06-30&category=cs.CV"


def test_a_run_of_days_keeps_its_filter_and_refuses_what_is_not_one(
    s: Settings, engine: Engine, tmp_path: Path
) -> None:
    """The page of a run of days pages and sorts within it, the category kept; it offers its
    feed, the category kept too, and no neighbour; backwards, over 31 days, or no day of the
    calendar: a 400 saying why."""
    _store(s, engine, tmp_path, [date(2026, 6, 25), date(2026, 6, 30)])
    cv = _in(engine, [date(2026, 6, 25), date(2026, 6, 30)], "cs.CV")
    small = web_settings(s, page_size=5)
    path = "/papers/days/2026-06-25..2026-06-30"
    with client(small, engine) as c:
        first = c.get(f"/feed{path}?category=cs.CV&sort=new")
        pages = [first.text]
        n = 2
        while f'{path}?page={n}&amp;sort=new&amp;category=cs.CV"' in pages[-1]:
            pages.append(c.get(f"/feed{path}?page={n}&sort=new&category=cs.CV").text)
            n += 1
        refused = {
            bad: c.get(f"/feed/papers/days/{bad}")
            for bad in (
                "2026-06-30..2026-06-25",
                "2026-06-01..2026-07-02",
                "2026-02-30..2026-03-02",
            )
        }
        month = c.get("/feed/papers/days/2026-06-01..2026-07-01")
        feed = feedparser.parse(c.get(f"/feed/feeds/daily.atom?{_RUN_CV}").content)
    assert first.status_code == 200
    assert {i for p in pages for i in _CARD.findall(p)} == cv and len(pages) > 1
    page = first.text
    assert "<h1>Jun 25 – Jun 30</h1>" in page
    assert f'href="/feed/feeds/daily.atom?{_RUN_CV.replace("&", "&amp;")}"' in page  # its feed
    assert {e.link.rsplit("/papers/", 1)[1] for e in feed.entries} == cv and not feed.bozo
    nav = page[page.index('<nav class="days"') :].split("</nav>")[0]
    assert "←" not in nav and "→" not in nav  # no neighbour: it is a digest's run
    assert 'action="/feed/papers/days/2026-06-25..2026-06-30"' in page  # the category filter
    assert 'href="/feed/papers/week/2026-W27?sort=new&amp;category=cs.CV"' in page
    assert month.status_code == 200  # 31 days
    said = {k: (r.status_code, r.text) for k, r in refused.items()}
    assert said["2026-06-30..2026-06-25"][0] == 400
    assert "run backwards" in said["2026-06-30..2026-06-25"][1]
    assert said["2026-06-01..2026-07-02"][0] == 400
    assert "31 days at most" in said["2026-06-01..2026-07-02"][1]
    assert said["2026-02-30..2026-03-02"][0] == 400
    assert "calendar does not have" in said["2026-02-30..2026-03-02"][1]
