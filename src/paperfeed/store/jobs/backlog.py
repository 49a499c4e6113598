"""Work waiting that operators watch: the outbox, mail that failed, papers without vectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, or_, select, update

from paperfeed.util import utcnow


def outbox_depth(conn: Connection) -> dict[str, int]:
    """Digest outbox messages per status."""
    from paperfeed.store.digest_tables import outbox

    query = select(outbox.c.status, func.count()).group_by(outbox.c.status)
    return {status: int(n) for status, n in conn.execute(query)}


UNREACHABLE = "cannot open an SMTP session"  # how a send that found no mail server begins


def unreachable_mail(conn: Connection) -> tuple[int, str, datetime] | None:
    """Emails waiting because the mail server could not be reached: how many, the newest
    reason, and since when the oldest waits; None when none waits for that."""
    from paperfeed.store.digest_tables import outbox

    waiting = (outbox.c.status == "pending") & outbox.c.last_error.startswith(UNREACHABLE)
    n, since = conn.execute(
        select(func.count(), func.min(outbox.c.created_at)).where(waiting)
    ).one()
    if not n:
        return None
    newest = select(outbox.c.last_error).where(waiting).order_by(outbox.c.id.desc()).limit(1)
    return int(n), str(conn.execute(newest).scalar_one()), since


@dataclass(frozen=True)
class FailedDelivery:
    """An email that will not go out without help."""

    id: int
    recipient: str
    kind: str
    period: str
    attempts: int
    error: str | None
    created_at: datetime


def failed_deliveries(conn: Connection, limit: int = 100) -> list[FailedDelivery]:
    """Outbox messages that failed for good, newest first."""
    from paperfeed.store.digest_tables import outbox

    query = (
        select(outbox).where(outbox.c.status == "failed").order_by(outbox.c.id.desc()).limit(limit)
    )
    return [
        FailedDelivery(r.id, r.recipient, r.kind, r.period, r.attempts, r.last_error, r.created_at)
        for r in conn.execute(query)
    ]


UNSUBSCRIBED = "unsubscribed"  # the reason digest delivery gives up on a leaver: never retried


def retry_delivery(conn: Connection, outbox_id: int) -> bool:
    """Put a failed message back in the queue for the next digest run; False if not failed."""
    from paperfeed.store.digest_tables import outbox

    query = (
        update(outbox)
        .where(outbox.c.id == outbox_id, outbox.c.status == "failed")
        .where(or_(outbox.c.last_error.is_(None), outbox.c.last_error != UNSUBSCRIBED))
        .values(status="pending", attempts=0, next_attempt_at=utcnow())
    )
    return conn.execute(query).rowcount > 0


def papers_not_embedded(conn: Connection) -> int:
    """Papers without a current vector under the newest embedding contract."""
    from paperfeed.store import search_store
    from paperfeed.store.tables import papers

    contracts = search_store.embedding_contracts
    newest = select(contracts.c.id).order_by(contracts.c.created_at.desc()).limit(1)
    cid = conn.execute(newest).scalar()
    if cid is None:
        return int(conn.execute(select(func.count()).select_from(papers)).scalar_one())
    return search_store.count_to_embed(conn, cid)
