"""Index the digests' sent-paper record by its message: a failed message forgets its papers by
`outbox_id`, and any delete of outbox rows (an erased subscriber) cascades to it by that
column, which without an index scanned the whole record each time.

Revision ID: 0034
Revises: 0033
"""

from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_digest_sent_papers_outbox", "digest_sent_papers", ["outbox_id"], if_not_exists=True
    )


def downgrade() -> None:
    op.drop_index("ix_digest_sent_papers_outbox", table_name="digest_sent_papers", if_exists=True)
