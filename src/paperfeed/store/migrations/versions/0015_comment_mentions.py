"""A comment keeps the accounts its "@name"s name (linked on the page, told once).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("comments")}
    if "mentions" in columns:  # a store made by this version (its tables from the models)
        return
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("mentions", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("mentions")
