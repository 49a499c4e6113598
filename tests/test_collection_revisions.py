"""A shared collection's papers revised on arXiv (a workshop's camera-ready v2) after they were
put in it: cards show the version and its date, the collection's page says "revised since
added", its feed dates the entry by the revision, and a follower's digest says how many have new
versions, once, and not to the collection's editors. The new version is read through the arXiv
API from recorded responses rewritten to v2; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.personal import revised_lines
from paperfeed.digest.schedule import run_due
from paperfeed.digest.subscriber import Preferences, Subscriber, normalise_email
from paperfeed.models import Paper
from paperfeed.pipeline import add_papers
from paperfeed.settings import Settings
from paperfeed.store import collection_editors as editors
from paperfeed.store import digests as db
from paperfeed.store import shared_lists as lists
from paperfeed.store import upsert_papers
from paperfeed.store.library import collection_items, user_collections
from paperfeed.store.tables import papers
from paperfeed.util import utcnow
from tests.digest_support import Sink
from tests.replay import Reply, Request, arxiv_api_handler, replay
from tests.web_support import client, post_form, sign_up, web_settings

PIDS = ["1605.08386", "1707.08567"]  # recorded as v1 (of 2016 and 2017)
# Put in the collection after the follow: the digest's new paper.
LATER = Paper(
    id="2401.00001",
    title="Counting Zebras with Sparse Transformers",
    abstract="We count animals in aerial images.",
    authors=("Ann Oldham",),
    categories=("cs.CV",),
    version=1,
    source="arxiv_api",
    listing_date=date(2024, 1, 2),
)
ATOM = "{http://www.w3.org/2005/Atom}"
NAME = "Reading group <b>& co</b>"
LINE = "2 papers in Reading group <b>&amp; co</b> have new versions"


def _ingest(engine: Engine, s: Settings, ids: list[str], when: datetime | None = None) -> None:
    """Read the papers through the arXiv API: as recorded, or as v2 submitted at `when`."""

    def handler(req: Request) -> Reply:
        feed = arxiv_api_handler(req).body
        if when is None:
            return Reply(feed)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        feed = feed.replace(b"v1</id>", b"v2</id>")
        return Reply(re.sub(rb"(<entry>.*?<updated>)[^<]*", rb"\g<1>" + stamp, feed, flags=re.S))

    with replay(handler) as server:
        report = add_papers(engine, s.model_copy(update={"arxiv_api_url": server.url}), ids)
    assert report.inserted + report.updated == len(ids), report


def _subscribe(engine: Engine, email: str, user_id: int) -> Subscriber:
    address, key = normalise_email(email)
    values = {
        "email": address, "email_key": key, "status": "confirmed", "nonce": "n" * 16,
        "frequency": "daily", "send_time": "08:00", "timezone": "UTC", "weekday": 0,
        "skip_weekends": False, "max_papers": 5, "include_trending": False,
    }  # fmt: skip
    with engine.begin() as conn:
        sid = db.insert_subscriber(conn, values)
        db.update_subscriber(conn, sid, {"user_id": user_id})
    return Subscriber(sid, address, "confirmed", "n" * 16, Preferences(), user_id=user_id)


def _public_list(lead: TestClient, engine: Engine) -> str:
    for pid in PIDS:
        post_form(lead, f"/papers/{pid}/save", {"collection": "Reading group", "next": "/"})
    with engine.connect() as conn:
        (group,) = user_collections(conn, 1)
    edit = {"name": NAME, "description": "", "visibility": "public"}
    post_form(lead, f"/collections/{group.id}/edit", edit)
    with engine.begin() as conn:  # put in three weeks ago, before any new version
        conn.execute(
            update(collection_items)
            .where(collection_items.c.collection_id == group.id)
            .values(added_at=utcnow() - timedelta(days=21))
        )
        (group,) = user_collections(conn, 1)
    return str(group.share_key)


def _read_in(engine: Engine) -> str:
    """When the store read in the papers' new version (the same for all: one batch)."""
    with engine.connect() as conn:
        query = select(papers.c.version_stored_at).where(papers.c.id.in_(PIDS))
        (stamp,) = {r.version_stored_at for r in conn.execute(query)}
    return f"{stamp:%Y-%m-%dT%H:%M:%S}"


