"""A notification can be about an author claim: approved or rejected by a moderator.

`notifications.claim_id` names the claim (its row goes with the claim), and `comment_id`
becomes optional: a notification is about a comment or about a claim.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("notifications")}
    if "claim_id" in columns:  # a store made by this version (its tables from the models)
        return
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("claim_id", sa.Integer, nullable=True))
        batch.create_foreign_key(
            "fk_notifications_claim_id", "author_claims", ["claim_id"], ["id"], ondelete="CASCADE"
        )
        batch.alter_column("comment_id", existing_type=sa.Integer, nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE comment_id IS NULL")
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("comment_id", existing_type=sa.Integer, nullable=False)
        batch.drop_constraint("fk_notifications_claim_id", type_="foreignkey")
        batch.drop_column("claim_id")
