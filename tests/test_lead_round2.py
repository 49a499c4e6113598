"""Small defects the lead fixed in the forty-first round (both databases)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import Engine

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import run_due
from paperfeed.digest.subscriber import normalise_email
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.accounts import create_user, set_vote
from paperfeed.store.listings import set_flags
from tests.digest_support import Sink
from tests.web_support import client

NOW = datetime(2026, 6, 29, 12, tzinfo=UTC)


def _trending_subscriber(engine: Engine, email: str) -> None:
    """A confirmed daily subscriber who asked for trending papers alone."""
    address, key = normalise_email(email)
    values = {
        "email": address,
        "email_key": key,
        "status": "confirmed",
        "nonce": "n" * 16,
        "frequency": "daily",
        "send_time": "08:00",
        "timezone": "UTC",
        "weekday": 0,
        "skip_weekends": False,
        "max_papers": 4,
        "include_trending": True,
    }
    with engine.begin() as conn:
        db.insert_subscriber(conn, values)


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
        for pid in voted:  # four papers with a vote outrank the featured paper's score
            assert set_vote(conn, voter.id, pid, up=True)
        assert set_flags(conn, low, hidden=False, featured=True)
    with client(site, engine) as c:
        assert c.get("/api/trending?limit=1").json()[0]["paper"]["id"] == low
    _trending_subscriber(engine, "reader@example.org")
    s = site.model_copy(
        update={"smtp_port": sink.port, "secret_key": "d" * 32, "digest_send_rate": 0}
    )
    assert run_due(engine, s, SmtpMailer(s), due_all=True, now=NOW).sent == 1
    text = sink.to("reader@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    sent = re.findall(r"/papers/(\S+)", text)
    whys = re.findall(r"Why: (.+)", text)
    assert sent[0] == low and whys[0] == "featured on trending", (sent, whys)
    assert sent[1:] == voted[:3] and whys[1:] == ["trending: 1 upvote"] * 3