def _feed_stamps(reader: TestClient, key: str) -> set[str]:
    atom = ET.fromstring(reader.get(f"/c/{key}/feed.atom").content)
    return {e.findtext(f"{ATOM}updated", "")[:19] for e in atom.iter(f"{ATOM}entry")}


def _text(message: EmailMessage) -> str:
    return str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def _html(message: EmailMessage) -> str:
    return str(message.get_body(("html",)).get_content())  # type: ignore[union-attr]


def test_a_revised_paper_is_marked_on_its_collection_and_its_feed(
    settings: Settings, engine: Engine
) -> None:
    s = web_settings(settings)
    _ingest(engine, s, PIDS)
    with client(s, engine) as lead, client(s, engine) as reader:
        sign_up(lead, "lead")
        key = _public_list(lead, engine)
        page = reader.get(f"/c/{key}").text
        assert "Revised since added" not in page and 'class="revised' not in page

        when = utcnow().replace(microsecond=0) - timedelta(hours=2)
        _ingest(engine, s, PIDS, when)
        page = reader.get(f"/c/{key}").text
        assert page.count("Revised since added: now v2") == 2
        day = f"{when.day} {when:%b}"
        mark = f'v2 · revised <time datetime="{when:%Y-%m-%d}">{day}</time>'
        assert page.count(mark) == 2
        assert reader.get("/search", params={"q": "heat-bath random walks"}).text.count(mark) == 1

        # Its feed entries are updated when the store read the new version in.
        assert _feed_stamps(reader, key) == {_read_in(engine)}

        # Put in again after its new version (a copy made today): not revised since added.
        with engine.begin() as conn:
            conn.execute(update(collection_items).values(added_at=utcnow()))
        assert "Revised since added" not in reader.get(f"/c/{key}").text


def test_a_version_read_in_after_the_paper_was_put_in_but_dated_before_is_marked(
    settings: Settings, engine: Engine
) -> None:
    s = web_settings(settings)
    _ingest(engine, s, PIDS)
    with client(s, engine) as lead, client(s, engine) as reader:
        sign_up(lead, "lead")
        key = _public_list(lead, engine)  # put in three weeks ago
        before = _feed_stamps(reader, key)
        # v2 was submitted four weeks ago, a week before the papers were put in the collection,
        # but the store reads it in only now: what the collection showed them at was v1.
        _ingest(engine, s, PIDS, utcnow().replace(microsecond=0) - timedelta(days=28))
        assert reader.get(f"/c/{key}").text.count("Revised since added: now v2") == 2
        after = _feed_stamps(reader, key)
        assert after == {_read_in(engine)} and not after & before  # one update of each entry
        assert _feed_stamps(reader, key) == after  # and no more


def test_a_follower_is_told_once_which_collections_papers_have_new_versions(
    settings: Settings, engine: Engine, sink: Sink
) -> None:
    s = web_settings(settings).model_copy(
        update={"smtp_port": sink.port, "secret_key": "d" * 32, "digest_send_rate": 0}
    )
    _ingest(engine, s, PIDS)
    with engine.begin() as conn:
        upsert_papers(conn, [LATER])
    with client(s, engine) as lead, client(s, engine) as member, client(s, engine) as eddie:
        sign_up(lead, "lead")
        key = _public_list(lead, engine)
        for user, name in ((member, "member"), (eddie, "eddie")):
            sign_up(user, name)
            post_form(user, f"/c/{key}/follow", {"follow": "1"})
        sub = _subscribe(engine, "member@example.org", 2)
        editor = _subscribe(engine, "eddie@example.org", 3)
        with engine.begin() as conn:
            (group,) = user_collections(conn, 1)
            assert editors.add_editor(conn, group, "eddie")
            assert lists.followed_collections(conn, 3)  # still following, now as an editor
            assert revised_lines(conn, sub, 2) == ()  # nothing revised yet

        _ingest(engine, s, PIDS, utcnow() - timedelta(hours=2))
        saved = {"collection": NAME, "next": "/"}
        post_form(lead, f"/papers/{LATER.id}/save", saved)
        with engine.connect() as conn:
            assert revised_lines(conn, editor, 3) == ()  # an editor's own list: not told
        assert run_due(engine, s, SmtpMailer(s), due_all=True, now=utcnow()).sent >= 1
        (mail,) = sink.to("member@example.org")
        text, html = _text(mail), _html(mail)
        assert LINE.replace("<b>&amp; co</b>", "<b>& co</b>") in text and f"/c/{key}" in text
        assert LINE.replace("<b>", "&lt;b&gt;").replace("</b>", "&lt;/b&gt;") in html
        assert "<b>& co" not in html  # the collection's name is inert
        assert all("new version" not in _text(m) for m in sink.to("eddie@example.org"))

        # The next digest does not tell it again.
        with engine.connect() as conn:
            assert revised_lines(conn, sub, 2) == ()


