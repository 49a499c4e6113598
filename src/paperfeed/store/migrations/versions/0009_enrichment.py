"""Enrichment: GitHub repository facts, daily star counts, Hugging Face Hub artifacts.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repos",
        sa.Column("full_name", sa.String(200), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("stars", sa.Integer),
        sa.Column("forks", sa.Integer),
        sa.Column("language", sa.String(80)),
        sa.Column("license", sa.String(80)),
        sa.Column("pushed_at", sa.DateTime),
        sa.Column("etag", sa.String(200)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("fetched_at", sa.DateTime),
    )
    op.create_table(
        "repo_stars",
        sa.Column("full_name", sa.String(200), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("stars", sa.Integer, nullable=False),
    )
    op.create_table(
        "hub_artifacts",
        sa.Column("paper_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("hub_id", sa.String(200), primary_key=True),
        sa.Column("likes", sa.Integer),
        sa.Column("downloads", sa.Integer),
        sa.Column("fetched_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_hub_artifacts_paper_id", "hub_artifacts", ["paper_id"])


def downgrade() -> None:
    for table in ("hub_artifacts", "repo_stars", "repos"):
        op.drop_table(table)
