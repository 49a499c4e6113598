"""A collection's own order.

A collection listed its papers newest added, newest or by title, never in an order its owner
chose (a course's reading list, week by week). Collection papers now keep a `position` in the
list and a collection `ordered` (its owner arranged it: readers get that order first). Papers
put in before keep position 0, the list ordering them as they were added (earliest first), and
new papers go after them; running it again changes nothing.

Revision ID: 0040
Revises: 0039
"""

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    inspector = sa.inspect(conn)
    if "position" not in {c["name"] for c in inspector.get_columns("collection_items")}:
        op.add_column(
            "collection_items",
            sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        )
    if "ordered" not in {c["name"] for c in inspector.get_columns("collections")}:
        ordered = sa.Column("ordered", sa.Boolean, nullable=False, server_default=sa.false())
        op.add_column("collections", ordered)


def downgrade() -> None:
    # Not a batch: SQLite's copy of the table would drop the old one, and with it (ON DELETE
    # CASCADE) what refers to it. SQLite 3.35+ drops a column.
    op.execute("ALTER TABLE collection_items DROP COLUMN position")
    op.execute("ALTER TABLE collections DROP COLUMN ordered")