def _follower(engine: Engine, s: Settings, lead: TestClient, member: TestClient) -> Subscriber:
    """The lead's public list of PIDS (v1), followed by `member`, who takes a daily digest."""
    _ingest(engine, s, PIDS)
    sign_up(lead, "lead")
    key = _public_list(lead, engine)
    sign_up(member, "member")
    post_form(member, f"/c/{key}/follow", {"follow": "1"})
    return _subscribe(engine, "member@example.org", 2)


def _digest_settings(settings: Settings, sink: Sink) -> Settings:
    return web_settings(settings).model_copy(
        update={"smtp_port": sink.port, "secret_key": "d" * 32, "digest_send_rate": 0}
    )


def _run(engine: Engine, s: Settings, days: int) -> None:
    """A digest run `days` days from now (each its own daily period)."""
    run_due(engine, s, SmtpMailer(s), due_all=True, now=utcnow() + timedelta(days=days))


def _told(sink: Sink) -> list[EmailMessage]:
    return [m for m in sink.to("member@example.org") if "new version" in _text(m)]


def test_new_versions_alone_are_sent_in_a_short_digest(
    settings: Settings, engine: Engine, sink: Sink
) -> None:
    s = _digest_settings(settings, sink)
    with client(s, engine) as lead, client(s, engine) as member:
        _follower(engine, s, lead, member)
        _run(engine, s, 0)  # the day before: nothing revised yet
        assert _told(sink) == []
        before = len(sink.to("member@example.org"))

        _ingest(engine, s, PIDS, utcnow() - timedelta(hours=2))  # a day of new versions alone
        _run(engine, s, 1)
        (mail,) = sink.to("member@example.org")[before:]
        text, html = _text(mail), _html(mail)
        assert mail["Subject"] == "Daily papers: " + LINE.replace("<b>&amp; co</b>", "<b>& co</b>")
        assert "No new papers for you, but new versions in collections you follow" in text
        assert LINE.replace("<b>", "&lt;b&gt;").replace("</b>", "&lt;/b&gt;") in html
        base = s.public_url
        with engine.connect() as conn:
            (group,) = user_collections(conn, 1)
        assert f"{base}/c/{group.share_key}" in text and f"{base}/c/{group.share_key}" in html
        assert f"{base}/unsubscribe?token=" in text and mail["List-Unsubscribe"]
        assert "/papers/" not in text  # no paper of its own

        _run(engine, s, 2)  # told once
        assert len(_told(sink)) == 1


def test_a_version_read_in_after_a_digest_but_dated_before_it_is_told_once(
    settings: Settings, engine: Engine, sink: Sink
) -> None:
    s = _digest_settings(settings, sink)
    with client(s, engine) as lead, client(s, engine) as member:
        _follower(engine, s, lead, member)
        _run(engine, s, 0)
        assert _told(sink) == []
        # arXiv dated v2 two days ago, before that digest; the store reads it in only now.
        _ingest(engine, s, PIDS, utcnow() - timedelta(days=2))
        with engine.begin() as conn:  # and the next digest has a new paper as well
            upsert_papers(conn, [LATER])
        post_form(lead, f"/papers/{LATER.id}/save", {"collection": NAME, "next": "/"})
        _run(engine, s, 1)
        (told,) = _told(sink)
        assert LINE.replace("<b>&amp; co</b>", "<b>& co</b>") in _text(told)
        assert f"/papers/{LATER.id}" in _text(told)
        _run(engine, s, 2)
        _run(engine, s, 3)
        assert len(_told(sink)) == 1
