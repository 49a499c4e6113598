"""A profile's display name: a real name, in any script, shown beside the handle (which stays
the identity); existing profiles have none.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("profiles")}
    if "display_name" in columns:  # a store made by this version
        return
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(
            sa.Column("display_name", sa.String(80), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("display_name")
