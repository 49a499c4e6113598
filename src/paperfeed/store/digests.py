"""Digest subscribers, their interests, the outbox and its bookkeeping: all digest SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from paperfeed import mailwire
from paperfeed.store.digest_tables import (
    interests,
    locks,
    outbox,
    rate_events,
    sent_papers,
    subscribers,
)
from paperfeed.store.tables import paper_authors, paper_categories, papers, signals
from paperfeed.util import chunks, utcnow

SUBSCRIBER_FIELDS = (
    "frequency",
    "send_time",
    "timezone",
    "weekday",
    "skip_weekends",
    "max_papers",
    "include_trending",
)
_CHUNK = 500


class InterestRow(NamedTuple):
    """One stored interest of a subscriber (a named tuple: a large run loads ~5 per
    subscriber, and a tuple is made several times faster than a frozen dataclass)."""

    kind: str
    value: str
    vector: bytes | None = None


@dataclass(frozen=True)
class OutboxRow:
    """One message waiting in (or done with) the outbox."""

    id: int
    subscriber_id: int | None  # None: an account mail in the demo's mailbox
    kind: str
    period: str
    status: str
    recipient: str
    message: str
    attempts: int
    last_error: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class NewMessage:
    """A composed message to record in the outbox, with the papers it carries."""

    subscriber_id: int
    kind: str
    period: str
    recipient: str
    message_id: str
    message: str  # the wire text; "" when `packed` holds the message
    paper_ids: tuple[str, ...] = ()
    covered_until: date | None = None
    status: str = "pending"
    packed: bytes | None = None  # the message as `mailwire.pack` keeps it
    stored_until: datetime | None = None  # a digest: when it read the store (None: kept as was)


# --- subscribers -----------------------------------------------------------------------------


def find_subscriber(conn: Connection, email_key: str) -> dict[str, object] | None:
    """The subscriber row for an address key, or None."""
    row = conn.execute(select(subscribers).where(subscribers.c.email_key == email_key)).first()
    return dict(row._mapping) if row else None


def get_subscriber(conn: Connection, subscriber_id: int) -> dict[str, object] | None:
    """The subscriber row by id, or None."""
    row = conn.execute(select(subscribers).where(subscribers.c.id == subscriber_id)).first()
    return dict(row._mapping) if row else None


def insert_subscriber(conn: Connection, values: dict[str, object]) -> int:
    """Create a subscriber; returns its id (IntegrityError when the address exists)."""
    result = conn.execute(subscribers.insert().values(**values, created_at=utcnow()))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def update_subscriber(conn: Connection, subscriber_id: int, values: dict[str, object]) -> None:
    """Change stored columns of one subscriber."""
    conn.execute(update(subscribers).where(subscribers.c.id == subscriber_id).values(**values))


def replace_interests(conn: Connection, subscriber_id: int, rows: Sequence[InterestRow]) -> None:
    """Store a subscriber's interests, replacing the previous ones."""
    conn.execute(delete(interests).where(interests.c.subscriber_id == subscriber_id))
    if rows:
        conn.execute(
            interests.insert(),
            [
                {"subscriber_id": subscriber_id, "position": i, **r._asdict()}
                for i, r in enumerate(rows)
            ],
        )


def get_interests(conn: Connection, subscriber_ids: Sequence[int]) -> dict[int, list[InterestRow]]:
    """Interests of many subscribers, in their stored order."""
    out: dict[int, list[InterestRow]] = {}
    for chunk in chunks(list(subscriber_ids), _CHUNK):
        query = (
            select(interests)
            .where(interests.c.subscriber_id.in_(chunk))
            .order_by(interests.c.subscriber_id, interests.c.position)
        )
        for r in conn.execute(query):
            out.setdefault(r.subscriber_id, []).append(InterestRow(r.kind, r.value, r.vector))
    return out


def subscriber_for_user(conn: Connection, user_id: int) -> dict[str, object] | None:
    """The newest confirmed subscription linked to a user (their email address), or None."""
    query = select(subscribers).where(
        subscribers.c.user_id == user_id, subscribers.c.status == "confirmed"
    )
    row = conn.execute(query.order_by(subscribers.c.id.desc()).limit(1)).first()
    return dict(row._mapping) if row else None


