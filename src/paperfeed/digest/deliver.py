"""Sending what the outbox holds over SMTP: retries with backoff, permanent failures, a rate limit.

Several SMTP sessions (`smtp_connections`) send side by side, each one message at a time, so
one server's round trips overlap another's work. The rate limit is shared by all of them.

Crash safety: a message is marked `sending` (committed) before it is handed to the server, and
`sent` once the server has accepted it (committed together with that session's claim of its
next message, so one commit per message). At most one message per session is ever `sending`. A
run killed while messages are `sending` leaves them so; the next run puts them back in the queue
and sends them again, so a crash re-sends at most the messages that were in flight, one per
session (with the same Message-ID, which lets mail clients drop the copy). Nothing else is ever
sent twice.
"""

from __future__ import annotations

import logging
import smtplib
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesParser
from typing import Protocol, TextIO

from sqlalchemy import Connection, Engine

from paperfeed.digest.render import sender_address
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import in_memory
from paperfeed.store.jobs import UNREACHABLE
from paperfeed.text import mask_addresses, masked_address
from paperfeed.util import tls_context, utcnow

log = logging.getLogger(__name__)
_BATCH = 200
DATA_TIMEOUT = 600.0  # RFC 5321 4.5.3.2.6: wait 10 minutes for the reply to the message
_MAX_BACKOFF = timedelta(hours=6)


class MailError(Exception):
    """Sending failed."""


class TransientMailError(MailError):
    """Worth trying again later (4xx reply, dropped or refused connection)."""


class PermanentMailError(MailError):
    """Retrying will not help (5xx reply)."""


class ServerUnavailable(TransientMailError):
    """No session with the server (cannot connect, TLS or login failed): stop this pass."""


class Mailer(Protocol):
    """Hands one message to a mail server."""

    def send(self, sender: str, recipient: str, message: bytes) -> None: ...

    def close(self) -> None: ...

    def another(self) -> Mailer | None:
        """A mailer like this one with its own session to the server (None: one at a time)."""


class MailboxMailer:
    """The demo's mailer: nothing leaves the machine; each message is kept in the outbox
    (shown at /demo/mailbox) and announced with one line on the console."""

    def __init__(self, settings: Settings, console: TextIO | None = None) -> None:
        self.where = f"{settings.public_url}/demo/mailbox"
        self.console = console

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        """Announce the message; the outbox row that holds it is the mailbox."""
        subject = BytesParser(policy=policy.default).parsebytes(message, headersonly=True)
        console = self.console or sys.stderr
        to = masked_address(recipient)  # the console is the server's log
        print(f"mail to {to}: {subject['Subject']} (read it at {self.where})", file=console)
        console.flush()

    def close(self) -> None:
        """Nothing to close."""

    def another(self) -> Mailer | None:
        """The console is one: messages are announced one at a time."""
        return None


def make_mailer(settings: Settings) -> Mailer:
    """The demo mailbox when settings ask for it, else SMTP."""
    return MailboxMailer(settings) if settings.mailbox else SmtpMailer(settings)


