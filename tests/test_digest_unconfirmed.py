"""An address typed into a subscribe form by someone else is not kept: once its confirmation link
has expired unfollowed, the next digest run forgets the subscription and the mail queued for it.
An address that unsubscribed is forgotten the same way a week after it left. SQLite and
PostgreSQL, through the site's subscribe API and a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Engine, func, select, update

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import run_due
from paperfeed.digest.subscribe import confirm
from paperfeed.digest.tokens import make_token
from paperfeed.secret import secret_key
from paperfeed.settings import Settings
from paperfeed.store.digest_tables import interests, outbox, subscribers
from tests.digest_support import Sink
from tests.web_support import client


def _ask(c: object, address: str) -> None:
    asked = c.post("/api/subscribe", json={"email": address})  # type: ignore[attr-defined]
    assert asked.status_code == 202, asked.text


def _age(engine: Engine, address: str, days: int) -> None:
    """Make an address's subscription and its mail `days` older, as if asked for then."""
    back = timedelta(days=days)
    with engine.begin() as conn:
        sub = conn.execute(select(subscribers).where(subscribers.c.email == address)).one()
        older = update(subscribers).where(subscribers.c.id == sub.id)
        conn.execute(older.values(created_at=sub.created_at - back))
        for mail in conn.execute(select(outbox).where(outbox.c.subscriber_id == sub.id)).all():
            earlier = update(outbox).where(outbox.c.id == mail.id)
            conn.execute(earlier.values(created_at=mail.created_at - back))


def _kept(engine: Engine, address: str) -> tuple[int, int]:
    """The subscriptions and the outbox rows the store keeps for an address."""
    with engine.connect() as conn:
        subs = select(func.count()).where(subscribers.c.email == address)
        mail = select(func.count()).where(outbox.c.recipient == address)
        return int(conn.execute(subs).scalar_one()), int(conn.execute(mail).scalar_one())


def test_an_address_never_confirmed_is_forgotten_once_its_link_expired(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    s = site.model_copy(update={"smtp_port": sink.port, "digest_send_rate": 0})
    with client(s, engine) as c:
        for address in ("victim@example.org", "fresh@example.org", "asked-again@example.org"):
            _ask(c, address)
        _ask(c, "reader@example.org")
        body = sink.to("reader@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        confirm(engine, s, re.findall(r"confirm\?token=(\S+)", body)[0])
        for address in ("victim@example.org", "asked-again@example.org", "reader@example.org"):
            _age(engine, address, 4)  # the confirmation link lasts 3 days
        _ask(c, "asked-again@example.org")  # a new link, good for 3 days from now
    assert _kept(engine, "victim@example.org") == (1, 1)
    mailer = SmtpMailer(s)
    run_due(engine, s, mailer)
    mailer.close()
    assert _kept(engine, "victim@example.org") == (0, 0)
    assert _kept(engine, "fresh@example.org")[0] == 1
    assert _kept(engine, "asked-again@example.org")[0] == 1
    assert _kept(engine, "reader@example.org")[0] == 1
    assert len(sink.to("victim@example.org")) == 1  # the one confirmation mail, nothing after


def _confirmed(c: object, s: Settings, engine: Engine, sink: Sink, address: str) -> str:
    """Subscribe and confirm `address` with a saved search; its unsubscribe link's token."""
    asked = c.post(  # type: ignore[attr-defined]
        "/api/subscribe", json={"email": address, "keywords": ["graph neural networks"]}
    )
    assert asked.status_code == 202, asked.text
    body = sink.to(address)[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    sub = confirm(engine, s, re.findall(r"confirm\?token=(\S+)", body)[0])
    return make_token(secret_key(s), "unsubscribe", sub.id, sub.nonce)


def _left_days_ago(engine: Engine, address: str, days: int) -> None:
    with engine.begin() as conn:
        sub = conn.execute(select(subscribers).where(subscribers.c.email == address)).one()
        back = update(subscribers).where(subscribers.c.id == sub.id)
        conn.execute(back.values(unsubscribed_at=sub.unsubscribed_at - timedelta(days=days)))


def test_an_unsubscribed_address_is_forgotten_a_week_after_it_left(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    s = site.model_copy(update={"smtp_port": sink.port, "digest_send_rate": 0})
    with client(s, engine) as c:
        tokens = {a: _confirmed(c, s, engine, sink, a) for a in ("gone@x.org", "recent@x.org")}
        for token in tokens.values():
            left = c.post(f"/unsubscribe?token={token}")
            assert left.status_code == 200 and "You are unsubscribed" in left.text
        _left_days_ago(engine, "gone@x.org", 8)
        _left_days_ago(engine, "recent@x.org", 6)  # may still subscribe again where it left off
        assert _kept(engine, "gone@x.org") == (1, 1)
        mailer = SmtpMailer(s)
        run_due(engine, s, mailer)
        mailer.close()
        assert _kept(engine, "gone@x.org") == (0, 0)
        assert _kept(engine, "recent@x.org") == (1, 1)
        with engine.connect() as conn:
            kept = select(func.count()).select_from(interests)
            assert conn.execute(kept).scalar_one() == 1  # recent's saved search alone
        # The old email's unsubscribe link still says what became of the address.
        again = c.post(f"/unsubscribe?token={tokens['gone@x.org']}")
        page = c.get(f"/unsubscribe?token={tokens['gone@x.org']}")
    for answer in (again, page):
        assert answer.status_code == 200, answer.text
        assert "You are unsubscribed" in answer.text and "no longer keeps it" in answer.text
