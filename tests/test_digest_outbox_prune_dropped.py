"""Dropped digests (queued, then given up: the reader left, the period no longer made sense)
lose their text after PAPERFEED_OUTBOX_KEEP_DAYS as sent ones do; the row and its reason stay,
so nothing is composed or sent again (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Engine

from paperfeed.digest.upkeep import prune_outbox
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.digest_tables import outbox
from tests.test_digest_outbox_prune import NOW, OLD, RECENT, _message, _rows


def _dropped(engine: Engine, email: str, at: object, packed: bool = False) -> None:
    oid = _message(engine, email, "pending", at, packed=packed)  # type: ignore[arg-type]
    with engine.begin() as conn:
        assert db._drop(conn, "the reader left", outbox.c.id == oid) == 1


def test_old_dropped_texts_are_cleared_and_their_rows_kept(
    engine: Engine, settings: Settings
) -> None:
    _dropped(engine, "old@example.org", OLD)
    _dropped(engine, "old-packed@example.org", OLD, packed=True)
    _dropped(engine, "recent@example.org", RECENT, packed=True)
    before = _rows(engine)
    assert before["old-packed@example.org"]["packed"] is not None

    assert prune_outbox(engine, settings, NOW) == 2
    after = _rows(engine)
    for email in ("old@example.org", "old-packed@example.org"):
        row = after[email]
        assert (row["status"], row["message"], row["packed"]) == ("dropped", "", None), email
        kept = {k: v for k, v in row.items() if k not in ("message", "packed")}
        assert kept == {k: v for k, v in before[email].items() if k in kept}, email
        assert row["last_error"] == "the reader left"
    assert after["recent@example.org"] == before["recent@example.org"]
    assert prune_outbox(engine, settings, NOW) == 0  # nothing left to clear
    with engine.connect() as conn:
        assert db.outbox_counts(conn) == {"dropped": 3}


def test_keep_days_zero_keeps_dropped_texts_and_more_days_keep_more(
    engine: Engine, settings: Settings
) -> None:
    _dropped(engine, "old@example.org", OLD)  # 45 days old
    for days, cleared in ((0, 0), (60, 0), (30, 1)):
        keep = settings.model_copy(update={"outbox_keep_days": days})
        assert prune_outbox(engine, keep, NOW) == cleared, days
    assert _rows(engine)["old@example.org"]["message"] == ""
