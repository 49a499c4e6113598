"""Title keys keep the letters of every script.

Keys dropped every letter outside the Latin alphabet and Latin letters without an accent to take
off: each Chinese, Russian, Arabic, Korean or Japanese title had the empty key (so a page entry
or an imported entry in such a script was taken for any stored one), "Łódź" was "odz". Titles
holding a character outside ASCII, and titles whose key is empty, are keyed again; only rows
whose key changes are written. Read in batches; running it again changes nothing.

Revision ID: 0037
Revises: 0036
"""

import sqlalchemy as sa
from alembic import op

from paperfeed.models import normalise_title

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

BATCH = 2000
papers = sa.table(
    "papers",
    sa.column("id", sa.String),
    sa.column("title", sa.Text),
    sa.column("title_key", sa.Text),
)


def upgrade() -> None:
    conn = op.get_bind()
    t = papers
    query = (
        sa.select(t.c.id, t.c.title, t.c.title_key)
        .where(sa.or_(_beyond_ascii(conn, t.c.title), t.c.title_key == ""))
        .order_by(t.c.id)
        .limit(BATCH)
    )
    write = (
        sa.update(t).where(t.c.id == sa.bindparam("b_id")).values(title_key=sa.bindparam("b_key"))
    )
    rows = conn.execute(query).all()
    while rows:
        found = [
            {"b_id": r.id, "b_key": key}
            for r in rows
            if (key := normalise_title(r.title)) != r.title_key
        ]
        if found:
            conn.execute(write, found)
        rows = conn.execute(query.where(t.c.id > rows[-1].id)).all() if len(rows) == BATCH else []


def downgrade() -> None:
    """Nothing to undo: older code reads any key; it keys titles it writes its own way."""


def _beyond_ascii(conn: sa.Connection, column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """Text holding a character outside ASCII: more bytes in UTF-8 than characters."""
    if conn.dialect.name == "postgresql":
        return sa.func.octet_length(column) != sa.func.char_length(column)
    return sa.func.length(sa.cast(column, sa.LargeBinary)) != sa.func.length(column)
