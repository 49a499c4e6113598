"""The digest run that cron or `serve` starts: compose what is due into the outbox, then send."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from paperfeed.digest.assembly import Assembler
from paperfeed.digest.compose import Digest, Embeddings, open_embeddings
from paperfeed.digest.deliver import Mailer, deliver_due, make_mailer
from paperfeed.digest.notices import queue_team_notices
from paperfeed.digest.schedule.composing import compose_window
from paperfeed.digest.schedule.lease import run_lease
from paperfeed.digest.schedule.recording import _record
from paperfeed.digest.schedule.timing import (
    Late,
    due_since,
    is_due,
    late_window,
    period_of,
    window,
)
from paperfeed.digest.subscribe import to_subscriber
from paperfeed.digest.subscriber import Subscriber
from paperfeed.digest.upkeep import (
    PER_RUN,
    forget_left_addresses,
    forget_unconfirmed_addresses,
    prune_outbox,
)
from paperfeed.digest.writer import OutboxWriter
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import jobs as jobs_db
from paperfeed.store.clock import store_now
from paperfeed.store.health import Outage
from paperfeed.util import fewer_collections

log = logging.getLogger("paperfeed.digest.schedule")


@dataclass
class RunReport:
    """What one `digest run` did."""

    busy: bool = False
    recovered: int = 0
    due: int = 0
    composed: int = 0
    empty: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    mail_server_down: bool = False  # no SMTP session could be opened: nothing was tried
    held: int = 0  # due, but waiting for an ingest storing papers meanwhile (the next run)
    pruned: int = 0  # sent emails whose text was cleared (PAPERFEED_OUTBOX_KEEP_DAYS)

    def to_dict(self) -> dict[str, object]:
        """Plain data for printing."""
        return dict(self.__dict__)


def run_due(
    engine: Engine,
    settings: Settings,
    mailer: Mailer,
    due_all: bool = False,
    now: datetime | None = None,
    embeddings: Embeddings | None = None,
) -> RunReport:
    """Compose what is due (digests, team-list notice emails) into the outbox, then send
    everything due from it."""
    with run_lease(engine) as lease:
        if lease is None:
            return RunReport(busy=True)
        with engine.begin() as conn:
            report = RunReport(recovered=db.recover_in_flight(conn))
        now = now or datetime.now(UTC)
        compose_due(engine, settings, now, due_all, embeddings, report)
        with engine.begin() as conn:  # the team-list notices those who take them by email
            queue_team_notices(conn, settings, now)
        sent = deliver_due(engine, settings, mailer, keep_going=lease)
        report.sent, report.retrying, report.failed = sent.sent, sent.retrying, sent.failed
        report.mail_server_down = sent.server_down
        report.pruned = _prune(engine, settings)
        return report


def _prune(engine: Engine, settings: Settings) -> int:
    """Clear old sent emails' text, a few batches a run (sent_at is the real clock's), and
    forget the addresses whose confirmation link expired unfollowed or that unsubscribed over
    a week ago."""
    try:
        forget_unconfirmed_addresses(engine)
        forget_left_addresses(engine)
        return prune_outbox(engine, settings, batches=PER_RUN)
    except SQLAlchemyError:  # the run's mail went out: say so, and the next run tries again
        log.exception("clearing the text of old sent emails failed; the next run tries again")
        return 0


def due_subscribers(
    conn: Connection, now: datetime, due_all: bool
) -> tuple[list[Subscriber], dict[int, list[db.InterestRow]], dict[int, str]]:
    """Confirmed subscribers whose current period has no outbox row yet (and is due)."""
    rows = db.confirmed_subscribers(conn)
    interests = db.all_interests(conn)
    subs = [to_subscriber(r, interests.get(int(r["id"]), [])) for r in rows]  # type: ignore[call-overload]
    subs = [s for s in subs if s.prefs.frequency != "none"]  # notices only: never a digest
    period = {s.id: period_of(s.prefs, now) for s in subs}
    done = db.periods_recorded(conn, period.values())
    due = [
        s for s in subs if (s.id, period[s.id]) not in done and (due_all or is_due(s.prefs, now))
    ]
    return due, interests, period


@fewer_collections()  # many short-lived objects: 3-9 % of a 100 k run's CPU
def compose_due(
    engine: Engine,
    settings: Settings,
    now: datetime,
    due_all: bool,
    embeddings: Embeddings | None,
    report: RunReport,
) -> None:
    """Compose and record every due digest (empty ones recorded as such, never sent)."""
    with engine.connect() as conn:
        read_at = store_now(conn)  # papers put on a day from now on are the next digests'
        ingest = jobs_db.ingest_state(conn)  # read first: what follows may be part of a day
        due, interests, period = due_subscribers(conn, now, due_all)
        latest = db.latest_listing_day(conn)
    report.due = len(due)
    wait = _waiting(settings, now, ingest.running)
    due = [s for s in due if not wait(s)]
    report.held = report.due - len(due)
    groups: dict[tuple[tuple[date, date] | None, Late | None], list[Subscriber]] = {}
    for sub in due:
        groups.setdefault((window(sub, latest), late_window(sub, latest)), []).append(sub)
    # Started before ranking: its workers start up meanwhile (large runs only).
    writer = OutboxWriter(settings, engine, len(due))  # a process of its own (large runs)
    try:
        with Assembler(settings, now, len(due)) as assembler, writer:
            for (span, late), subs in groups.items():
                mark = _mark(read_at, ingest)
                digests = compose_window(
                    engine, settings, span, subs, interests, period, embeddings, late, mark
                )
                if not _settled(engine, ingest):  # an ingest stored papers while we read
                    wait, ready = _waiting(settings, now, True), len(digests)
                    digests = [d for d in digests if not wait(d.subscriber)]
                    report.held += ready - len(digests)
                _record(writer, assembler, digests, span[1] if span else None, mark)
    finally:  # what was written, also when the run stopped part-way
        report.empty, report.composed = writer.empty, writer.composed


def _waiting(settings: Settings, now: datetime, ingesting: bool) -> Callable[[Subscriber], bool]:
    """Whether a due digest waits for the ingest storing papers now: a day it would cover may be
    partly stored, and the rest would never reach it. At most digest_wait_hours after its send
    time (a backfill of hours), as the daily pipeline waits for a failing source."""
    most = timedelta(hours=settings.digest_wait_hours)
    return lambda sub: ingesting and now - due_since(sub.prefs, now) < most


def _settled(engine: Engine, before: jobs_db.IngestState) -> bool:
    """No ingest runs now, and none started since `before` (it might have ended meanwhile)."""
    with engine.connect() as conn:
        return jobs_db.ingest_state(conn) == replace(before, running=False, since=None)


def _mark(read_at: datetime, ingest: jobs_db.IngestState) -> datetime | None:
    """Since when papers are new on the days a digest read (its next one carries them): when
    it read, or, past the wait, when the ingest still storing then began (what it stored later
    bears stamps from then on); None (keep the last mark) when that is not known. A run begun
    after the read stamps its papers later, by the same clock."""
    if not ingest.running:
        return read_at
    return min(read_at, ingest.since) if ingest.since else None


def run_scheduler_forever(
    settings: Settings,
    engine: Engine,
    stop_event: threading.Event,
    mailer: Mailer | None = None,
    embeddings: Embeddings | None = None,
) -> None:
    """Run `run_due` every `digest_scheduler_interval` seconds until `stop_event` is set."""
    mailer = mailer or make_mailer(settings)
    embeddings = embeddings or open_embeddings(settings, engine)
    step = partial(run_due, engine, settings, mailer, embeddings=embeddings)
    _every_interval(settings, stop_event, mailer, step, "digest schedule")


def send_due_forever(
    settings: Settings,
    engine: Engine,
    stop_event: threading.Event,
    mailer: Mailer | None = None,
) -> None:
    """Send what is due in the outbox (confirmations, notices, retries, digests composed) every
    `digest_scheduler_interval` seconds until `stop_event` is set, beside a pipeline whose
    digests job composes the digests: a long job before it (a first embedding run, a source's
    retry waits) held every email back for as long. A run that holds the digest lease (the
    pipeline's, or cron's) is sending already: the check waits for the next interval."""
    sender = mailer or make_mailer(settings)

    def step() -> None:
        with run_lease(engine) as lease:
            if lease is not None:
                deliver_due(engine, settings, sender, keep_going=lease)

    _every_interval(settings, stop_event, sender, step, "sending due email")


def _every_interval(
    settings: Settings,
    stop_event: threading.Event,
    mailer: Mailer,
    step: Callable[[], object],
    what: str,
) -> None:
    """Run `step` every `digest_scheduler_interval` seconds until `stop_event` is set: a failure
    never ends the loop, and a store that cannot be reached is said once per outage (not with a
    traceback each interval); the mail server's session is closed between runs."""
    outage = Outage(log, what)
    try:
        while not stop_event.is_set():
            try:
                step()
                outage.answered()
            except Exception as exc:  # noqa: BLE001 - one bad run must not end the loop
                if not outage.noted(exc):
                    log.exception("%s failed; trying again at the next interval", what)
            mailer.close()  # servers drop idle sessions; the next run opens a fresh one
            stop_event.wait(settings.digest_scheduler_interval)
    finally:
        mailer.close()


def preview(
    engine: Engine,
    settings: Settings,
    sub: Subscriber,
    now: datetime | None = None,
    embeddings: Embeddings | None = None,
) -> Digest:
    """The digest a subscriber would get now, composed but neither recorded nor sent."""
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        latest = db.latest_listing_day(conn)
        interests = db.get_interests(conn, [sub.id])
    period = {sub.id: period_of(sub.prefs, now)}
    span, late = window(sub, latest), late_window(sub, latest)
    return compose_window(engine, settings, span, [sub], interests, period, embeddings, late)[0]
