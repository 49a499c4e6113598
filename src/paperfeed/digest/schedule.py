"""When digests are due, composing them into the outbox, and the run that cron or `serve` starts.

`run_due` is idempotent per period: a (subscriber, period) pair gets one outbox row, ever, and a
lease in the database keeps two runs (cron and `serve`, say) from working at the same time.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from paperfeed import trending
from paperfeed.arxiv_ids import ANNOUNCED_AT, ARXIV_ZONE
from paperfeed.digest import personal
from paperfeed.digest.assembly import Assembler
from paperfeed.digest.compose import (
    Digest,
    Embeddings,
    Ranking,
    compose,
    open_embeddings,
    saved_search_hits,
    trending_vector,
)
from paperfeed.digest.deliver import Mailer, deliver_due, make_mailer
from paperfeed.digest.extras import with_extras
from paperfeed.digest.more import with_more_links
from paperfeed.digest.notices import queue_team_notices
from paperfeed.digest.render import Mail
from paperfeed.digest.subscribe import links_for, to_subscriber
from paperfeed.digest.subscriber import Preferences, Subscriber
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
from paperfeed.store.listings import trending_rows
from paperfeed.util import fewer_collections, utcnow

log = logging.getLogger(__name__)
LOCK = "digest-run"
_LEASE = timedelta(minutes=10)
# Runs in progress in this process: a lease of this process not here was left by a run whose
# release failed (a full disk), and must not block the next run for the rest of the lease.
_RUNNING: set[str] = set()
_RECORD_BATCH = 500


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


def period_of(prefs: Preferences, now: datetime) -> str:
    """The period `now` falls in, in the subscriber's time zone: daily:DATE or weekly:YYYY-Www."""
    local = now.astimezone(ZoneInfo(prefs.timezone))
    if prefs.frequency == "weekly":
        year, week, _ = local.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    return f"daily:{local.date().isoformat()}"


def is_due(prefs: Preferences, now: datetime) -> bool:
    """True once the subscriber's send time has passed in their current period."""
    local = now.astimezone(ZoneInfo(prefs.timezone))
    hour, minute = (int(x) for x in prefs.send_time.split(":"))
    past_time = (local.hour, local.minute) >= (hour, minute)
    if prefs.frequency == "weekly":
        return local.weekday() > prefs.weekday or (local.weekday() == prefs.weekday and past_time)
    if not past_time or not prefs.skip_weekends:
        return past_time
    # "Skip weekends": skip the local days with nothing new, which depend on the zone (Los
    # Angeles at 20:00 has Monday's listing on Sunday and none on Friday).
    send = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return announced_between(send - timedelta(days=1), send)


def due_since(prefs: Preferences, now: datetime) -> datetime:
    """The send time of the subscriber's current period (its day's, or its weekday's)."""
    local = now.astimezone(ZoneInfo(prefs.timezone))
    hour, minute = (int(x) for x in prefs.send_time.split(":"))
    send = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return send - timedelta(
        days=local.weekday() - prefs.weekday if prefs.frequency == "weekly" else 0
    )


def announced_between(start: datetime, end: datetime) -> bool:
    """Whether arXiv announced a listing after `start`, up to `end` (it announces Sunday to
    Thursday at 20:00 US Eastern, each listing dated the next day)."""
    day = start.astimezone(ARXIV_ZONE).date()
    while day <= end.astimezone(ARXIV_ZONE).date():
        moment = datetime.combine(day, ANNOUNCED_AT, ARXIV_ZONE)
        if day.weekday() not in (4, 5) and start < moment <= end:
            return True
        day += timedelta(days=1)
    return False


def window(sub: Subscriber, latest: date | None) -> tuple[date, date] | None:
    """The listing days a digest covers: new since the last one; a first one gets the latest."""
    if latest is None:
        return None
    weekly = sub.prefs.frequency == "weekly"
    first = latest - timedelta(days=6 if weekly else 0)
    cap = latest - timedelta(days=13 if weekly else 6)
    start = max(sub.covered_until + timedelta(days=1), cap) if sub.covered_until else first
    return (start, latest) if start <= latest else None


Late = tuple[date, date, datetime]  # days already covered, and since when papers are new there


def late_window(sub: Subscriber, latest: date | None) -> Late | None:
    """Days a digest already covered (within the catch-up limit) whose papers first stored
    after it read the store go in the next one: a late harvest, an ingest resumed after it."""
    if latest is None or sub.covered_until is None or sub.stored_until is None:
        return None
    cap = latest - timedelta(days=13 if sub.prefs.frequency == "weekly" else 6)
    end = min(sub.covered_until, latest)
    return (cap, end, sub.stored_until) if cap <= end else None


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


