"""Digest tables: subscribers, their interests, the outbox, papers sent, rate events, run lock.

Migration 0004 creates them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from paperfeed.store.tables import metadata

subscribers = Table(
    "digest_subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False, unique=True),
    Column("status", String(16), nullable=False),  # pending | confirmed | unsubscribed
    Column("nonce", String(32), nullable=False),  # rotates on re-subscribe: old links die
    Column("frequency", String(8), nullable=False),
    Column("send_time", String(5), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("weekday", Integer, nullable=False),
    Column("skip_weekends", Boolean, nullable=False),
    Column("max_papers", Integer, nullable=False),
    Column("include_trending", Boolean, nullable=False),
    Column("covered_until", Date),
    # when the latest digest read the store: papers stored since on covered days go in the next
    Column("stored_until", DateTime),
    Column("created_at", DateTime, nullable=False),
    Column("confirmed_at", DateTime),
    Column("unsubscribed_at", DateTime),
    # the account that subscribed while signed in: its digest ranks with the user's own model
    Column(
        "user_id",
        Integer,
        ForeignKey("users.id", ondelete="SET NULL", name="fk_digest_subscribers_user_id"),
    ),
    Index("ix_digest_subscribers_status", "status"),
    Index("ix_digest_subscribers_user_id", "user_id"),
)

interests = Table(
    "digest_interests",
    metadata,
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("digest_subscribers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # category | keyword | semantic | author | seed
    Column("value", Text, nullable=False),
    Column("vector", LargeBinary),  # float32, L2-normalised query embedding (semantic only)
)

outbox = Table(
    "digest_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # None for an account mail kept in the demo's mailbox (migration 0030)
    Column("subscriber_id", Integer, ForeignKey("digest_subscribers.id", ondelete="CASCADE")),
    Column("kind", String(16), nullable=False),  # digest | confirm | notice | account
    Column("period", String(40), nullable=False),
    # pending | sending | sent | failed | empty | dropped | pruned (sent, its text cleared)
    Column("status", String(16), nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("message_id", String(255), nullable=False),
    Column("message", Text, nullable=False),  # "" when `packed` holds it
    # The message as zstd-compressed UTF-8 (migration 0013): a digest is ~1/5 of its text.
    Column("packed", LargeBinary),
    Column("covered_until", Date),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    UniqueConstraint("subscriber_id", "period", name="uq_digest_outbox_period"),
    Index("ix_digest_outbox_due", "status", "next_attempt_at"),
)

sent_papers = Table(
    "digest_sent_papers",
    metadata,
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("digest_subscribers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("outbox_id", Integer, ForeignKey("digest_outbox.id", ondelete="CASCADE")),
    Index("ix_digest_sent_papers_paper", "paper_id"),
    # a failed message forgets its papers by outbox_id, and deleting outbox rows cascades here
    Index("ix_digest_sent_papers_outbox", "outbox_id"),
)

rate_events = Table(
    "digest_rate_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(128), nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_digest_rate_events_key_at", "key", "at"),
)

locks = Table(
    "digest_locks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_at", DateTime, nullable=False),
)
