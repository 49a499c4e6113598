"""Recording composed digests: their messages assembled batch by batch into outbox rows."""

from __future__ import annotations

from datetime import date, datetime

from paperfeed.digest.assembly import Assembler
from paperfeed.digest.compose import Digest
from paperfeed.digest.render import Mail
from paperfeed.digest.subscribe import links_for
from paperfeed.digest.writer import OutboxWriter
from paperfeed.store import digests as db

_RECORD_BATCH = 500


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