def user_subscription(conn: Connection, user_id: int) -> dict[str, object] | None:
    """A user's linked subscription as their settings show it: confirmed first, else pending."""
    found = subscriber_for_user(conn, user_id)
    if found is not None:
        return found
    query = select(subscribers).where(
        subscribers.c.user_id == user_id, subscribers.c.status == "pending"
    )
    row = conn.execute(query.order_by(subscribers.c.id.desc()).limit(1)).first()
    return dict(row._mapping) if row else None


def link_user(conn: Connection, subscriber_id: int, user_id: int) -> None:
    """Make a subscription the user's one linked address (other links of the user are dropped)."""
    others = and_(subscribers.c.user_id == user_id, subscribers.c.id != subscriber_id)
    conn.execute(update(subscribers).where(others).values(user_id=None))
    update_subscriber(conn, subscriber_id, {"user_id": user_id})


def confirmed_subscribers(conn: Connection) -> list[dict[str, object]]:
    """Every confirmed subscriber row."""
    query = select(subscribers).where(subscribers.c.status == "confirmed")
    return [dict(r._mapping) for r in conn.execute(query.order_by(subscribers.c.id))]


def all_interests(conn: Connection) -> dict[int, list[InterestRow]]:
    """Interests of every confirmed subscriber, in one query."""
    query = (
        select(interests.c.subscriber_id, interests.c.kind, interests.c.value, interests.c.vector)
        .join(subscribers, subscribers.c.id == interests.c.subscriber_id)
        .where(subscribers.c.status == "confirmed")
        .order_by(interests.c.subscriber_id, interests.c.position)
    )
    out: dict[int, list[InterestRow]] = {}
    # Fetched at once and unpacked as plain tuples: a large run reads ~5 rows a subscriber.
    for sid, kind, value, vector in conn.execute(query).all():
        out.setdefault(sid, []).append(InterestRow(kind, value, vector))
    return out


def count_subscribers(conn: Connection) -> dict[str, int]:
    """How many subscribers are in each status."""
    query = select(subscribers.c.status, func.count()).group_by(subscribers.c.status)
    return {status: n for status, n in conn.execute(query)}


# --- rate limiting ---------------------------------------------------------------------------


def count_and_record_event(conn: Connection, key: str, window: timedelta) -> int:
    """Record one request under `key`; returns how many were recorded within the window."""
    now = utcnow()
    conn.execute(delete(rate_events).where(rate_events.c.at < now - timedelta(days=1)))
    conn.execute(rate_events.insert().values(key=key, at=now))
    query = select(func.count()).where(rate_events.c.key == key, rate_events.c.at >= now - window)
    return int(conn.execute(query).scalar_one())


# --- papers a digest may carry ---------------------------------------------------------------


def latest_listing_day(conn: Connection) -> date | None:
    """The most recent listing day in the store."""
    query = select(func.max(papers.c.listing_date)).where(papers.c.hidden.is_(False))
    return conn.execute(query).scalar_one()  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Candidate:
    """A paper a digest may carry, with what ranking needs."""

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    author_keys: tuple[str, ...]
    categories: tuple[str, ...]
    upvotes: int
    stars: int
    listing_date: date | None
    featured: bool = False  # put first on the trending page by an editor


def candidates(
    conn: Connection, start: date, end: date, stored_since: datetime | None = None
) -> list[Candidate]:
    """Visible papers first listed between two days (inclusive), oldest id first; with
    `stored_since`, only those put on their day at or after it (stored, or given the day)."""
    query = (
        select(papers.c.id, papers.c.title, papers.c.abstract, papers.c.listing_date)
        .where(papers.c.listing_date >= start, papers.c.listing_date <= end)
        .where(papers.c.hidden.is_(False), papers.c.withdrawn.is_(False))
        .order_by(papers.c.id)
    )
    if stored_since is not None:
        query = query.where(papers.c.listed_at >= stored_since)
    return _as_candidates(conn, conn.execute(query).all())


