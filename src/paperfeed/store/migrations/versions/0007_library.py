"""Personal data: library, collections, ratings, follows, mutes, feed tokens, signal versions.

Revision ID: 0007
Revises: 0006
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _user_fk(primary_key: bool = False) -> sa.Column[Any]:
    fk = sa.ForeignKey("users.id", ondelete="CASCADE")
    return sa.Column("user_id", sa.Integer, fk, nullable=False, primary_key=primary_key)


def _paper_fk(primary_key: bool = False) -> sa.Column[Any]:
    fk = sa.ForeignKey("papers.id", ondelete="CASCADE")
    return sa.Column("paper_id", sa.String(64), fk, nullable=False, primary_key=primary_key)


def _interests(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _user_fk(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(500), nullable=False),
        sa.Column("label", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("user_id", "kind", "value", name=f"uq_{name}_user_kind_value"),
    )


def upgrade() -> None:
    op.create_table(
        "library_items",
        _user_fk(primary_key=True),
        _paper_fk(primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_library_items_paper", "library_items", ["paper_id"])
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _user_fk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("share_key", sa.String(32), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("user_id", "slug", name="uq_collections_user_slug"),
    )
    op.create_table(
        "collection_items",
        sa.Column(
            "collection_id",
            sa.Integer,
            sa.ForeignKey("collections.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        _paper_fk(primary_key=True),
        sa.Column("added_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "ratings",
        _user_fk(primary_key=True),
        _paper_fk(primary_key=True),
        sa.Column("rating", sa.SmallInteger, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    _interests("follows")
    _interests("mutes")
    op.create_table(
        "feed_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        _user_fk(),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_feed_tokens_user", "feed_tokens", ["user_id"])
    op.create_table(
        "signal_versions",
        _user_fk(primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for name in (
        "signal_versions",
        "feed_tokens",
        "mutes",
        "follows",
        "ratings",
        "collection_items",
        "collections",
        "library_items",
    ):
        op.drop_table(name)
