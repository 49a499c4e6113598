"""Email digests: subscribers, their interests, the outbox, papers sent, rate events, run lock.

Revision ID: 0004
Revises: 0003
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _subscriber_fk(nullable: bool = False, primary_key: bool = False) -> sa.Column[Any]:
    return sa.Column(
        "subscriber_id",
        sa.Integer,
        sa.ForeignKey("digest_subscribers.id", ondelete="CASCADE"),
        nullable=nullable,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "digest_subscribers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_key", sa.String(254), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("nonce", sa.String(32), nullable=False),
        sa.Column("frequency", sa.String(8), nullable=False),
        sa.Column("send_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("weekday", sa.Integer, nullable=False),
        sa.Column("skip_weekends", sa.Boolean, nullable=False),
        sa.Column("max_papers", sa.Integer, nullable=False),
        sa.Column("include_trending", sa.Boolean, nullable=False),
        sa.Column("covered_until", sa.Date),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("confirmed_at", sa.DateTime),
        sa.Column("unsubscribed_at", sa.DateTime),
    )
    op.create_index("ix_digest_subscribers_status", "digest_subscribers", ["status"])
    op.create_table(
        "digest_interests",
        _subscriber_fk(primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("vector", sa.LargeBinary),
    )
    op.create_table(
        "digest_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _subscriber_fk(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("covered_until", sa.Date),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.UniqueConstraint("subscriber_id", "period", name="uq_digest_outbox_period"),
    )
    op.create_index("ix_digest_outbox_due", "digest_outbox", ["status", "next_attempt_at"])
    op.create_table(
        "digest_sent_papers",
        _subscriber_fk(primary_key=True),
        sa.Column(
            "paper_id",
            sa.String(64),
            sa.ForeignKey("papers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "outbox_id", sa.Integer, sa.ForeignKey("digest_outbox.id", ondelete="CASCADE")
        ),
    )
    op.create_index("ix_digest_sent_papers_paper", "digest_sent_papers", ["paper_id"])
    op.create_table(
        "digest_rate_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_digest_rate_events_key_at", "digest_rate_events", ["key", "at"])
    op.create_table(
        "digest_locks",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for name in (
        "digest_locks",
        "digest_rate_events",
        "digest_sent_papers",
        "digest_outbox",
        "digest_interests",
        "digest_subscribers",
    ):
        op.drop_table(name)