class SmtpMailer:
    """SMTP with STARTTLS or TLS and authentication from Settings; one connection, reused."""

    def __init__(
        self, settings: Settings, timeout: float = 30.0, data_timeout: float = DATA_TIMEOUT
    ) -> None:
        self.settings, self.timeout, self.data_timeout = settings, timeout, data_timeout
        self._smtp: smtplib.SMTP | None = None

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        """Send one message; raises TransientMailError or PermanentMailError."""
        smtp = self._connection()
        try:
            self._transaction(smtp, sender, recipient, message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise self._reset(_classify(code, reply)) from exc
        except smtplib.SMTPResponseException as exc:
            raise self._reset(_classify(exc.smtp_code, exc.smtp_error)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise self._reset(TransientMailError(f"connection: {exc!r}")) from exc

    def _transaction(self, smtp: smtplib.SMTP, sender: str, recipient: str, message: bytes) -> None:
        # smtplib's sendmail, with a long wait for the reply to the message itself: a server
        # may take its time to accept it, and giving up early makes the retry a second copy.
        smtp.ehlo_or_helo_if_needed()
        code, reply = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        assert smtp.sock is not None
        smtp.sock.settimeout(self.data_timeout)
        code, reply = smtp.data(message)
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
        if smtp.sock is not None:
            smtp.sock.settimeout(self.timeout)

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            try:
                self._smtp = self._open()
            except (smtplib.SMTPException, OSError) as exc:
                # A refused login or handshake says nothing about the message: never fail it.
                raise ServerUnavailable(f"{UNREACHABLE}: {exc!r}") from exc
        return self._smtp

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        smtp: smtplib.SMTP
        if s.smtp_tls == "ssl":
            smtp = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=self.timeout, context=tls_context()
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
        if s.smtp_tls == "starttls":
            smtp.starttls(context=tls_context())
        if s.smtp_username:
            smtp.login(s.smtp_username, s.smtp_password or "")
        return smtp

    def another(self) -> SmtpMailer:
        """The same server and settings, its own connection."""
        return SmtpMailer(self.settings, self.timeout, self.data_timeout)

    def _reset(self, error: MailError) -> MailError:
        # After any failure start from a fresh connection: the old one may be mid-transaction.
        self.close()
        return error

    def close(self) -> None:
        """Say goodbye to the server (quietly, if it already went away)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _classify(code: int, reply: bytes | str) -> MailError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    message = f"{code} {text}".strip()
    return PermanentMailError(message) if 500 <= code < 600 else TransientMailError(message)


class RateLimiter:
    """Spaces calls so that at most `rate` happen per second (0: no limit)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = time.monotonic()
        self._lock = threading.Lock()  # shared by the sessions of one pass

    def wait(self) -> None:
        """Sleep until the next call is allowed (each caller gets its own slot)."""
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self.next_at)
            self.next_at = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    server_down: bool = False


def retry_at(attempts: int, base_seconds: float, now: datetime) -> datetime:
    """When to try again after `attempts` failed tries: base, 2×base, 4×base … up to 6 hours."""
    delay = timedelta(seconds=base_seconds * 2 ** max(0, attempts - 1))
    return now + min(delay, _MAX_BACKOFF)


def deliver_due(
    engine: Engine,
    settings: Settings,
    mailer: Mailer,
    kind: str | None = None,
    keep_going: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Send every due outbox message (of one kind); stops when keep_going() says so.

    Up to `smtp_connections` sessions send side by side (one on an in-memory database, or
    with a mailer that has one session only); each message goes out once, whichever sends it.
    """
    queue = _Due(engine, kind)
    limiter = RateLimiter(settings.digest_send_rate)
    senders = [_Sender(engine, settings, mailer)]
    if not in_memory(engine):
        for _ in range(settings.smtp_connections - 1):
            other = senders[-1].mailer.another()
            if other is None:
                break
            senders.append(_Sender(engine, settings, other))
    stop, errors, asking = threading.Event(), list[BaseException](), threading.Lock()

    def going() -> bool:
        with asking:  # one session at a time renews the run's lease
            return keep_going() if keep_going else True

    def lane(sender: _Sender) -> None:
        # A session that finds nothing due ends; the others go on (a message one of them has
        # in flight may come back due). No session, the end of the run or an error stops all.
        try:
            while not stop.is_set():
                if sender.report.server_down or not going():
                    stop.set()
                    break
                row = queue.next()
                if row is None:
                    break
                limiter.wait()
                sender.send(row)
        except BaseException:
            stop.set()
            raise
        finally:
            sender.flush()

    def side_lane(sender: _Sender) -> None:
        try:
            lane(sender)
        except BaseException as exc:  # raised to the caller once every session has stopped
            errors.append(exc)

    threads = [threading.Thread(target=side_lane, args=(s,), daemon=True) for s in senders[1:]]
    for thread in threads:
        thread.start()
    try:
        lane(senders[0])
    finally:
        for thread in threads:
            thread.join()
        for extra in senders[1:]:
            extra.mailer.close()
    if errors:
        raise errors[0]
    return _total([s.report for s in senders])


def _total(reports: Sequence[DeliveryReport]) -> DeliveryReport:
    return DeliveryReport(
        sent=sum(r.sent for r in reports),
        retrying=sum(r.retrying for r in reports),
        failed=sum(r.failed for r in reports),
        server_down=any(r.server_down for r in reports),
    )


class _Due:
    """Due messages handed out one at a time to the sessions of a pass (oldest first)."""

    def __init__(self, engine: Engine, kind: str | None) -> None:
        self.engine, self.kind = engine, kind
        self._rows: list[db.OutboxRow] = []
        self._lock = threading.Lock()

    def next(self) -> db.OutboxRow | None:
        """The next due message, None when there is none."""
        with self._lock:
            if not self._rows:
                with self.engine.connect() as conn:
                    self._rows = db.due_messages(conn, _BATCH, self.kind)[::-1]
            return self._rows.pop() if self._rows else None


def send_one(engine: Engine, settings: Settings, mailer: Mailer, row: db.OutboxRow) -> str:
    """Claim, send and record one outbox message; returns its new status."""
    sender = _Sender(engine, settings, mailer)
    status = sender.send(row)
    sender.flush()
    return status


class _Sender:
    """Sends claimed messages one at a time, recording each outcome.

    A success is recorded in the same transaction that claims the next message (one commit
    per message instead of two); at any moment at most one message is claimed and unrecorded.
    """

    def __init__(self, engine: Engine, settings: Settings, mailer: Mailer) -> None:
        self.engine, self.settings, self.mailer = engine, settings, mailer
        self.sender = sender_address(settings)
        self.report = DeliveryReport()
        self.unrecorded: int | None = None  # accepted by the server, not yet marked sent

    def send(self, row: db.OutboxRow) -> str:
        """Claim one message (recording the previous success), send it, handle failures."""
        with self.engine.begin() as conn:
            self._record_sent(conn)
            if not db.claim_message(conn, row.id):
                return "taken"
        try:
            self.mailer.send(self.sender, row.recipient, row.message.encode("ascii"))
        except PermanentMailError as exc:
            return _failed(self.engine, row, str(exc), self.report)
        except TransientMailError as exc:
            self.report.server_down = isinstance(exc, ServerUnavailable)
            counts = not self.report.server_down  # no session: the message was not tried
            return _transient(self.engine, self.settings, row, str(exc), self.report, counts)
        self.unrecorded = row.id
        self.report.sent += 1
        return "sent"

    def _record_sent(self, conn: Connection) -> None:
        if self.unrecorded is not None:
            db.mark_sent(conn, self.unrecorded)
            self.unrecorded = None

    def flush(self) -> None:
        """Record the last success."""
        if self.unrecorded is not None:
            with self.engine.begin() as conn:
                self._record_sent(conn)


def one_line(text: str) -> str:
    """A server's reply for a log line: a multi-line reply's lines joined, one event a line, and
    any address it names masked (the store keeps the reply as given)."""
    return mask_addresses(" ".join(text.split()))


def _failed(engine: Engine, row: db.OutboxRow, reason: str, report: DeliveryReport) -> str:
    with engine.begin() as conn:
        db.mark_failed(conn, row.id, reason)
    log.warning(
        "could not deliver the %s email #%d to %s, giving up: %s",
        row.kind,
        row.id,
        masked_address(row.recipient),
        one_line(reason),
    )
    report.failed += 1
    return "failed"


def _transient(
    engine: Engine,
    settings: Settings,
    row: db.OutboxRow,
    reason: str,
    report: DeliveryReport,
    counts: bool = True,
) -> str:
    with engine.connect() as conn:  # counted by the store: this row may be an older copy
        attempts = db.tries_so_far(conn, row.id)  # than another session's failed try of it
    if counts and attempts >= settings.digest_max_attempts:
        return _failed(engine, row, f"gave up after {attempts} attempts: {reason}", report)
    at = retry_at(
        attempts if counts else max(1, attempts - 1), settings.digest_retry_delay, utcnow()
    )
    with engine.begin() as conn:
        db.mark_retry(conn, row.id, reason, at, counts)
    log.warning(
        "could not deliver the %s email #%d to %s yet (%s); trying again at %s UTC",
        row.kind,
        row.id,
        masked_address(row.recipient),
        one_line(reason),
        at.strftime("%Y-%m-%d %H:%M:%S"),
    )
    report.retrying += 1
    return "pending"
