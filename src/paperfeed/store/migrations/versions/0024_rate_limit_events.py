"""Rate-limited events (sign-ups, submissions, comments per address) kept in the store, so
every worker and node counts the same ones.

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("rate_limit_events"):  # a store made by this version
        return
    op.create_table(
        "rate_limit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("expires", sa.DateTime, nullable=False),
    )
    op.create_index("ix_rate_limit_events_key_at", "rate_limit_events", ["key", "at"])
    op.create_index("ix_rate_limit_events_expires", "rate_limit_events", ["expires"])


def downgrade() -> None:
    op.drop_table("rate_limit_events")
