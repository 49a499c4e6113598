"""Email confirmation links (an account's new address, or a sign-up's, counts once confirmed),
and account mail in the demo's mailbox (outbox rows that belong to no digest subscriber).

Revision ID: 0030
Revises: 0029
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    outbox = {c["name"]: c for c in inspector.get_columns("digest_outbox")}
    if not outbox["subscriber_id"]["nullable"]:
        with op.batch_alter_table("digest_outbox") as batch:
            batch.alter_column("subscriber_id", existing_type=sa.Integer, nullable=True)
    if inspector.has_table("email_links"):  # a store made by this version
        return
    op.create_table(
        "email_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE")),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("username", sa.String(32)),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_email_links_user_id", "email_links", ["user_id"])


def downgrade() -> None:
    op.drop_table("email_links")
    op.execute("DELETE FROM digest_outbox WHERE subscriber_id IS NULL")
    with op.batch_alter_table("digest_outbox") as batch:
        batch.alter_column("subscriber_id", existing_type=sa.Integer, nullable=False)
