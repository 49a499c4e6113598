"""Notes found without their accents and in any case.

Finding in a library matched a title or an author by accent-free keys, but a note only by
its lower-cased text: "naive" missed a note holding "naïve", and SQLite lowercases only
ASCII, so "zoë" missed "ZOË". Library notes and a collection's notes on its papers now keep
`note_key` (accents off, case folded) beside the text, written with it; notes written before
are keyed here. Read in batches; running it again changes nothing.

Revision ID: 0038
Revises: 0037
"""

import sqlalchemy as sa
from alembic import op

from paperfeed.store.library import note_key

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

BATCH = 2000
TABLES = {"library_items": "user_id", "collection_items": "collection_id"}  # and paper_id


def upgrade() -> None:
    conn = op.get_bind()
    for name, owner in TABLES.items():
        if "note_key" not in {c["name"] for c in sa.inspect(conn).get_columns(name)}:
            op.add_column(name, sa.Column("note_key", sa.Text, nullable=False, server_default=""))
        _key_notes(conn, name, owner)


def downgrade() -> None:
    # Not a batch: SQLite's copy of the table would drop the old one, and with it (ON DELETE
    # CASCADE) what refers to it. SQLite 3.35+ drops a column.
    for name in TABLES:
        op.execute(f"ALTER TABLE {name} DROP COLUMN note_key")


def _key_notes(conn: sa.Connection, name: str, owner: str) -> None:
    """Every note's key written where it differs, a batch of rows at a time."""
    t = sa.table(
        name,
        sa.column(owner, sa.Integer),
        sa.column("paper_id", sa.String),
        sa.column("note", sa.Text),
        sa.column("note_key", sa.Text),
    )
    key = sa.tuple_(t.c[owner], t.c.paper_id)
    query = sa.select(t.c[owner], t.c.paper_id, t.c.note, t.c.note_key).where(t.c.note != "")
    query = query.order_by(t.c[owner], t.c.paper_id).limit(BATCH)
    write = (
        sa.update(t)
        .where(t.c[owner] == sa.bindparam("b_owner"), t.c.paper_id == sa.bindparam("b_paper"))
        .values(note_key=sa.bindparam("b_key"))
    )
    rows = conn.execute(query).all()
    while rows:
        changed = [
            {"b_owner": r[0], "b_paper": r.paper_id, "b_key": folded}
            for r in rows
            if (folded := note_key(r.note)) != r.note_key
        ]
        if changed:
            conn.execute(write, changed)
        last = (rows[-1][0], rows[-1].paper_id)
        rows = conn.execute(query.where(key > last)).all() if len(rows) == BATCH else []
