"""When the store learnt of a paper's current version (`papers.version_stored_at`).

A follower is told of a new version in the digest after the store read it in, and a shared
collection marks it "revised since added", whatever date arXiv gave it: a v2 read in late
(dated before the last digest) was never told. Set when an ingest stores a newer version of a
paper it held; NULL for a first version and for papers revised before this migration, whose
revision date (their version's own date) still stands in for it. Adding a nullable column
touches no row, at any size of store. Running it again changes nothing.

Revision ID: 0048
Revises: 0047
"""

import sqlalchemy as sa
from alembic import op

revision = "0048"
down_revision = "0047"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "version_stored_at" not in {c["name"] for c in inspector.get_columns("papers")}:
        op.add_column("papers", sa.Column("version_stored_at", sa.DateTime))


def downgrade() -> None:
    # Not a batch: SQLite's copy of papers would drop the old table, and with it (ON DELETE
    # CASCADE) every paper's versions, authors and votes. SQLite 3.35+ drops a column.
    op.execute("ALTER TABLE papers DROP COLUMN version_stored_at")
