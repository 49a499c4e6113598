"""Accounts meet digests: a subscription can belong to a user, and users choose email notices.

A subscription made while signed in records its user, so the user's digest can rank with the
user's own model and mutes, and community notices (replies, new comments on claimed papers) can
go by email to the address that subscription confirmed.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_subscribers") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer, nullable=True))
        batch.create_foreign_key(
            "fk_digest_subscribers_user_id", "users", ["user_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_digest_subscribers_user_id", ["user_id"])
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(
            sa.Column("notify_email", sa.Boolean, nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("notify_email")
    with op.batch_alter_table("digest_subscribers") as batch:
        batch.drop_index("ix_digest_subscribers_user_id")
        batch.drop_constraint("fk_digest_subscribers_user_id", type_="foreignkey")
        batch.drop_column("user_id")
