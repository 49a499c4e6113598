"""A digest on a huge day: it carries the subscriber's most papers and says how many more
matched, with a link (under the site's base address, its path kept) to the list of them all:
the day page filtered by the categories followed. Real listings and a real SMTP server, on
SQLite and PostgreSQL; the fast renderer gives the same message as the templates."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperfeed.digest.compose import Digest, DigestItem
from paperfeed.digest.deliver import make_mailer
from paperfeed.digest.more import listing_path
from paperfeed.digest.render import DigestRenderer, Links, render_digest
from paperfeed.digest.schedule import run_due
from paperfeed.digest.subscriber import Preferences, Subscriber
from paperfeed.ingest.jobs import demo_files
from paperfeed.pipeline import ingest_files
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.digests import InterestRow
from tests.digest_support import Sink, daily_reader, digest_paper_ids
from tests.web_support import client, on_day, web_settings

DAY = date(2026, 6, 30)
BASE = "https://example.org/feed"  # a site under a path: links keep it
_MORE = re.compile(r"…and ([\d,]+) more papers? matched your interests: see them all\n\s+(\S+)")


@pytest.fixture
def s(settings: Settings, sink: Sink, tmp_path: Path, engine: Engine) -> Settings:
    update = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "k" * 32}
    site = web_settings(settings.model_copy(update=update | {"base_url": BASE}), page_size=200)
    listings = {p.name[:10]: p for p in demo_files()[0]}
    with gzip.open(listings[DAY.isoformat()], "rt") as handle:
        lines = handle.read().splitlines()[:120]
    path = tmp_path / f"{DAY.isoformat()}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    _report, failed = ingest_files(engine, site, "listing", [path])
    assert not failed
    return site


def _subscribe(engine: Engine, email: str, most: int, *interests: InterestRow) -> None:
    values = daily_reader(None) | {"email": email, "email_key": email}
    values |= {"max_papers": most, "include_trending": False}
    with engine.begin() as conn:
        sid = db.insert_subscriber(conn, values)
        db.replace_interests(conn, sid, list(interests))


def _text(message: EmailMessage) -> str:
    return str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def _html(message: EmailMessage) -> str:
    return str(message.get_body(("html",)).get_content())  # type: ignore[union-attr]


def _in(engine: Engine, *names: str) -> set[str]:
    return {k for k, p in on_day(engine, DAY).items() if set(p.categories) & set(names)}


def test_a_huge_day_says_how_many_more_and_links_to_them_all(
    s: Settings, engine: Engine, sink: Sink
) -> None:
    """A digest stopped at its 5 papers and never said that 60 more cs.CV papers came that
    day; it now ends its papers with "…and N more" and a link to the day page filtered as the
    digest is, and N and the 5 sent add up to what that page lists."""
    cv = _in(engine, "cs.CV")
    named = sorted({c for p in on_day(engine, DAY).values() for c in p.categories})
    small = next(c for c in named if 0 < len(_in(engine, c)) <= 5)  # all of it fits
    assert len(cv) > 5
    _subscribe(engine, "cv@example.org", 5, InterestRow("category", "cs.CV"))
    _subscribe(engine, "small@example.org", 5, InterestRow("category", small))
    _subscribe(engine, "words@example.org", 3, InterestRow("keyword", "model"))
    _subscribe(engine, "search@example.org", 3, InterestRow("semantic", "model"))
    run_due(engine, s, make_mailer(s), due_all=True, now=datetime(2026, 7, 1, 9, tzinfo=UTC))
    [mail] = sink.to("cv@example.org")
    text = _text(mail)
    sent = digest_paper_ids(text)
    assert len(sent) == 5 and set(sent) <= cv
    more = _MORE.search(text)
    assert more is not None, text
    assert int(more[1].replace(",", "")) == len(cv) - 5
    assert more[2] == f"{BASE}/papers/date/{DAY.isoformat()}?category=cs.CV"
    assert f'<a href="{more[2]}" style="color:#1d4ed8;">{more[0].splitlines()[0]}</a>' in _html(
        mail
    )
    with client(s, engine) as c:
        opened = c.get(more[2].removeprefix("https://example.org"))  # served under /feed
    assert opened.status_code == 200
    page = opened.text
    listed = set(re.findall(r'<article class="card[^"]*"[^>]*data-id="([^"]+)"', page))
    assert listed == cv and set(sent) <= listed  # the 5 sent and the N more: the page's list
    # all the matching papers sent: no line; other interests than categories: the whole day
    assert "more paper" not in _text(sink.to("small@example.org")[0])
    words = _MORE.search(_text(sink.to("words@example.org")[0]))
    assert words is not None and words[2] == f"{BASE}/papers/date/{DAY.isoformat()}"
    assert int(words[1].replace(",", "")) + 3 <= len(on_day(engine, DAY))
    # One saved search: the site's search over the digest's days (it led to the whole day).
    text = _text(sink.to("search@example.org")[0])
    searched = _MORE.search(text)
    day = DAY.isoformat()
    assert searched is not None and searched[2] == f"{BASE}/search?q=model&since={day}&until={day}"
    with client(s, engine) as c:
        found = c.get(searched[2].removeprefix("https://example.org"))
    assert found.status_code == 200
    hits = set(re.findall(r'<article class="card[^"]*"[^>]*data-id="([^"]+)"', found.text))
    assert set(digest_paper_ids(text)) <= hits


SETTINGS = Settings(secret_key="r" * 32, base_url="https://p.example/sub/", _env_file=None)


@pytest.mark.parametrize("followed", [False, True])
@pytest.mark.usefixtures("still_token_clock")
def test_the_fast_renderer_puts_the_line_where_the_templates_do(followed: bool) -> None:
    """After the picked papers, before a followed collection's section; escaped, and the
    same message either way."""
    sub = Subscriber(
        3, "r@example.org", "confirmed", "n", Preferences(), user_id=4 if followed else None
    )
    picked = [
        DigestItem(f"2606.{i}", f"Paper <{i}>", ("A",), "cs.CV", "s", "new in cs.CV", 1.0)
        for i in range(2)
    ]
    added = [
        DigestItem("2606.9", "Kept", ("B",), "cs.LG", "s", "new in “x”", 0.0, section="New in <x>")
    ]
    items = tuple(picked + (added if followed else []))
    path = listing_path((DAY, DAY), ["cs.CV", "cs.LG"])
    digest = Digest(sub, "daily:x", items, 1234, path)
    links = Links(SETTINGS.public_url, "k", sub.id, sub.nonce)
    now = datetime(2026, 7, 1, 9, tzinfo=UTC)
    mail = DigestRenderer(SETTINGS).render(links, digest, now)
    assert mail.bodies == render_digest(SETTINGS, links, digest, now).bodies
    text = _text(mail.parsed())
    line = "…and 1,234 more papers matched your interests: see them all\n"
    url = "https://p.example/sub/papers/date/2026-06-30?category=cs.CV,cs.LG"
    assert f"{line}   {url}\n" in text
    assert text.index("2. Paper <1>") < text.index(line)
    if followed:
        assert text.index(line) < text.index("New in <x>")
    html = _html(mail.parsed())
    assert html.count(url) == 1 and "Paper &lt;1&gt;" in html
    none = Digest(sub, "daily:x", items)
    assert "more papers matched" not in _text(
        DigestRenderer(SETTINGS).render(links, none, now).parsed()
    )
