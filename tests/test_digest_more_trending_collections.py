"""A digest of trending papers alone says how many more trending papers there were, with a link
to the trending page; a followed collection's section, which stops at 10 papers, says how many
more were put in the collection, with a link to its page. Links under the site's base address,
its path kept. Real listings, a real SMTP server, SQLite and PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import Engine, update

from paperfeed.digest.compose import Digest, DigestItem
from paperfeed.digest.deliver import make_mailer
from paperfeed.digest.personal import FOLLOWED_MOST
from paperfeed.digest.render import DigestRenderer, Links, render_digest
from paperfeed.digest.schedule import run_due
from paperfeed.digest.subscriber import Preferences, Subscriber
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.library import collection_items, user_collections
from paperfeed.store.listings import latest_day
from paperfeed.util import utcnow
from tests.digest_support import Sink, daily_reader, digest_paper_ids
from tests.web_support import client, on_day, post_form, sign_up, stored

BASE = "https://example.org/feed"  # a site under a path: links keep it
NOW = datetime(2026, 6, 27, 9, tzinfo=UTC)
HEADING = "New in collections you follow: Reading group"
_CARD = re.compile(r'<article class="card[^"]*"[^>]*data-id="([^"]+)"')
_TRENDING = re.compile(r"…and ([\d,]+) more trending papers?: see them all\n\s+(\S+)")
_ADDED = re.compile(r"…and ([\d,]+) more papers? new in this collection: see them all\n\s+(\S+)")


def _mailing(site: Settings, sink: Sink) -> Settings:
    update = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "k" * 32}
    return site.model_copy(update=update | {"base_url": BASE, "page_size": 200})


def _text(message: EmailMessage) -> str:
    return str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def _html(message: EmailMessage) -> str:
    return str(message.get_body(("html",)).get_content())  # type: ignore[union-attr]


def test_a_digest_of_trending_papers_alone_says_how_many_more(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    """A subscriber of trending papers alone got 3 of the day's papers and no word of the
    others; the digest now ends with "…and N more trending papers" and the trending page,
    which lists them, while one following a category keeps its own line."""
    s = _mailing(site, sink)
    values = daily_reader(None) | {"max_papers": 3, "include_trending": True}
    with engine.begin() as conn:
        db.insert_subscriber(
            conn, values | {"email": "t@example.org", "email_key": "t@example.org"}
        )
        day = latest_day(conn)
    assert day is not None
    run_due(engine, s, make_mailer(s), due_all=True, now=NOW)
    [mail] = sink.to("t@example.org")
    text = _text(mail)
    sent = set(digest_paper_ids(text))
    listed = set(on_day(engine, day))
    more = _TRENDING.search(text)
    assert more is not None, text
    assert more[2] == f"{BASE}/trending"
    assert len(sent) == 3 and int(more[1]) == len(listed - sent) > 0
    assert f'<a href="{BASE}/trending" style="color:#1d4ed8;">{more[0].splitlines()[0]}</a>' in (
        _html(mail)
    )
    assert "matched your interests" not in text
    with client(s, engine) as c:
        page = c.get(more[2].removeprefix("https://example.org"))  # served under /feed
    assert page.status_code == 200
    assert listed <= set(_CARD.findall(page.text))  # the N more and those sent


def test_a_followed_collections_section_says_how_many_more_were_put_in_it(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    """14 papers were put in a followed collection: the section carried 10 and said nothing of
    the 4 others; it now ends with "…and 4 more papers new in this collection" and the
    collection's page, which lists all 14."""
    s = _mailing(site, sink)
    ids = sorted(k for k, p in stored(engine).items() if p.listing_date)[: FOLLOWED_MOST + 4]
    with client(site, engine) as lead, client(site, engine) as member:
        sign_up(lead, "lead")
        for pid in ids:
            post_form(lead, f"/papers/{pid}/save", {"collection": "Reading group", "next": "/"})
        with engine.connect() as conn:
            (group,) = user_collections(conn, 1)
        edit = {"name": group.name, "description": "", "visibility": "unlisted"}
        post_form(lead, f"/collections/{group.id}/edit", edit)
        with engine.connect() as conn:
            (group,) = user_collections(conn, 1)
        sign_up(member, "member")
        post_form(member, f"/c/{group.share_key}/follow", {"follow": "1"})
    values = daily_reader(None) | {"max_papers": 5, "include_trending": False}
    address = {"email": "m@example.org", "email_key": "m@example.org"}
    with engine.begin() as conn:
        sid = db.insert_subscriber(conn, values | address)
        db.update_subscriber(conn, sid, {"user_id": 2})
    run_due(engine, s, make_mailer(s), due_all=True, now=NOW)
    [mail] = sink.to("m@example.org")
    text = _text(mail)
    carried = digest_paper_ids(text.split(HEADING, 1)[1])
    assert len(carried) == FOLLOWED_MOST and set(carried) <= set(ids)
    more = _ADDED.search(text)
    assert more is not None, text
    assert int(more[1]) == len(ids) - FOLLOWED_MOST
    assert more[2] == f"{BASE}/c/{group.share_key}"
    assert text.index(carried[-1]) < more.start()  # after the section's papers
    assert f'<a href="{more[2]}" style="color:#1d4ed8;">' in _html(mail)
    with client(s, engine) as c:
        page = c.get(more[2].removeprefix("https://example.org"))
    assert page.status_code == 200
    assert set(_CARD.findall(page.text)) == set(ids)  # the 10 sent and the 4 more