@contextmanager
def run_lease(engine: Engine) -> Iterator[Callable[[], bool] | None]:
    """Hold the digest run's lease for the block; yields whether to keep going (it renews the
    lease), or None when another run holds it. On PostgreSQL an advisory lock, which the server
    frees when its process dies, guards the lease: no process ids, which containers reuse."""
    holder = f"{jobs_db.node_name()}:{uuid.uuid4().hex[:8]}"
    if engine.dialect.name != "postgresql":
        with _leased(engine, holder, False) as held:
            yield _renewer(engine, holder, lambda: True) if held else None
        return
    with jobs_db.advisory_lock(engine, LOCK) as conn:
        if conn is None:
            yield None
            return
        with _leased(engine, holder, True) as held:
            alive = partial(jobs_db.session_alive, conn)  # its end freed the lock
            yield _renewer(engine, holder, alive) if held else None


@contextmanager
def _leased(engine: Engine, holder: str, locked: bool) -> Iterator[bool]:
    if not _acquire(engine, holder, locked):
        yield False
        return
    _RUNNING.add(holder)
    try:
        yield True
    finally:
        _RUNNING.discard(holder)
        with engine.begin() as conn:
            db.release_lock(conn, LOCK, holder)


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


def _acquire(engine: Engine, holder: str, locked: bool) -> bool:
    with engine.begin() as conn:
        current = db.lock_holder(conn, LOCK)
        stale = [current] if current and _is_dead(current, locked) else []
        return db.acquire_lock(conn, LOCK, holder, _LEASE, stale)


def _is_dead(holder: str, locked: bool) -> bool:
    # A holder named with its process space (host/space:pid) held the advisory lock we now
    # hold (PostgreSQL): it is gone. Else only a holder in our process space can be checked.
    if locked and "/" in holder.partition(":")[0]:
        return True
    if holder.startswith(jobs_db.node_name() + ":"):  # this process: a run whose release failed
        return holder not in _RUNNING
    return jobs_db.holder_is_dead(holder)


def _renewer(engine: Engine, holder: str, locked: Callable[[], bool]) -> Callable[[], bool]:
    last = [time.monotonic()]

    def keep_going() -> bool:
        if time.monotonic() - last[0] < 60:
            return True
        last[0] = time.monotonic()
        with engine.begin() as conn:
            return db.renew_lock(conn, LOCK, holder, _LEASE) and locked()

    return keep_going


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


def compose_window(
    engine: Engine,
    settings: Settings,
    span: tuple[date, date] | None,
    subs: list[Subscriber],
    interests: dict[int, list[db.InterestRow]],
    period: dict[int, str],
    embeddings: Embeddings | None,
    late: Late | None = None,
    read: datetime | None = None,
) -> list[Digest]:
    """Digests of subscribers who share one window of listing days (and papers stored late
    on days already covered), ranked together; `read`: the run's mark (new versions read in
    after it are the next digest's)."""
    if span is None and late is None:  # nothing new; papers new in followed collections
        empty = [Digest(s, period[s.id], ()) for s in subs]
        return with_extras(engine, personal.with_followed(engine, empty, read))
    seeds = sorted({p for s in subs for p in s.prefs.seeds})
    with engine.connect() as conn:
        found_cands = db.candidates(conn, *span) if span else []
        found_cands += db.candidates(conn, *late) if late else []
        span = _days(span, late)
        cands, trend = _with_trending(conn, settings, found_cands, span)
        ids = [c.id for c in cands]
        excluded = db.sent_paper_ids(conn, [s.id for s in subs], ids)
        titles = db.paper_titles(conn, seeds)
    vectors = stored_vectors(embeddings, ids + seeds)
    ranking = Ranking(settings.digest_trending_weight, _min_similarity(settings, embeddings))
    found = saved_search_hits(embeddings, _search_depths(subs, interests), span)
    done = compose(subs, interests, cands, vectors, excluded, trend, titles, ranking, period, found)
    kept = settings.index_dir / "vocabulary"  # where the site keeps them too
    done = personal.personalise(engine, done, span, cands, excluded, kept)
    done = with_more_links(done, span, interests)
    return with_extras(engine, personal.with_followed(engine, done, read))  # one look-up for all


def _days(span: tuple[date, date] | None, late: Late | None) -> tuple[date, date]:
    # The days the candidates are of: the new ones, and covered ones with papers stored late.
    if span is None:
        assert late is not None
        return late[0], late[1]
    return (min(span[0], late[0]) if late else span[0]), span[1]


