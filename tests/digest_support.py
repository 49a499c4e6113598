"""Digest test support: a real SMTP server on loopback that can be told to fail, drop or stall,
and a store holding the newest real papers of the demo sample."""

from __future__ import annotations

import asyncio
import email
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import Connection, Engine, select

from paperfeed.digest.subscriber import normalise_email
from paperfeed.settings import Settings
from paperfeed.store import digests, get_papers, open_store, upsert_papers
from paperfeed.store.digest_tables import outbox, sent_papers, subscribers
from paperfeed.store.tables import papers


@dataclass
class Received:
    """One message the server accepted."""

    sender: str
    recipients: list[str]
    raw: bytes
    authenticated: bool = False

    @property
    def message(self) -> EmailMessage:
        """The parsed message."""
        return email.message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Sink:
    """The server's behaviour and what it received.

    `plan` holds what to do with the next messages, one word each: "ok", "451" (transient),
    "550" (permanent) or "drop" (close the connection without answering). `stall_after`
    makes the server take the next message in and then never answer, until `release` is set.
    """

    port: int = 0
    received: list[Received] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    stall_after: int | None = None
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    attempts: int = 0
    sessions: set[tuple[str, int]] = field(default_factory=set)  # client addresses seen

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.attempts += 1
        self.sessions.add(tuple(session.peer))
        action = self.plan.pop(0) if self.plan else "ok"
        if action == "451":
            return "451 4.3.0 Temporary failure, try again later"
        if action == "550":
            return "550 5.1.1 Mailbox unavailable"
        if action == "drop":
            server.transport.close()
            return "421 closing"
        rcpts, logged_in = list(envelope.rcpt_tos), bool(session.authenticated)
        self.received.append(Received(envelope.mail_from, rcpts, envelope.content, logged_in))
        if self.stall_after is not None and len(self.received) > self.stall_after:
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 2.0.0 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """Messages received for one address, in order."""
        return [r.message for r in self.received if address in r.recipients]


def _accept(login: tuple[str, str]) -> Any:
    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            login[0].encode(),
            login[1].encode(),
        )
        return AuthResult(success=ok, handled=False)

    return authenticator


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(handler: object, port: int) -> Iterator[None]:
    """A real SMTP server on loopback answering through `handler` (aiosmtpd's hooks)."""
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


@contextmanager
def smtp_sink(login: tuple[str, str] | None = None) -> Iterator[Sink]:
    """Run a Sink on 127.0.0.1 for the duration of the block (requiring `login`, if given)."""
    sink = Sink(port=free_port())
    auth: dict[str, Any] = {}
    if login:
        # AUTH offered without TLS on loopback; requiring it makes aiosmtpd warn on each session.
        auth = {"authenticator": _accept(login), "auth_require_tls": False}
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, **auth)
    controller.start()
    try:
        yield sink
    finally:
        sink.release.set()
        controller.stop()


def add_outbox_message(
    conn: Connection,
    email: str,
    *,
    status: str = "failed",
    message: str = "x",
    attempts: int = 6,
    last_error: str | None = "550 mailbox full",
) -> int:
    """A confirmed daily subscriber `email` with one digest in the outbox (failed unless
    `status` says otherwise; a sent one gets a sent time); returns the message's outbox id."""
    now = datetime.now(UTC).replace(tzinfo=None)
    subscriber = conn.execute(
        subscribers.insert().values(
            email=email,
            email_key=email,
            status="confirmed",
            nonce="n",
            frequency="daily",
            send_time="07:00",
            timezone="UTC",
            weekday=0,
            skip_weekends=False,
            max_papers=5,
            include_trending=True,
            created_at=now,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    row = conn.execute(
        outbox.insert().values(
            subscriber_id=subscriber,
            kind="digest",
            period="daily:2026-12-01",
            status=status,
            recipient=email,
            message_id="<m@x>",
            message=message,
            attempts=attempts,
            next_attempt_at=now,
            last_error=last_error,
            created_at=now,
            sent_at=now if status == "sent" else None,
        )
    )
    return int(row.inserted_primary_key[0])  # type: ignore[index]


def copy_newest_papers(
    demo: Settings, engine: Engine, days: int, limit: int | None = None
) -> list[str]:
    """Copy the demo's papers of its newest `days` listing days (the first `limit` of them by id)
    into `engine`; returns their ids."""
    source = open_store(demo)
    with source.connect() as conn:
        newest = sorted(
            {d for (d,) in conn.execute(select(papers.c.listing_date).distinct()) if d}
        )[-days:]
        ids = [
            pid
            for (pid,) in conn.execute(select(papers.c.id).where(papers.c.listing_date.in_(newest)))
        ]
        ids = sorted(ids)[:limit]
        loaded = get_papers(conn, ids)
    source.dispose()
    with engine.begin() as conn:
        upsert_papers(conn, list(loaded.values()))
    return ids


@contextmanager
def serve(app: Any, port: int) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1:port in a thread; yields its base URL."""
    import time

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # startup takes a moment; nothing is timed here
        if not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


def digest_reasons(text: str) -> list[str]:
    """The "Why:" reasons of a digest's plain text, each whole (a long one is wrapped, its
    later lines indented)."""
    return [" ".join(why.split()) for why in re.findall(r"Why: (.+(?:\n {8}\S.*)*)", text)]


def digest_paper_ids(text: str) -> list[str]:
    """The paper ids of a digest's plain text, in order: each paper's link under its number,
    title, byline and "Why:" lines (however many lines each takes)."""
    return re.findall(r"^\d+\. (?:.*\n)*?   \S+/papers/(\S+)$", text, re.M)


def trending_subscriber(engine: Engine, email: str) -> None:
    """A confirmed daily subscriber who asked for trending papers alone (four a digest)."""
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
        digests.insert_subscriber(conn, values)


def daily_reader(covered: date | None) -> dict[str, object]:
    """A confirmed daily subscriber at 08:00 UTC, every day, covered up to `covered`."""
    return {
        "email": "reader@example.org",
        "email_key": "reader@example.org",
        "status": "confirmed",
        "nonce": "n" * 16,
        "frequency": "daily",
        "send_time": "08:00",
        "timezone": "UTC",
        "weekday": 0,
        "skip_weekends": False,
        "max_papers": 10,
        "include_trending": True,
        "covered_until": covered,
    }


def carried_papers(engine: Engine) -> set[tuple[str, str]]:
    """(period, paper id) of every paper a digest carried."""
    query = select(outbox.c.period, sent_papers.c.paper_id).join(
        sent_papers, sent_papers.c.outbox_id == outbox.c.id
    )
    with engine.connect() as conn:
        return {(period, pid) for period, pid in conn.execute(query)}
