"""A reader moving from arxiv-sanity-lite and Scholar Inbox lives by the personal feed: the
private feed URL in a feed reader and `GET /api/me/feed` (both databases)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Self

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import run_due
from paperfeed.settings import Settings
from paperfeed.web.feeds import responses as feed_responses
from tests.digest_support import Sink, trending_subscriber
from tests.web_support import client, post_form, sign_up

PASSWORD = "correct horse battery"
NOW = datetime(2026, 6, 29, 12, tzinfo=UTC)


class _Frozen(datetime):
    """A clock stopped within one second: a feed that changes twice in it."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Self:
        return cls(2026, 7, 2, 12, 0, 0, tzinfo=UTC)


def _reader(c: TestClient) -> dict[str, str]:
    """A signed-in reader who rated one paper 👍; their bearer header."""
    sign_up(c, "migrant", PASSWORD)
    token = c.post("/api/login", json={"username": "migrant", "password": PASSWORD})
    auth = {"Authorization": f"Bearer {token.json()['token']}"}
    some = c.get("/api/daily_papers").json()[0]["paper"]["id"]
    assert c.put(f"/api/me/ratings/{some}", json={"rating": 1}, headers=auth).status_code == 200
    return auth


def _feed_ids(body: str) -> list[str]:
    return re.findall(r"<id>[^<]*/papers/([^<]+)</id>", body)


def test_a_feed_reader_asking_if_modified_since_gets_a_change_made_the_same_second(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feed reader that sends only If-Modified-Since (no ETag) is told of a change made in
    the second it last read the feed: the 👎 paper leaves its copy, not a 304 keeping it."""
    with client(site, engine) as c:
        auth = _reader(c)
        assert post_form(c, "/for-you/feed-url", {}).status_code == 303
        shown = re.search(r"/feeds/for-you/[\w-]+\.atom", c.get("/for-you/feed-url").text)
        assert shown
        url = f"{shown[0]}?window=month"
        monkeypatch.setattr(feed_responses, "datetime", _Frozen)  # Last-Modified's clock
        first = c.get(url)
        assert first.status_code == 200
        top = _feed_ids(first.text)[0]
        rated = c.put(f"/api/me/ratings/{top}", json={"rating": -1}, headers=auth)
        assert rated.status_code == 200
        again = c.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert again.status_code == 200
        assert top not in _feed_ids(again.text)
        assert again.headers["Last-Modified"] != first.headers["Last-Modified"]
        same = c.get(url, headers={"If-Modified-Since": again.headers["Last-Modified"]})
        assert same.status_code == 304  # unchanged since: nothing to send


def test_an_empty_window_on_the_api_feed_is_one_left_out(site: Settings, engine: Engine) -> None:
    """`window=` (as a script fills a template, or a form its empty field) is the default
    window, as `since=` is, not a 422; a window that is no window is still refused clearly."""
    with client(site, engine) as c:
        auth = _reader(c)
        default = c.get("/api/me/feed?limit=20", headers=auth)
        empty = c.get("/api/me/feed?window=&limit=20", headers=auth)
        assert default.status_code == empty.status_code == 200, empty.text
        assert [i["paper"]["id"] for i in empty.json()] == [
            i["paper"]["id"] for i in default.json()
        ]
        assert empty.json()
        since = c.get("/api/me/feed?window=&since=2026-06-25&limit=20", headers=auth)
        assert since.status_code == 200, since.text
        bad = c.get("/api/me/feed?window=year", headers=auth)
        assert bad.status_code == 422 and "'today', 'week', 'month' or 'all'" in bad.text


def test_a_digests_trending_papers_are_the_top_of_the_trending_page(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    """Papers of one day with no votes yet tie on the trending formula: the digest takes them
    in the trending page's order, so "Why: trending" names the papers that page puts first,
    not the day's lowest arXiv ids."""
    trending_subscriber(engine, "reader@example.org")
    s = site.model_copy(
        update={"smtp_port": sink.port, "secret_key": "d" * 32, "digest_send_rate": 0}
    )
    assert run_due(engine, s, SmtpMailer(s), due_all=True, now=NOW).sent == 1
    text = sink.to("reader@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    sent = re.findall(r"/papers/(\S+)", text)
    assert len(sent) == 4 and set(re.findall(r"Why: (.+)", text)) == {"trending"}
    with client(site, engine) as c:
        listed = c.get("/api/trending?limit=100").json()
    newest = max(i["paper"]["listingDate"] for i in listed)
    page = [i["paper"]["id"] for i in listed if i["paper"]["listingDate"] == newest]
    assert sent == page[:4]
