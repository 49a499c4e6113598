"""Public upvotes: a user may choose to be named among a paper's upvoters (off by default, so
votes cast before the choice existed stay unnamed).

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("profiles")}
    if "public_upvotes" in columns:  # a store made by this version
        return
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(
            sa.Column("public_upvotes", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("public_upvotes")
