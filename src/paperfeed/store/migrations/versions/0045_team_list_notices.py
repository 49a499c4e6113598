"""Notifications about team reading lists, and a switch for those about papers put in.

An editor offered a collection, its owner after the offer was accepted or declined, and a list's
owner when editors put papers in it were told nothing. `notifications.collection_id` names the
list (its notices go with it), `actor_id` who did it, `subject` the list's name then and
`papers` how many papers they put in it that day; `profiles.notify_lists` turns the last off.
Running it again changes nothing.

Revision ID: 0045
Revises: 0044
"""

import sqlalchemy as sa
from alembic import op

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    columns = {c["name"] for c in sa.inspect(conn).get_columns("notifications")}
    if "collection_id" not in columns:  # a store this version made (its tables from the schema)
        with op.batch_alter_table("notifications") as batch:  # nothing refers to notifications
            batch.add_column(sa.Column("collection_id", sa.Integer, nullable=True))
            batch.add_column(sa.Column("actor_id", sa.Integer, nullable=True))
            batch.add_column(
                sa.Column("subject", sa.String(200), nullable=False, server_default="")
            )
            batch.add_column(sa.Column("papers", sa.Integer, nullable=False, server_default="0"))
            batch.create_foreign_key(
                "fk_notifications_collection_id",
                "collections",
                ["collection_id"],
                ["id"],
                ondelete="CASCADE",
            )
            batch.create_foreign_key(
                "fk_notifications_actor_id", "users", ["actor_id"], ["id"], ondelete="CASCADE"
            )
    profile_columns = {c["name"] for c in sa.inspect(conn).get_columns("profiles")}
    if "notify_lists" not in profile_columns:
        on = sa.Column("notify_lists", sa.Boolean, nullable=False, server_default=sa.true())
        op.add_column("profiles", on)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE collection_id IS NOT NULL")
    op.execute("ALTER TABLE profiles DROP COLUMN notify_lists")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint("fk_notifications_actor_id", type_="foreignkey")
        batch.drop_constraint("fk_notifications_collection_id", type_="foreignkey")
        for column in ("papers", "subject", "actor_id", "collection_id"):
            batch.drop_column(column)
