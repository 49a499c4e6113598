"""Community: comments, votes and reports on them, profiles, claims, notifications, links.

Revision ID: 0008
Revises: 0007
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _user_fk(primary_key: bool = False) -> sa.Column[Any]:
    return sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def _comment_fk(primary_key: bool = False) -> sa.Column[Any]:
    return sa.Column(
        "comment_id",
        sa.Integer,
        sa.ForeignKey("comments.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("paper_id", sa.String(64), nullable=False),
        _user_fk(),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("comments.id", ondelete="CASCADE")),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("edited_at", sa.DateTime),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
    )
    op.create_index("ix_comments_paper_id", "comments", ["paper_id"])
    op.create_index("ix_comments_created_at", "comments", ["created_at"])
    op.create_index("ix_comments_user_id", "comments", ["user_id"])
    op.create_table(
        "comment_votes",
        _user_fk(primary_key=True),
        _comment_fk(primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "comment_reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _comment_fk(),
        _user_fk(),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("resolved", sa.Boolean, nullable=False),
        sa.UniqueConstraint("comment_id", "user_id", name="uq_comment_reports_comment_user"),
    )
    op.create_table(
        "profiles",
        _user_fk(primary_key=True),
        sa.Column("bio", sa.Text, nullable=False),
        sa.Column("affiliation", sa.String(200), nullable=False),
        sa.Column("links", sa.Text, nullable=False),
        sa.Column("notify_replies", sa.Boolean, nullable=False),
    )
    op.create_table(
        "author_claims",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _user_fk(),
        sa.Column("paper_id", sa.String(64), nullable=False),
        sa.Column("author", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime),
    )
    op.create_index("ix_author_claims_paper_id", "author_claims", ["paper_id"])
    op.create_index("ix_author_claims_user_id", "author_claims", ["user_id"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _user_fk(),
        _comment_fk(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("seen", sa.Boolean, nullable=False),
    )
    op.create_index("ix_notifications_user_id", "notifications", ["user_id"])
    op.create_table(
        "paper_links",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("paper_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_paper_links_paper_id", "paper_links", ["paper_id"])


def downgrade() -> None:
    for table in (
        "paper_links",
        "notifications",
        "author_claims",
        "profiles",
        "comment_reports",
        "comment_votes",
        "comments",
    ):
        op.drop_table(table)
