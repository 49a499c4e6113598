"""A collection's hand-over waits for its new owner to accept it.

Handing a collection over made an editor its owner at once, and naming an editor needs no
consent: anyone could make a public collection, name a stranger its editor and hand it over,
so the stranger owned it, papers in their library and all. `collection_offers` keeps the one
pending offer of a collection (to one of its editors, whether its owner stays an editor); it
goes with the editorship, and the editor becomes its owner only by accepting it.

Revision ID: 0044
Revises: 0043
"""

import sqlalchemy as sa
from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("collection_offers"):  # a store made by this version
        return
    op.create_table(
        "collection_offers",
        sa.Column("collection_id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column(
            "offered_by",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("stay", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id", "user_id"],
            ["collection_editors.collection_id", "collection_editors.user_id"],
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_collection_offers_user", "collection_offers", ["user_id"])
    op.create_index("ix_collection_offers_offered_by", "collection_offers", ["offered_by"])


def downgrade() -> None:
    op.drop_table("collection_offers")
