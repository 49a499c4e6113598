"""Recording composed messages in the outbox, with the papers they carry and the days covered."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import DBAPIError

from paperfeed.store.digest_tables import outbox, sent_papers, subscribers
from paperfeed.store.digests.subscriber_rows import _CHUNK
from paperfeed.util import chunks, utcnow


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
