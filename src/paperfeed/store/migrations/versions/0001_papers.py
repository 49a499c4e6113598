"""Papers, versions, authors, categories, code links, signals, checkpoints.

Revision ID: 0001
Revises:
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _child(name: str, *cols: sa.Column[Any], pk: tuple[str, ...]) -> None:
    op.create_table(
        name,
        sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
        *cols,
        sa.PrimaryKeyConstraint("paper_id", *pk),
    )


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("title_key", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("published", sa.DateTime),
        sa.Column("updated", sa.DateTime),
        sa.Column("comments", sa.Text),
        sa.Column("journal_ref", sa.Text),
        sa.Column("doi", sa.Text),
        sa.Column("license", sa.Text),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("first_seen", sa.DateTime, nullable=False),
        sa.Column("listing_date", sa.Date),
        sa.Column("withdrawn", sa.Boolean, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sa.Column("featured", sa.Boolean, nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_papers_title_key", "papers", ["title_key"])
    op.create_index("ix_papers_listing_date", "papers", ["listing_date"])
    op.create_index("ix_papers_changed_at", "papers", ["changed_at"])
    _child("versions", sa.Column("version", sa.Integer, nullable=False), sa.Column("created", sa.DateTime), pk=("version",))
    _child(
        "paper_authors",
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_key", sa.Text, nullable=False),
        pk=("position",),
    )
    op.create_index("ix_paper_authors_name_key", "paper_authors", ["name_key"])
    _child(
        "paper_categories",
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        pk=("category",),
    )
    op.create_index("ix_paper_categories_category", "paper_categories", ["category"])
    _child("code_links", sa.Column("position", sa.Integer, nullable=False), sa.Column("url", sa.Text, nullable=False), pk=("position",))
    op.create_table(
        "signals",
        sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("upvotes", sa.Integer, nullable=False),
        sa.Column("submitted_by", sa.Text),
        sa.Column("github_repo", sa.Text),
        sa.Column("github_stars", sa.Integer),
    )
    op.create_table(
        "checkpoints",
        sa.Column("name", sa.String(512), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for name in ("checkpoints", "signals", "code_links", "paper_categories", "paper_authors", "versions", "papers"):
        op.drop_table(name)