def candidates_of(conn: Connection, ids: Sequence[str]) -> list[Candidate]:
    """These papers, those visible, as candidates (papers new in a followed collection)."""
    out: list[Candidate] = []
    for chunk in chunks(list(ids), _CHUNK):
        query = (
            select(papers.c.id, papers.c.title, papers.c.abstract, papers.c.listing_date)
            .where(papers.c.id.in_(chunk))
            .where(papers.c.hidden.is_(False), papers.c.withdrawn.is_(False))
        )
        out += _as_candidates(conn, conn.execute(query).all())
    return out


def _as_candidates(conn: Connection, rows: Sequence[Row[Any, Any, Any, Any]]) -> list[Candidate]:
    ids = [r.id for r in rows]
    authors, cats, sig = _authors(conn, ids), _categories(conn, ids), _signals(conn, ids)
    return [
        Candidate(
            id=r.id,
            title=r.title,
            abstract=r.abstract,
            authors=tuple(a for a, _ in authors.get(r.id, [])),
            author_keys=tuple(k for _, k in authors.get(r.id, [])),
            categories=tuple(cats.get(r.id, [])),
            upvotes=sig.get(r.id, (0, 0))[0],
            stars=sig.get(r.id, (0, 0))[1],
            listing_date=r.listing_date,
        )
        for r in rows
    ]


