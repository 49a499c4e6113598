"""A loopback SMTP server that misbehaves on purpose: transient 4xx replies, dropped
connections and stalls (client timeouts) on a share of commands, slow acceptance of some
messages, permanent 5xx for some messages and recipients; optionally over STARTTLS or implicit
TLS with a throwaway certificate.

Used by the chaos tests and by bench/smtp_chaos.py. A message counts as delivered only when
the server answered 250 to its DATA; a dropped or stalled DATA never counts (as with a real
server that did not take the message).
"""

from __future__ import annotations

import asyncio
import email
import random
import shutil
import ssl
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

BOUNCE = "bounce"  # recipients whose local part starts with this are refused for good (550)


@dataclass
class Chaos:
    """What the server does with each MAIL, RCPT and DATA command (drawn from a seeded RNG)."""

    transient: float = 0.15  # 451
    drop: float = 0.08  # close the connection without answering
    stall: float = 0.07  # answer nothing until the client has given up
    permanent: float = 0.02  # 554 at DATA: this message is refused for good
    slow: float = 0.03  # DATA: take the message, answer 250 only after stall_seconds
    stall_seconds: float = 1.5
    seed: int = 7
    rng: random.Random = field(init=False)
    delivered: list[tuple[str, str, str]] = field(default_factory=list)  # (to, Message-ID, kind)
    faults: Counter[str] = field(default_factory=Counter)
    commands: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    async def _fault(self, server: SMTP, data: bool) -> str | None:
        self.commands += 1
        roll = self.rng.random()
        for name, share in (("451", self.transient), ("drop", self.drop), ("stall", self.stall)):
            if roll < share:
                self.faults[name] += 1
                return await _act(name, server, self.stall_seconds)
            roll -= share
        if data and roll < self.permanent:
            self.faults["554"] += 1
            return "554 5.7.1 Message rejected"
        if data and roll - self.permanent < self.slow:
            self.faults["slow"] += 1
            return "slow"
        return None

    async def handle_MAIL(  # noqa: N802
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        fault = await self._fault(server, data=False)
        if fault:
            return fault
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.startswith(BOUNCE):
            self.faults["550"] += 1
            return "550 5.1.1 No such user"
        fault = await self._fault(server, data=False)
        if fault:
            return fault
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:  # noqa: N802
        fault = await self._fault(server, data=True)
        if fault and fault != "slow":
            return fault
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        kind = "confirm" if "confirm" in str(message["Subject"]).lower() else "digest"
        for rcpt in envelope.rcpt_tos:
            self.delivered.append((rcpt, str(message["Message-ID"]), kind))
        if fault == "slow":  # the message is taken; the answer comes late
            await asyncio.sleep(self.stall_seconds)
        return "250 2.0.0 OK"


async def _act(name: str, server: SMTP, stall_seconds: float) -> str:
    if name == "drop":
        server.transport.close()
        return "421 4.4.2 Closing"
    if name == "stall":
        await asyncio.sleep(stall_seconds)  # the client times out first and goes away
        server.transport.close()
        return "421 4.4.2 Too slow"
    return "451 4.3.0 Try again later"


@dataclass(frozen=True)
class Certificate:
    """A throwaway self-signed certificate for 127.0.0.1 and localhost."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """What the server presents."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(folder: Path) -> Certificate | None:
    """A certificate made with the openssl command (None where it is not installed)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Certificate(cert, key)


@contextmanager
def chaos_server(
    chaos: Chaos, port: int, tls: str = "none", certificate: Certificate | None = None
) -> Iterator[Chaos]:
    """Serve `chaos` on 127.0.0.1:port: plain, with STARTTLS offered, or implicit TLS ("ssl")."""
    options: dict[str, Any] = {}
    if tls == "starttls":
        assert certificate is not None
        options = {"tls_context": certificate.server_context()}
    elif tls == "ssl":
        assert certificate is not None
        options = {"ssl_context": certificate.server_context()}
    controller = Controller(chaos, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield chaos
    finally:
        controller.stop()


@dataclass
class Outcome:
    """What a scenario did: outbox rows by kind and status, tries, and the server's view."""

    rows: list[dict[str, Any]]
    delivered: list[tuple[str, str, str]]
    faults: Counter[str]
    commands: int
    passes: int

    def table(self) -> dict[str, object]:
        """Figures for a report."""
        by = Counter(f"{r['kind']} {r['status']}" for r in self.rows)
        tries = sum(int(r["attempts"]) for r in self.rows)
        return {
            "messages": len(self.rows),
            "send attempts": tries,
            "retries": tries - len(self.rows),
            "delivery passes": self.passes,
            "SMTP commands": self.commands,
            "faults injected": dict(sorted(self.faults.items())),
            "outcome": dict(sorted(by.items())),
            "delivered copies": len(self.delivered),
        }


def run_scenario(
    engine: Any, settings: Any, chaos: Chaos, addresses: list[str], now: Any, max_passes: int = 40
) -> Outcome:
    """Subscribe every address, confirm those whose confirmation arrived, send everyone's digest
    for one period, retrying as the schedule would until nothing is left to send."""
    from sqlalchemy import select

    from paperfeed.digest.deliver import SmtpMailer, deliver_due
    from paperfeed.digest.schedule import run_due
    from paperfeed.digest.subscribe import confirm, find_by_email, links_for, request_subscription
    from paperfeed.store import digests as db

    mailer = SmtpMailer(settings, timeout=0.5)
    passes = 0
    try:
        for address in addresses:
            request_subscription(engine, settings, mailer, address, {})
        passes += _until_done(lambda: deliver_due(engine, settings, mailer), engine, max_passes)
        with engine.connect() as conn:
            rows = conn.execute(select(db.outbox).where(db.outbox.c.status == "sent")).all()
        for row in rows:
            sub = find_by_email(engine, row.recipient)
            assert sub is not None
            token = links_for(settings, sub).token_url("/confirm", "confirm").split("token=")[1]
            confirm(engine, settings, token)

        def digests() -> object:
            return run_due(engine, settings, mailer, due_all=True, now=now)

        passes += _until_done(digests, engine, max_passes)
        passes += _until_done(digests, engine, max_passes)  # a later run sends nothing again
    finally:
        mailer.close()
    with engine.connect() as conn:
        table = conn.execute(select(db.outbox).order_by(db.outbox.c.id)).all()
    rows_out = [dict(r._mapping) for r in table]
    return Outcome(rows_out, list(chaos.delivered), chaos.faults, chaos.commands, passes)


def _until_done(step: Any, engine: Any, max_passes: int) -> int:
    from sqlalchemy import func, select

    from paperfeed.store import digests as db

    for n in range(1, max_passes + 1):
        step()
        with engine.connect() as conn:
            query = select(func.count()).where(db.outbox.c.status.in_(["pending", "sending"]))
            if conn.execute(query).scalar_one() == 0:
                return n
    raise AssertionError(f"messages still waiting after {max_passes} delivery passes")