def _search_depths(
    subs: list[Subscriber], interests: dict[int, list[db.InterestRow]]
) -> dict[str, int]:
    # Each saved search is run once, as deep as the largest digest that holds it.
    depths: dict[str, int] = {}
    for sub in subs:
        for row in interests.get(sub.id, []):
            if row.kind == "semantic":
                depths[row.value] = max(depths.get(row.value, 0), sub.prefs.max_papers)
    return depths


def _min_similarity(settings: Settings, embeddings: Embeddings | None) -> float:
    if settings.digest_min_similarity is not None:
        return settings.digest_min_similarity
    return embeddings.min_similarity() if embeddings else Ranking().min_similarity


def _with_trending(
    conn: Connection, settings: Settings, cands: list[db.Candidate], span: tuple[date, date]
) -> tuple[list[db.Candidate], np.ndarray]:
    # The site's trending formula (votes on the site included), so "trending" means one thing.
    weights = trending.TrendingWeights.from_settings(settings)
    new_since = trending.new_accounts_since(utcnow(), weights)
    rows = {r.id: r for r in trending_rows(conn, span[0], new_since)}
    ranked = trending.rank(list(rows.values()), trending.reference_time(span[1]), weights)
    place = {r.id: i for i, r in enumerate(ranked)}
    # In the trending page's order: papers of equal score (no votes yet) are then taken as it
    # lists them, so a digest's "trending" papers are the ones at the top of that page.
    cands = [
        replace(
            c,
            upvotes=rows[c.id].upvotes,
            stars=rows[c.id].github_stars or 0,
            featured=rows[c.id].featured,
        )
        if c.id in rows
        else c
        for c in sorted(cands, key=lambda c: place.get(c.id, len(place)))
    ]
    # A featured paper heads the trending page whatever its votes: it scores as the top one.
    top = max((r.score for r in ranked), default=0.0)
    return cands, trending_vector(cands, {r.id: top if r.featured else r.score for r in ranked})


def stored_vectors(embeddings: Embeddings | None, ids: Sequence[str]) -> dict[str, np.ndarray]:
    """Stored paper vectors, or none when search has not indexed them (keywords then stand in)."""
    if embeddings is None or not ids:
        return {}
    try:
        return embeddings.vectors(list(ids))
    except Exception as exc:  # noqa: BLE001 - a missing index must not stop the mail going out
        log.warning("no stored vectors (%s); semantic interests fall back to keywords", exc)
        return {}


def _record(
    writer: OutboxWriter,
    assembler: Assembler,
    digests: list[Digest],
    covered: date | None,
    read: datetime | None = None,
) -> None:
    # Messages are assembled (maybe in worker processes) batch by batch, in order; each
    # batch's outbox rows are written in one transaction (maybe by the writer process, while
    # the next batch is assembled).
    batches = [digests[i : i + _RECORD_BATCH] for i in range(0, len(digests), _RECORD_BATCH)]
    settings = assembler.renderer.settings
    jobs = [[(links_for(settings, d.subscriber), d) for d in b if d.has_news] for b in batches]
    for batch, mails in zip(batches, assembler.messages(jobs), strict=True):
        sent = iter(mails)
        writer.write(
            [outbox_row(d, next(sent) if d.has_news else None, covered, read) for d in batch]
        )


def outbox_row(
    digest: Digest, message: Mail | None, covered: date | None, read: datetime | None = None
) -> db.NewMessage:
    """The outbox row for a composed digest and its message, packed (an empty digest is
    recorded, never sent); `read`: when its papers were read from the store. Packed here, not
    by the writer process: the writer has the database's share of a run, this process has the
    CPU to spare while it waits for it."""
    sub = digest.subscriber
    if message is None or not digest.has_news:
        return db.NewMessage(
            sub.id,
            "digest",
            digest.period,
            sub.email,
            "",
            "",
            (),
            covered,
            status="empty",
            stored_until=read,
        )
    paper_ids = tuple(item.paper_id for item in digest.items)
    return db.NewMessage(
        sub.id,
        "digest",
        digest.period,
        sub.email,
        message.message_id,
        "",
        paper_ids,
        covered,
        packed=message.packed(),
        stored_until=read,
    )


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
    try:
        while not stop_event.is_set():
            try:
                run_due(engine, settings, mailer, embeddings=embeddings)
            except Exception:  # noqa: BLE001 - one bad run must not end the schedule
                log.exception("digest run failed; trying again at the next interval")
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