SETTINGS = Settings(secret_key="r" * 32, base_url="https://p.example/sub/", _env_file=None)  # type: ignore[call-arg]


@pytest.mark.usefixtures("still_token_clock")
def test_the_fast_renderer_puts_the_lines_where_the_templates_do() -> None:
    """Each section's line after its own papers, the trending line after the picked ones;
    escaped, and the same message from either renderer."""
    sub = Subscriber(3, "r@example.org", "confirmed", "n", Preferences(), user_id=4)
    picked = [DigestItem("2606.1", "Paper <1>", ("A",), "cs.CV", "s", "trending", 1.0)]
    one, two = "New in collections you follow: <a>", "New in collections you follow: b"
    added = [
        DigestItem(f"2606.{i}", f"Kept {i}", ("B",), "cs.LG", "s", "new", 0.0, section=sec)
        for i, sec in ((2, one), (3, one), (4, two))
    ]
    pushed = "New in collections you follow: <i>c</i>"  # no section: pushed out
    lines = ((one, 7, "/c/k1?order=added"), (pushed, 3, "/c/k3"), (two, 1, "/c/k2"))
    digest = Digest(sub, "daily:x", tuple(picked + added), 12, "/trending", "trending")
    digest = replace(digest, section_more=lines)
    links = Links(SETTINGS.public_url, "k", sub.id, sub.nonce)
    mail = DigestRenderer(SETTINGS).render(links, digest, NOW)
    assert mail.bodies == render_digest(SETTINGS, links, digest, NOW).bodies
    text = _text(mail.parsed())
    trending = "…and 12 more trending papers: see them all\n   https://p.example/sub/trending\n"
    first = "…and 7 more papers new in this collection: see them all\n"
    second = "…and 1 more paper new in this collection: see them all\n"
    assert f"{first}   https://p.example/sub/c/k1?order=added\n" in text
    assert f"{second}   https://p.example/sub/c/k2\n" in text
    assert text.index("Paper <1>") < text.index(trending) < text.index(one)
    assert text.index("Kept 3") < text.index(first) < text.index(two) < text.index("Kept 4")
    assert text.index("Kept 4") < text.index(second)
    last = "…and 3 more papers new in <i>c</i>, a collection you follow: see them all\n"
    assert text.index(second) < text.index(f"{last}   https://p.example/sub/c/k3\n")
    html = _html(mail.parsed())
    assert 'href="https://p.example/sub/c/k1?order=added"' in html and "&lt;a&gt;" in html
    assert "new in &lt;i&gt;c&lt;/i&gt;, a collection" in html and "<i>c" not in html


_PUSHED = re.compile(
    r"…and ([\d,]+) more papers? new in (.+), a collection you follow: see them all\n\s+(\S+)"
)


def test_a_followed_collection_pushed_out_of_the_digest_says_how_many_it_had(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    """A reader follows two collections: the 12 papers newly put in one filled the digest's 10,
    and the 3 put in the other, earlier, went unsaid; a line now names that collection, says
    how many were put in it and links to its page (its name inert in the HTML)."""
    s = _mailing(site, sink)
    ids = sorted(k for k, p in stored(engine).items() if p.listing_date)[: FOLLOWED_MOST + 5]
    older, busy = ids[:3], ids[3:]
    with client(site, engine) as lead, client(site, engine) as member:
        sign_up(lead, "lead")
        for name, pids in (("Old <b>group</b>", older), ("Reading group", busy)):
            for pid in pids:
                post_form(lead, f"/papers/{pid}/save", {"collection": name, "next": "/"})
        with engine.connect() as conn:
            groups = {c.name: c for c in user_collections(conn, 1)}
        for group in groups.values():
            edit = {"name": group.name, "description": "", "visibility": "unlisted"}
            post_form(lead, f"/collections/{group.id}/edit", edit)
        with engine.begin() as conn:  # the old group's papers went in an hour before
            old = collection_items.c.collection_id == groups["Old <b>group</b>"].id
            earlier = utcnow() - timedelta(hours=1)
            conn.execute(update(collection_items).where(old).values(added_at=earlier))
            groups = {c.name: c for c in user_collections(conn, 1)}
        sign_up(member, "member")
        for group in groups.values():
            post_form(member, f"/c/{group.share_key}/follow", {"follow": "1"})
    values = daily_reader(None) | {"max_papers": 5, "include_trending": False}
    address = {"email": "m@example.org", "email_key": "m@example.org"}
    with engine.begin() as conn:
        sid = db.insert_subscriber(conn, values | address)
        db.update_subscriber(conn, sid, {"user_id": 2})
    run_due(engine, s, make_mailer(s), due_all=True, now=NOW)
    [mail] = sink.to("m@example.org")
    text = _text(mail)
    carried = digest_paper_ids(text.split(HEADING, 1)[1])
    assert len(carried) == FOLLOWED_MOST and set(carried) <= set(busy)
    assert "New in collections you follow: Old" not in text  # no section of its own
    added, pushed = _ADDED.search(text), _PUSHED.search(text)
    assert added is not None and pushed is not None, text
    assert int(added[1]) == len(busy) - FOLLOWED_MOST
    old_group = groups["Old <b>group</b>"]
    assert (int(pushed[1]), pushed[2]) == (len(older), old_group.name)
    assert pushed[3] == f"{BASE}/c/{old_group.share_key}"
    assert added.start() < pushed.start()
    html = _html(mail)
    assert f'<a href="{pushed[3]}" style="color:#1d4ed8;">' in html
    assert "new in Old &lt;b&gt;group&lt;/b&gt;, a collection you follow" in html
