"""Reactions on comments: a few emoji, one of each per reader and comment.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("comment_reactions"):  # a store made by this version
        return
    op.create_table(
        "comment_reactions",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "comment_id",
            sa.Integer,
            sa.ForeignKey("comments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("emoji", sa.String(16), primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_comment_reactions_comment_id", "comment_reactions", ["comment_id"])


def downgrade() -> None:
    op.drop_table("comment_reactions")
