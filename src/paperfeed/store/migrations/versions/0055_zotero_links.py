"""A reader's Zotero library kept in step: `zotero_links`, one per account.

Revision ID: 0055
Revises: 0054
"""

import sqlalchemy as sa
from alembic import op

revision = "0055"
down_revision = "0054"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("zotero_links"):  # a store made by this version
        return
    op.create_table(
        "zotero_links",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("library_id", sa.String(16), nullable=False),
        sa.Column("api_key", sa.String(64), nullable=False),
        sa.Column("collection_key", sa.String(8), nullable=False),
        sa.Column("into_collection", sa.String(200)),
        sa.Column("tags_as_collections", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("synced_at", sa.DateTime),
        sa.Column("claimed_at", sa.DateTime),
        sa.Column("added", sa.Integer),
        sa.Column("error", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("zotero_links")
