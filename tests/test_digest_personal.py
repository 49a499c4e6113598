"""A signed-in subscriber's digest ranks with the For you model and mutes (both databases)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

from argon2 import PasswordHasher
from sqlalchemy import Engine

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import preview, run_due, window
from paperfeed.digest.subscribe import find_by_email
from paperfeed.digest.subscriber import Subscriber, normalise_email
from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import library as lib
from paperfeed.store.accounts import create_user
from paperfeed.web import csrf
from tests.digest_support import Sink, digest_paper_ids, digest_reasons
from tests.web_support import HOSTILE_ID, client, csrf_token, stored

PASSWORD = "correct horse battery"
NOW = datetime(2026, 6, 29, 12, tzinfo=UTC)
MAX = 5


def _graph_papers(engine: Engine) -> list[str]:
    return sorted(p.id for p in stored(engine).values() if "graph" in p.title.lower())


def _reader(engine: Engine) -> int:
    """A user who rated the store's graph papers 👍 and mutes cs.CR and the word "channel"."""
    graph = _graph_papers(engine)
    assert len(graph) >= 2
    with engine.begin() as conn:
        uid: int = create_user(conn, "reader", PasswordHasher().hash(PASSWORD)).id
        for pid in graph:
            lib.set_rating(conn, uid, pid, 1)
        lib.add_interest(conn, uid, "mute", "category", "cs.CR", "cs.CR")
        lib.add_interest(conn, uid, "mute", "keyword", "channel", "channel")
    return uid


def _subscribe(
    engine: Engine,
    email: str,
    user_id: int | None,
    trending: bool,
    categories: tuple[str, ...] = (),
    authors: tuple[str, ...] = (),
    seeds: tuple[str, ...] = (),
) -> Subscriber:
    address, key = normalise_email(email)
    values = {
        "email": address,
        "email_key": key,
        "status": "confirmed",
        "nonce": "n" * 16,
        "frequency": "weekly",
        "send_time": "08:00",
        "timezone": "UTC",
        "weekday": 0,
        "skip_weekends": False,
        "max_papers": MAX,
        "include_trending": trending,
    }
    with engine.begin() as conn:
        sid = db.insert_subscriber(conn, values)
        rows = [db.InterestRow("category", c) for c in categories]
        rows += [db.InterestRow("author", a) for a in authors]
        db.replace_interests(conn, sid, rows + [db.InterestRow("seed", p) for p in seeds])
        if user_id is not None:
            db.update_subscriber(conn, sid, {"user_id": user_id})
    found = find_by_email(engine, email)
    assert found is not None and found.user_id == user_id
    return found


def _api_feed(site: Settings, engine: Engine, span: tuple[date, date]) -> list[tuple[str, str]]:
    with client(site, engine) as c:
        token = c.post("/api/login", json={"username": "reader", "password": PASSWORD})
        auth = {"Authorization": f"Bearer {token.json()['token']}"}
        url = f"/api/me/feed?since={span[0]}&until={span[1]}&limit=100"
        items = c.get(url, headers=auth).json()
    return [(i["paper"]["id"], i["why"]) for i in items]


def _muted(engine: Engine, pid: str) -> bool:
    paper = stored(engine)[pid]
    text = f"{paper.title} {paper.abstract}"
    return "cs.CR" in paper.categories or re.search(r"\bchannel\b", text, re.I) is not None


