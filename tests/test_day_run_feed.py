"""A run of days' page (/papers/days/A..B, as a digest links it) has Atom and RSS feeds, found
by its discovery links, as the day, week and month pages do; on SQLite and PostgreSQL."""

from __future__ import annotations

import feedparser
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.test_feed_reader_round import _Discovery
from tests.web_support import DAYS, HOSTILE_ID, client, on_day

BASE = "http://testserver/pf"  # a site served under a path
RUN = f"{DAYS[0]}..{DAYS[1]}"


def test_a_run_of_days_has_a_feed_of_its_papers(site: Settings, engine: Engine) -> None:
    s = site.model_copy(update={"base_url": BASE})
    listed = {*on_day(engine, DAYS[0]), *on_day(engine, DAYS[1])} - {HOSTILE_ID}
    with client(s, engine) as c:
        found = _Discovery(c.get(f"/pf/papers/days/{RUN}").text).feeds
        assert {f["type"] for f in found} == {"application/atom+xml", "application/rss+xml"}
        for link in found:
            href = link["href"] or ""
            assert href.startswith("/pf/feeds/daily.") and href.endswith(f"?days={RUN}")
            answer = c.get(href)
            read = feedparser.parse(answer.content)
            assert not read.bozo, read.bozo_exception
            assert "Jun 24 – Jun 25" in read.feed.title and "Jun 24 – Jun 25" in (
                link["title"] or ""
            )
            ids = {e.link.rsplit("/papers/", 1)[1] for e in read.entries}
            assert listed <= ids <= listed | {HOSTILE_ID}, ids ^ listed
            assert all(e.link.startswith(f"{BASE}/papers/") for e in read.entries)
            again = c.get(href, headers={"If-None-Match": answer.headers["etag"]})
            assert again.status_code == 304
        backwards = c.get(f"/pf/feeds/daily.atom?days={DAYS[1]}..{DAYS[0]}")
        assert backwards.status_code == 400 and "the days run backwards" in backwards.text
        odd = c.get("/pf/feeds/daily.rss?days=2026-06-24..june")
        assert odd.status_code == 400 and "a run of days like 2026-06-29..2026-07-03" in odd.text
        two = c.get(f"/pf/feeds/daily.rss?days={RUN}&date={DAYS[0]}")
        assert two.status_code == 400 and "give only one of date, week, month and days" in two.text
