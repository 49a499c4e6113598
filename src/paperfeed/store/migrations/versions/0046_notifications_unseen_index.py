"""Index the notifications by whether they were seen and when: each digest run (every minute by
default) looks for the team-list notices of the last day not seen yet, to email them, which
without an index read the whole notifications table each time.

Revision ID: 0046
Revises: 0045
"""

from alembic import op

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_notifications_unseen", "notifications", ["seen", "created_at"], if_not_exists=True
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_unseen", table_name="notifications", if_exists=True)