def test_a_readers_digest_is_their_for_you_ranking_without_sent_papers(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    embed_papers(site, engine)
    uid = _reader(engine)
    sub = _subscribe(engine, "reader@example.org", uid, trending=False)
    with engine.connect() as conn:
        span = window(sub, db.latest_listing_day(conn))
    assert span is not None
    api = _api_feed(site, engine, span)
    assert len(api) > MAX + 1
    sent = api[0][0]
    with engine.begin() as conn:  # an earlier digest carried the reader's top paper
        old = db.NewMessage(sub.id, "digest", "weekly:2026-W20", sub.email, "<m@x>", "", (sent,))
        old = replace(old, status="sent")
        db.record_messages(conn, [old])
    s = site.model_copy(
        update={"smtp_port": sink.port, "secret_key": "d" * 32, "digest_send_rate": 0}
    )
    assert run_due(engine, s, SmtpMailer(s), due_all=True, now=NOW).sent == 1

    text = sink.to("reader@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    ids = re.findall(r"/papers/(\S+)", text)
    reasons = digest_reasons(text)
    expected = [item for item in api if item[0] != sent][:MAX]
    assert list(zip(ids, reasons, strict=True)) == expected
    assert not any(_muted(engine, pid) for pid in ids)


def test_mutes_clear_trending_and_interests_and_for_you_keeps_its_order(
    site: Settings, engine: Engine
) -> None:
    embed_papers(site, engine)
    uid = _reader(engine)
    interests = ("cs.CR", "cs.IT", "cs.GR")
    rated = _graph_papers(engine)[0]
    author = (stored(engine)[rated].authors[0],)  # brings a paper the reader rated
    linked = _subscribe(engine, "reader@example.org", uid, True, interests, author)
    twin = _subscribe(engine, "twin@example.org", None, True, interests, author)
    mine, theirs = preview(engine, site, linked, NOW), preview(engine, site, twin, NOW)
    with engine.connect() as conn:
        span = window(linked, db.latest_listing_day(conn))
    assert span is not None
    why = dict(_api_feed(site, engine, span))

    # The subscriber without an account: today's digest, the muted trending paper included.
    assert {HOSTILE_ID, rated} <= {i.paper_id for i in theirs.items}
    assert len(theirs.items) == MAX and not any(why.get(i.paper_id) == i.why for i in theirs.items)
    # The reader: For you papers in the page's order, in turn with their own, none muted.
    ids = [i.paper_id for i in mine.items]
    assert len(ids) == MAX == len(set(ids))
    assert not any(_muted(engine, pid) for pid in ids) and rated not in ids
    ranked = [i.paper_id for i in mine.items if why.get(i.paper_id) == i.why]
    assert len(ranked) >= MAX // 2
    assert ranked == [pid for pid in why if pid in ranked]
    own = [i for i in mine.items if i.paper_id not in ranked]
    assert own and all(i.why.startswith(("new in cs.", "trending", "by ")) for i in own)


def test_an_account_without_signals_gets_todays_digest(site: Settings, engine: Engine) -> None:
    with engine.begin() as conn:
        quiet = create_user(conn, "quiet", PasswordHasher().hash(PASSWORD)).id
    interests = ("cs.CR", "cs.GT")
    linked = _subscribe(engine, "quiet@example.org", quiet, True, interests)
    twin = _subscribe(engine, "twin@example.org", None, True, interests)
    mine, theirs = preview(engine, site, linked, NOW), preview(engine, site, twin, NOW)
    assert len(theirs.items) == MAX
    assert [(i.paper_id, i.why) for i in mine.items] == [(i.paper_id, i.why) for i in theirs.items]


def test_a_reader_with_only_mutes_gets_no_muted_paper(site: Settings, engine: Engine) -> None:
    """A reader who had muted things but saved, rated and followed nothing got the muted papers
    by email (the site hid them): the digest went out as composed, before the mutes."""
    with engine.begin() as conn:
        uid = create_user(conn, "muter", PasswordHasher().hash(PASSWORD)).id
        lib.add_interest(conn, uid, "mute", "category", "cs.CR", "cs.CR")
        lib.add_interest(conn, uid, "mute", "keyword", "channel", "channel")
    interests = ("cs.CR", "cs.IT", "cs.GR")
    linked = _subscribe(engine, "muter@example.org", uid, True, interests)
    twin = _subscribe(engine, "twin@example.org", None, True, interests)
    mine, theirs = preview(engine, site, linked, NOW), preview(engine, site, twin, NOW)
    assert any(_muted(engine, i.paper_id) for i in theirs.items)  # there was one to leave out
    assert mine.items and not any(_muted(engine, i.paper_id) for i in mine.items)
    kept = [i.paper_id for i in theirs.items if not _muted(engine, i.paper_id)]
    assert [i.paper_id for i in mine.items][: len(kept)] == kept


def test_seed_papers_are_not_sent_from_for_you_either(site: Settings, engine: Engine) -> None:
    uid = _reader(engine)
    with engine.connect() as conn:
        latest = db.latest_listing_day(conn)
    probe = _subscribe(engine, "probe@example.org", None, False)
    span = window(probe, latest)
    assert span is not None
    top = _api_feed(site, engine, span)[0][0]
    sub = _subscribe(engine, "reader@example.org", uid, False, seeds=(top,))
    ids = [i.paper_id for i in preview(engine, site, sub, NOW).items]
    assert ids == [pid for pid, _ in _api_feed(site, engine, span) if pid != top][:MAX]


def test_a_digest_run_keeps_the_keyword_features_where_the_site_reads_them(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    """A `digest run` process (no site in it) reads and writes the day's For you features in
    the site's folder instead of fitting its own each run."""
    kept = site.index_dir / "vocabulary"
    assert not list(kept.glob("vocabulary-*.json.gz"))
    uid = _reader(engine)
    _subscribe(engine, "reader@example.org", uid, trending=False)
    s = site.model_copy(
        update={"smtp_port": sink.port, "secret_key": "d" * 32, "digest_send_rate": 0}
    )
    assert run_due(engine, s, SmtpMailer(s), due_all=True, now=NOW).sent == 1
    assert len(list(kept.glob("vocabulary-*.json.gz"))) == 1


def test_a_readers_digest_rates_its_papers_from_the_email(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    """Each paper of a linked subscriber's digest has 👍 / 👎 links: the link asks (a link
    scanner's GET rates nothing), the button rates for the account, and it can be taken back.
    A subscription without an account gets no such links."""
    embed_papers(site, engine)
    uid = _reader(engine)
    _subscribe(engine, "reader@example.org", uid, trending=False)
    _subscribe(engine, "anon@example.org", None, trending=True)
    s = site.model_copy(
        update={"smtp_port": sink.port, "secret_key": "d" * 32, "digest_send_rate": 0}
    )
    assert run_due(engine, s, SmtpMailer(s), due_all=True, now=NOW).sent == 2
    mail = sink.to("reader@example.org")[-1]
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    ids = digest_paper_ids(text)
    more = re.findall(r"More like this: \S+(/digest/rate\?token=\S+&paper=(\S+)&r=1)", text)
    less = re.findall(r"Less like this: \S+/digest/rate\?token=\S+&paper=(\S+)&r=-1", text)
    assert len(ids) == MAX and [m[1] for m in more] == ids == less
    assert html.count('&amp;r=1"') == MAX and html.count('&amp;r=-1"') == MAX
    anon = sink.to("anon@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "/papers/" in anon and "/digest/rate" not in anon
    link, pid = more[0]
    with engine.connect() as conn:
        assert lib.user_ratings(conn, uid, [pid]) == {}
    with client(s, engine) as c:
        asked = c.get(link)
        assert asked.status_code == 200 and "More like this?" in asked.text
        with engine.connect() as conn:
            assert lib.user_ratings(conn, uid, [pid]) == {}  # a GET rates nothing
        action = re.search(r'<form method="post" action="([^"]+)"', asked.text)
        assert action
        done = c.post(action[1].replace("&amp;", "&"))
        assert done.status_code == 200 and "Noted: more like this" in done.text
        with engine.connect() as conn:
            assert lib.user_ratings(conn, uid, [pid]) == {pid: 1}
        used = c.get(link)  # the link again: it says what was done, and offers the undo
        assert "Noted: more like this" in used.text and "More like this?" not in used.text
        assert "r=0" in used.text
        undo = re.search(r'<form method="post" action="([^"]+)"', done.text)
        assert undo and "r=0" in undo[1]
        assert "Rating taken back" in c.post(undo[1].replace("&amp;", "&")).text
        with engine.connect() as conn:
            assert lib.user_ratings(conn, uid, [pid]) == {}
        forged = c.post(link.replace("token=", "token=x"))
        assert forged.status_code == 400 and "Link not valid" in forged.text
        assert c.get(link.replace(f"paper={pid}", "paper=9999.99999")).status_code == 404
        assert c.get(link.replace("r=1", "r=5")).status_code == 400
        # Opened while signed in, the page's header shows the reader, and its Sign out works.
        assert 'href="/signin' in asked.text and 'class="who"' not in asked.text
        form = {"username": "reader", "password": PASSWORD, "csrf_token": csrf_token(c)}
        assert c.post("/signin", data=form).status_code == 200
        page = c.get(link).text
        assert 'class="who" href="/users/reader"' in page and "/digest/rate" in page
        sent = re.search(r'action="/signout"[^>]*>\s*<input [^>]*value="([^"]+)"', page)
        assert sent and csrf.unmask(sent[1]) == csrf.unmask(csrf_token(c, "/"))  # masked afresh
        assert c.post("/signout", data={"csrf_token": sent[1]}).status_code == 200
        assert 'class="who"' not in c.get(link).text
