"""The papers' change index covers (changed_at, id), the order the search refresh reads in.

With `changed_at` alone, a refresh that resumes inside a run of rows sharing one stamp scans
that whole run again for each batch it reads. A bulk load killed part-way leaves its deferred
indexes missing (`open_store` rebuilds them after migrating), so neither step assumes the old
index is there.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_papers_changed_at_id", "papers", ["changed_at", "id"], if_not_exists=True)
    op.drop_index("ix_papers_changed_at", table_name="papers", if_exists=True)


def downgrade() -> None:
    op.create_index("ix_papers_changed_at", "papers", ["changed_at"], if_not_exists=True)
    op.drop_index("ix_papers_changed_at_id", table_name="papers", if_exists=True)
