"""What a linked Zotero library brought: `zotero_items` (each Zotero item key a sync imported, the
paper it matched and whether the import put that paper in the library), so that an item removed
in Zotero leaves the library here too; and `zotero_links.removed`, the papers the last sync took
out. A new table and a nullable column touch no row. Running it again changes nothing.

Revision ID: 0056
Revises: 0055
"""

import sqlalchemy as sa
from alembic import op

revision = "0056"
down_revision = "0055"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "removed" not in {c["name"] for c in inspector.get_columns("zotero_links")}:
        op.add_column("zotero_links", sa.Column("removed", sa.Integer))
    if inspector.has_table("zotero_items"):  # a store made by this version
        return
    op.create_table(
        "zotero_items",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("item_key", sa.String(16), primary_key=True),
        sa.Column("paper_id", sa.String(64), nullable=False),
        sa.Column("owned", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("zotero_items")
    op.execute("ALTER TABLE zotero_links DROP COLUMN removed")