def _authors(conn: Connection, ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for chunk in chunks(ids, _CHUNK):
        query = (
            select(paper_authors.c.paper_id, paper_authors.c.name, paper_authors.c.name_key)
            .where(paper_authors.c.paper_id.in_(chunk))
            .order_by(paper_authors.c.paper_id, paper_authors.c.position)
        )
        for pid, name, key in conn.execute(query):
            out.setdefault(pid, []).append((name, key))
    return out


def _categories(conn: Connection, ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for chunk in chunks(ids, _CHUNK):
        query = (
            select(paper_categories.c.paper_id, paper_categories.c.category)
            .where(paper_categories.c.paper_id.in_(chunk))
            .order_by(paper_categories.c.paper_id, paper_categories.c.position)
        )
        for pid, cat in conn.execute(query):
            out.setdefault(pid, []).append(cat)
    return out


def _signals(conn: Connection, ids: list[str]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for chunk in chunks(ids, _CHUNK):
        query = select(signals).where(signals.c.paper_id.in_(chunk))
        for r in conn.execute(query):
            out[r.paper_id] = (r.upvotes or 0, r.github_stars or 0)
    return out


def paper_titles(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    """Titles of stored papers by id (for seed-paper reasons and checks)."""
    out: dict[str, str] = {}
    for chunk in chunks(list(ids), _CHUNK):
        query = select(papers.c.id, papers.c.title).where(papers.c.id.in_(chunk))
        out.update({pid: title for pid, title in conn.execute(query)})
    return out


def sent_paper_ids(
    conn: Connection, subscriber_ids: Sequence[int], paper_ids: Sequence[str]
) -> dict[int, set[str]]:
    """Which of the given papers each subscriber has already been sent."""
    out: dict[int, set[str]] = {}
    wanted = set(subscriber_ids)
    for chunk in chunks(list(paper_ids), _CHUNK):
        query = select(sent_papers.c.subscriber_id, sent_papers.c.paper_id).where(
            sent_papers.c.paper_id.in_(chunk)
        )
        for sid, pid in conn.execute(query):
            if sid in wanted:
                out.setdefault(sid, set()).add(pid)
    return out


def last_digest_at(conn: Connection, subscriber_id: int) -> datetime | None:
    """When the subscriber's latest digest was composed (an empty one too), if ever."""
    query = select(func.max(outbox.c.created_at)).where(
        outbox.c.subscriber_id == subscriber_id, outbox.c.kind == "digest"
    )
    return conn.execute(query).scalar_one()  # type: ignore[no-any-return]


# --- the outbox ------------------------------------------------------------------------------


def periods_recorded(conn: Connection, periods: Iterable[str]) -> set[tuple[int, str]]:
    """(subscriber, period) pairs that already have an outbox row."""
    out: set[tuple[int, str]] = set()
    for chunk in chunks(sorted(set(periods)), _CHUNK):
        query = select(outbox.c.subscriber_id, outbox.c.period).where(outbox.c.period.in_(chunk))
        out.update((sid, period) for sid, period in conn.execute(query))
    return out


def record_messages(conn: Connection, messages: Sequence[NewMessage]) -> list[int]:
    """Put composed messages in the outbox, mark their papers sent, advance coverage."""
    if not messages:
        return []
    now = utcnow()
    fast = conn.dialect.name == "sqlite" and len(messages) >= _CURSOR_FROM
    ids = (_insert_sqlite if fast else _insert_core)(conn, messages, now)
    _advance_coverage(conn, messages)
    return ids


def _insert_core(conn: Connection, messages: Sequence[NewMessage], now: datetime) -> list[int]:
    # One executemany (multi-row INSERT … RETURNING), the ids in the order of `messages`.
    insert = outbox.insert().returning(outbox.c.id, sort_by_parameter_order=True)
    result = conn.execute(insert, [_outbox_values(m, now) for m in messages])
    ids = [int(oid) for oid in result.scalars()]
    items = [
        {"subscriber_id": m.subscriber_id, "paper_id": pid, "outbox_id": oid}
        for m, oid in zip(messages, ids, strict=True)
        for pid in m.paper_ids
    ]
    if items:
        conn.execute(sent_papers.insert(), items)
    return ids


_CURSOR_FROM = 20  # batches this large (a digest run's) go through the SQLite cursor
_OUTBOX_COLUMNS = (
    "subscriber_id",
    "kind",
    "period",
    "status",
    "recipient",
    "message_id",
    "message",
    "packed",
    "covered_until",
    "attempts",
    "next_attempt_at",
    "created_at",
)
_SENT_COLUMNS = ("subscriber_id", "paper_id", "outbox_id")


def _insert_sqlite(conn: Connection, messages: Sequence[NewMessage], now: datetime) -> list[int]:
    # The same rows as the Core statements above, through the DB-API cursor of this
    # connection (its transaction): SQLAlchemy's per-row parameter handling cost about a
    # quarter of a large digest run's outbox writes. SQLite inserts one row at a time
    # anyway (the ids of a multi-row INSERT … RETURNING come in no promised order); each
    # row's id is the cursor's lastrowid. Values go through the columns' own bind
    # processors, so they are stored exactly as Core stores them; the driver's errors are
    # raised as SQLAlchemy raises them (IntegrityError, OperationalError: a full disk).
    day = _processor(conn, outbox.c.covered_until)
    stamp = _processor(conn, outbox.c.next_attempt_at)(now)
    dbapi_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.cursor()
    statement = _INSERT_OUTBOX
    try:
        ids = []
        for m in messages:
            cursor.execute(
                _INSERT_OUTBOX,
                (
                    m.subscriber_id,
                    m.kind,
                    m.period,
                    m.status,
                    m.recipient,
                    m.message_id,
                    "" if m.packed is not None else m.message,
                    m.packed,
                    day(m.covered_until),
                    0,
                    stamp,
                    stamp,
                ),
            )
            ids.append(int(cursor.lastrowid))
        items = [
            (m.subscriber_id, pid, oid)
            for m, oid in zip(messages, ids, strict=True)
            for pid in m.paper_ids
        ]
        if items:
            statement = _INSERT_SENT
            cursor.executemany(statement, items)
    except dbapi_error as exc:
        raise DBAPIError.instance(statement, None, exc, dbapi_error, dialect=conn.dialect) from exc
    finally:
        cursor.close()
    return ids


def _placeholders(table: Any, columns: Sequence[str]) -> str:
    for name in columns:
        assert name in table.c, name  # the columns of the Table objects, nothing else
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"


_INSERT_OUTBOX = _placeholders(outbox, _OUTBOX_COLUMNS)
_INSERT_SENT = _placeholders(sent_papers, _SENT_COLUMNS)


def _processor(conn: Connection, column: Any) -> Any:
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return (lambda v: v if v is None else process(v)) if process else (lambda v: v)


def _outbox_values(m: NewMessage, now: datetime) -> dict[str, object]:
    return {
        "subscriber_id": m.subscriber_id,
        "kind": m.kind,
        "period": m.period,
        "status": m.status,
        "recipient": m.recipient,
        "message_id": m.message_id,
        "message": "" if m.packed is not None else m.message,
        "packed": m.packed,
        "covered_until": m.covered_until,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _advance_coverage(conn: Connection, messages: Sequence[NewMessage]) -> None:
    # The days covered, and when the store was read (papers stored later go in the next one).
    by_mark: dict[tuple[date | None, datetime | None], list[int]] = {}
    for m in messages:
        if m.covered_until or m.stored_until:
            by_mark.setdefault((m.covered_until, m.stored_until), []).append(m.subscriber_id)
    for (day, read), sids in by_mark.items():
        values: dict[str, object] = {"covered_until": day} if day else {}
        values |= {"stored_until": read} if read else {}
        for chunk in chunks(sids, _CHUNK):
            conn.execute(update(subscribers).where(subscribers.c.id.in_(chunk)).values(values))


def due_messages(conn: Connection, limit: int, kind: str | None = None) -> list[OutboxRow]:
    """Pending messages whose next attempt is due, oldest first."""
    query = select(outbox).where(outbox.c.status == "pending", outbox.c.next_attempt_at <= utcnow())
    if kind:
        query = query.where(outbox.c.kind == kind)
    rows = conn.execute(query.order_by(outbox.c.id).limit(limit))
    return [_outbox_row(r) for r in rows]


def get_message(conn: Connection, outbox_id: int) -> OutboxRow | None:
    """One outbox row by id."""
    row = conn.execute(select(outbox).where(outbox.c.id == outbox_id)).first()
    return _outbox_row(row) if row else None


def _outbox_row(r: Row[Any]) -> OutboxRow:
    return OutboxRow(
        r.id,
        r.subscriber_id,
        r.kind,
        r.period,
        r.status,
        r.recipient,
        mailwire.unpacked_wire(r.packed) if r.packed is not None else r.message,
        r.attempts,
        r.last_error,
        r.created_at,
    )


# Built once: delivery runs these for every message, and building a statement costs ~10x
# executing it.
_CLAIM = (
    update(outbox)
    .where(
        outbox.c.id == bindparam("outbox_id"),
        outbox.c.status == "pending",
        # a session's copy of a row outlives another session's failed try of it
        outbox.c.next_attempt_at <= bindparam("now"),
    )
    .values(status="sending", attempts=outbox.c.attempts + 1)
)
_SENT = (
    update(outbox)
    .where(outbox.c.id == bindparam("outbox_id"))
    .values(status="sent", sent_at=bindparam("at"), last_error=None)
)


def claim_message(conn: Connection, outbox_id: int) -> bool:
    """Mark a due pending message as in flight; False when someone else has it or its retry
    is not due yet."""
    result = conn.execute(_CLAIM, {"outbox_id": outbox_id, "now": utcnow()})
    return result.rowcount == 1


def mark_sent(conn: Connection, outbox_id: int) -> None:
    """The server accepted the message."""
    conn.execute(_SENT, {"outbox_id": outbox_id, "at": utcnow()})


def mark_retry(
    conn: Connection, outbox_id: int, error: str, at: datetime, counts: bool = True
) -> None:
    """A transient failure: try again at `at` (not counted as an attempt unless `counts`)."""
    values: dict[str, object] = {"status": "pending", "next_attempt_at": at}
    if not counts:
        values["attempts"] = outbox.c.attempts - 1  # the claim counted it
    conn.execute(
        update(outbox).where(outbox.c.id == outbox_id).values(**values, last_error=error[:1000])
    )


def mark_failed(conn: Connection, outbox_id: int, error: str) -> None:
    """A permanent failure: keep the reason; its papers may go out in a later digest."""
    conn.execute(
        update(outbox)
        .where(outbox.c.id == outbox_id)
        .values(status="failed", last_error=error[:1000])
    )
    conn.execute(delete(sent_papers).where(sent_papers.c.outbox_id == outbox_id))


def recover_in_flight(conn: Connection) -> int:
    """Put messages left in flight by a crashed run back in the queue; returns how many."""
    result = conn.execute(
        update(outbox).where(outbox.c.status == "sending").values(status="pending")
    )
    return int(result.rowcount)


def cancel_pending(conn: Connection, subscriber_id: int) -> None:
    """Drop unsent digests of someone who left."""
    conn.execute(
        update(outbox)
        .where(outbox.c.subscriber_id == subscriber_id, outbox.c.status == "pending")
        .where(outbox.c.kind == "digest")
        .values(status="failed", last_error="unsubscribed")
    )


def drop_pending(conn: Connection, subscriber_id: int, kind: str, reason: str) -> int:
    """Drop unsent messages of one kind that no longer make sense; returns how many."""
    return _drop(conn, reason, outbox.c.subscriber_id == subscriber_id, outbox.c.kind == kind)


def _drop(conn: Connection, reason: str, *where: ColumnElement[bool]) -> int:
    """Mark the pending messages matching `where` dropped, with the reason; returns how many."""
    query = update(outbox).where(outbox.c.status == "pending", *where)
    return int(conn.execute(query.values(status="dropped", last_error=reason[:1000])).rowcount)


NOTICE_KIND = "notice"


def notice_period(comment_id: int) -> str:
    """The outbox period of a community notice: one per subscription and comment, and never
    the shape of a digest period (daily:DATE, weekly:YYYY-Www)."""
    return f"comment:{comment_id}"


def claim_period(claim_id: int, status: str) -> str:
    """The outbox period of the email telling a claim's decision: one per claim and outcome."""
    return f"claim:{claim_id}:{status}"


def team_period(notification_id: int) -> str:
    """The outbox period of the email telling a team-list notice: one per notice, so one a day
    per list and editor of the papers put in (the day's notice counts them up)."""
    return f"list:{notification_id}"


def offer_period(collection_id: int, day: date) -> str:
    """The outbox period of the email telling an editor a list is offered to them: one a day
    per list and editor, however often it is offered again that day."""
    return f"offer:{collection_id}:{day.isoformat()}"


def drop_comment_notices(conn: Connection, comment_id: int, reason: str) -> int:
    """Drop unsent notices about a comment (hidden or deleted since); returns how many."""
    period = outbox.c.period == notice_period(comment_id)
    return _drop(conn, reason, outbox.c.kind == NOTICE_KIND, period)


def drop_user_notices(conn: Connection, user_id: int, reason: str) -> int:
    """Drop unsent notices to a user (suspended since), retries included; returns how many."""
    theirs = select(subscribers.c.id).where(subscribers.c.user_id == user_id).scalar_subquery()
    return _drop(conn, reason, outbox.c.kind == NOTICE_KIND, outbox.c.subscriber_id.in_(theirs))


def keep_account_mail(conn: Connection, recipient: str, message_id: str, message: str) -> None:
    """Keep an account mail (a set-password or confirmation link) as sent, in the demo's
    mailbox: it belongs to no subscriber and is never delivered."""
    now = utcnow()
    values: dict[str, object] = {"subscriber_id": None, "kind": ACCOUNT_KIND, "status": "sent"}
    values |= {"period": message_id[:40], "recipient": recipient, "message_id": message_id}
    values |= {"message": message, "attempts": 1, "next_attempt_at": now}
    conn.execute(outbox.insert().values(**values, created_at=now, sent_at=now))


ACCOUNT_KIND = "account"


def sent_messages(conn: Connection, limit: int) -> list[OutboxRow]:
    """The newest sent messages (the demo mailbox), newest first."""
    query = select(outbox).where(outbox.c.status == "sent").order_by(outbox.c.id.desc())
    return [_outbox_row(r) for r in conn.execute(query.limit(limit))]


def undelivered(conn: Connection, limit: int) -> list[OutboxRow]:
    """The newest messages that failed, or wait for a retry after an error, newest first."""
    waiting = and_(outbox.c.status == "pending", outbox.c.last_error.is_not(None))
    query = select(outbox).where(or_(outbox.c.status == "failed", waiting))
    query = query.where(or_(outbox.c.last_error.is_(None), outbox.c.last_error != "unsubscribed"))
    return [_outbox_row(r) for r in conn.execute(query.order_by(outbox.c.id.desc()).limit(limit))]


PRUNED = "pruned"  # sent, and its text cleared after outbox_keep_days


def prune_sent(conn: Connection, sent_before: datetime, limit: int) -> int:
    """Clear the text of at most `limit` messages sent before `sent_before` (status pruned),
    then of dropped ones due before it; returns how many. The rows stay: they keep a period
    from being composed again, and the papers they carried (digest_sent_papers) from being
    mailed to the reader again."""
    cleared = _prune_sent(conn, sent_before, limit)
    return cleared + (_prune_dropped(conn, sent_before, limit - cleared) if cleared < limit else 0)


def _prune_sent(conn: Connection, sent_before: datetime, limit: int) -> int:
    old = (
        outbox.c.status == "sent",
        # never after sent_at: bounds the (status, next_attempt_at) index to the old sent rows
        outbox.c.next_attempt_at < sent_before,
        outbox.c.sent_at < sent_before,
    )
    ids = list(conn.execute(select(outbox.c.id).where(*old).limit(limit)).scalars())
    if not ids:
        return 0
    cleared = update(outbox).where(outbox.c.id.in_(ids), outbox.c.status == "sent")
    return int(conn.execute(cleared.values(status=PRUNED, message="", packed=None)).rowcount)


def _prune_dropped(conn: Connection, due_before: datetime, limit: int) -> int:
    """Clear the text of dropped messages (given up, never sent) due before `due_before`; they
    stay dropped, with their reason, so nothing sends them."""
    old = (
        outbox.c.status == "dropped",
        outbox.c.next_attempt_at < due_before,  # the (status, next_attempt_at) index
        or_(outbox.c.message != "", outbox.c.packed.is_not(None)),
    )
    ids = list(conn.execute(select(outbox.c.id).where(*old).limit(limit)).scalars())
    if not ids:
        return 0
    cleared = update(outbox).where(outbox.c.id.in_(ids), outbox.c.status == "dropped")
    return int(conn.execute(cleared.values(message="", packed=None)).rowcount)


def outbox_counts(conn: Connection) -> dict[str, int]:
    """How many outbox rows are in each status."""
    query = select(outbox.c.status, func.count()).group_by(outbox.c.status)
    return {status: n for status, n in conn.execute(query)}


# --- the run lock ----------------------------------------------------------------------------


def acquire_lock(
    conn: Connection, name: str, holder: str, ttl: timedelta, stale: Sequence[str]
) -> bool:
    """Take a named lease unless a live holder has it; `stale` lists holders known dead."""
    now = utcnow()
    expired = or_(locks.c.expires_at < now, locks.c.holder.in_(list(stale) or [""]))
    conn.execute(delete(locks).where(and_(locks.c.name == name, expired)))
    try:
        with conn.begin_nested():
            conn.execute(locks.insert().values(name=name, holder=holder, expires_at=now + ttl))
    except IntegrityError:
        return False
    return True


def lock_holder(conn: Connection, name: str) -> str | None:
    """Who holds a named lease now."""
    return conn.execute(select(locks.c.holder).where(locks.c.name == name)).scalar_one_or_none()


def renew_lock(conn: Connection, name: str, holder: str, ttl: timedelta) -> bool:
    """Extend a lease we hold; False when it was taken from us."""
    result = conn.execute(
        update(locks)
        .where(locks.c.name == name, locks.c.holder == holder)
        .values(expires_at=utcnow() + ttl)
    )
    return result.rowcount == 1


def release_lock(conn: Connection, name: str, holder: str) -> None:
    """Give a lease back."""
    conn.execute(delete(locks).where(locks.c.name == name, locks.c.holder == holder))
