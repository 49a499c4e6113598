"""An author claim names which of the paper's authors it is (its place in the list), so two
namesakes on one paper are claimed apart; existing claims take their name's first place.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("author_claims")}
    if "position" in columns:  # a store made by this version
        return
    with op.batch_alter_table("author_claims") as batch:
        batch.add_column(sa.Column("position", sa.Integer, nullable=False, server_default="0"))
    op.execute(
        "UPDATE author_claims SET position = COALESCE((SELECT MIN(pa.position) FROM"
        " paper_authors pa WHERE pa.paper_id = author_claims.paper_id"
        " AND pa.name = author_claims.author), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("author_claims") as batch:
        batch.drop_column("position")
