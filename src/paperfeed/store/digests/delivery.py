"""Delivering the outbox: due messages, claimed, sent, retried, failed or dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, bindparam, delete, or_, select, update

from paperfeed import mailwire
from paperfeed.store.digest_tables import outbox, sent_papers
from paperfeed.util import utcnow


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


def tries_so_far(conn: Connection, outbox_id: int) -> int:
    """How many times the message was claimed to be sent, this try included (the store's count:
    a session's copy of the row may be older than another session's try)."""
    found = conn.execute(select(outbox.c.attempts).where(outbox.c.id == outbox_id)).scalar()
    return int(found or 0)


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
    """Drop unsent digests of someone who left (dropped, not failed: nothing went wrong)."""
    drop_pending(conn, subscriber_id, "digest", "the reader unsubscribed")


def drop_pending(conn: Connection, subscriber_id: int, kind: str, reason: str) -> int:
    """Drop unsent messages of one kind that no longer make sense; returns how many."""
    return _drop(conn, reason, outbox.c.subscriber_id == subscriber_id, outbox.c.kind == kind)


def _drop(conn: Connection, reason: str, *where: ColumnElement[bool]) -> int:
    """Mark the pending messages matching `where` dropped, with the reason; returns how many."""
    query = update(outbox).where(outbox.c.status == "pending", *where)
    return int(conn.execute(query.values(status="dropped", last_error=reason[:1000])).rowcount)


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
