"""When each signed-in reader last looked (`users.last_visit_at`) and the visit before it
(`users.previous_visit_at`): cards of papers listed since the previous visit say "New". Both
NULL until the reader's next page view. Adding nullable columns touches no row, at any size of
store. Running it again changes nothing.

Revision ID: 0049
Revises: 0048
"""

import sqlalchemy as sa
from alembic import op

revision = "0049"
down_revision = "0048"
branch_labels = None
depends_on = None

_COLUMNS = ("last_visit_at", "previous_visit_at")


def upgrade() -> None:
    held = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("users")}
    for name in _COLUMNS:
        if name not in held:
            op.add_column("users", sa.Column(name, sa.DateTime))


def downgrade() -> None:
    # Not a batch: SQLite's copy of users would drop the old table, and with it (ON DELETE
    # CASCADE) every account's sessions, library and votes. SQLite 3.35+ drops a column.
    for name in _COLUMNS:
        op.execute(f"ALTER TABLE users DROP COLUMN {name}")
