"""Small defects the lead fixed in the forty-first round (both databases)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from unittest.mock import ANY

from sqlalchemy import Engine, update

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import run_due
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store.accounts import NEW_ACCOUNT, create_user, set_admin, set_vote, users
from paperfeed.store.community import add_comment, report_comment
from paperfeed.store.listings import set_flags
from paperfeed.store.papers import upsert_papers
from paperfeed.util import utcnow
from tests.digest_support import Sink, trending_subscriber
from tests.web_support import DAYS, client, csrf_token, on_day, sign_up

NOW = datetime(2026, 6, 29, 12, tzinfo=UTC)
PASSWORD = "correct horse battery"


def test_a_featured_paper_heads_a_digests_trending_as_it_heads_the_trending_page(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    """An editor features a paper low on the trending page: the page puts it first, and the
    digest's trending papers now do too, saying why (it was left out: scores alone counted)."""
    with client(site, engine) as c:
        listed = c.get("/api/trending?limit=100").json()
    newest = max(i["paper"]["listingDate"] for i in listed)
    day = [i["paper"]["id"] for i in listed if i["paper"]["listingDate"] == newest]
    low, voted = day[-1], day[:4]
    with engine.begin() as conn:
        voter = create_user(conn, "voter", "x")
        aged = update(users).where(users.c.id == voter.id)  # a new account's votes do not count
        conn.execute(aged.values(created_at=utcnow() - NEW_ACCOUNT))
        for pid in voted:  # four papers with a vote outrank the featured paper's score
            assert set_vote(conn, voter.id, pid, up=True)
        assert set_flags(conn, low, hidden=False, featured=True)
    with client(site, engine) as c:
        assert c.get("/api/trending?limit=1").json()[0]["paper"]["id"] == low
    trending_subscriber(engine, "reader@example.org")
    s = site.model_copy(
        update={"smtp_port": sink.port, "secret_key": "d" * 32, "digest_send_rate": 0}
    )
    assert run_due(engine, s, SmtpMailer(s), due_all=True, now=NOW).sent == 1
    text = sink.to("reader@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    sent = re.findall(r"/papers/(\S+)", text)
    whys = re.findall(r"Why: (.+)", text)
    assert sent[0] == low and whys[0] == "featured on trending", (sent, whys)
    assert sent[1:] == voted[:3] and whys[1:] == ["trending: 1 upvote"] * 3


def test_a_suspended_accounts_reports_leave_the_queue_until_lifted(
    site: Settings, engine: Engine
) -> None:
    """A troll mass-reports fair comments, and is suspended: those reports no longer fill the
    moderators' queue (only the troll's were counted there before); a comment another reader
    also reported stays, naming only that reader; lifting the suspension brings them back."""
    pid = sorted(on_day(engine, DAYS[1]))[0]
    with engine.begin() as conn:
        ids = {n: create_user(conn, n, "x").id for n in ("troll", "fair", "reader")}
        fair = [
            add_comment(conn, pid, ids["fair"], f"Section {i} is clear.", None) for i in range(5)
        ]
        for cid in fair:
            report_comment(conn, cid, ids["troll"], "trollreason")
        report_comment(conn, fair[0], ids["reader"], "readerreason")
    with client(site, engine) as c:
        sign_up(c, "mod", PASSWORD)
        with engine.begin() as conn:
            set_admin(conn, "mod", True)
        token = csrf_token(c, "/")
        assert "5 reported comments wait" in c.get("/admin/community").text
        data = {"suspended": "1", "confirmed": "1", "csrf_token": token}
        assert c.post("/admin/community/suspend/troll", data=data).status_code < 400
        left = c.get("/admin/community").text
        assert "1 reported comment waits" in left, left
        assert "readerreason" in left and "trollreason" not in left
        data = {"suspended": "0", "csrf_token": token}
        assert c.post("/admin/community/suspend/troll", data=data).status_code < 400
        assert "5 reported comments wait" in c.get("/admin/community").text


def test_addresses_in_an_abstract_and_its_comments_are_links_and_nothing_else_is(
    site: Settings, engine: Engine
) -> None:
    """arXiv links the code and project addresses an abstract names; the paper page showed
    them as text to copy. Now each http(s) address is a link (the sentence's full stop left
    out); other schemes, maths and the page's own markup are not."""
    paper = Paper(
        id="2606.99901",
        title="Linked Abstracts",
        abstract=(
            "Code is released at https://github.com/Peizeli1/MambaRaw. We also show "
            "$\\text{https://maths.example.org}$, javascript:alert(1) and <b>bold</b> "
            '(see https://example.org/a_b?c=1&d=2"onmouseover=x).'
        ),
        authors=("Ada Lovelace",),
        categories=("cs.LG",),
        version=1,
        comments="Project page: http://proj.example.org/x",
        source="test",
        listing_date=DAYS[1],
    )
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
    with client(site, engine) as c:
        page = c.get("/papers/2606.99901")
    assert page.status_code == 200
    links = re.findall(r'<a href="([^"]*)" rel="nofollow ugc noopener">([^<]*)</a>', page.text)
    assert links == [
        ("https://github.com/Peizeli1/MambaRaw", "https://github.com/Peizeli1/MambaRaw"),
        ("https://example.org/a_b?c=1&amp;d=2&#34;onmouseover=x", ANY),
        ("http://proj.example.org/x", "http://proj.example.org/x"),
    ], links
    assert "MambaRaw</a>. We also" in page.text
    assert "$\\text{https://maths.example.org}$" in page.text
    abstract = page.text.split('<div class="abstract math">')[1].split("</div>")[0]
    assert "&lt;b&gt;bold&lt;/b&gt;" in abstract, abstract


def test_tex_dashes_read_as_dashes_on_the_page_and_in_feeds(site: Settings, engine: Engine) -> None:
    """One real abstract in five writes TeX's dashes ("1.2--1.4 dB", "models -- which",
    "---"); pages, feeds and meta tags showed the hyphens as typed. An address and maths keep
    theirs."""
    paper = Paper(
        id="2606.99902",
        title="Dashes -- Typeset",
        abstract=("PSNR rises by 1.2--1.4 dB --- at no cost -- see https://x.org/a--b and $a--b$."),
        authors=("Ada Lovelace",),
        categories=("cs.LG",),
        version=1,
        source="test",
        listing_date=DAYS[1],
    )
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
    with client(site, engine) as c:
        page = c.get("/papers/2606.99902").text
        feed = c.get(f"/feeds/daily.atom?date={DAYS[1].isoformat()}").text
    shown = page.split('<div class="abstract math">')[1].split("</div>")[0]
    assert "1.2\u20131.4 dB \u2014 at no cost \u2013 see" in shown, shown
    assert 'href="https://x.org/a--b"' in shown and "$a--b$" in shown
    assert "<h1" in page and "Dashes \u2013 Typeset" in page
    assert "1.2\u20131.4 dB \u2014 at no cost" in feed, feed[:2000]
