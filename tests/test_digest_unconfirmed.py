"""An address typed into a subscribe form by someone else is not kept: once its confirmation link
has expired unfollowed, the next digest run forgets the subscription and the mail queued for it.
SQLite and PostgreSQL, through the site's subscribe API and a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Engine, func, select, update

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import run_due
from paperfeed.digest.subscribe import confirm
from paperfeed.settings import Settings
from paperfeed.store.digest_tables import outbox, subscribers
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
