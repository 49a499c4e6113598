"""One author for a Chinese or Japanese name written with a space and without one.

"山田 太郎" and "山田太郎" were keyed apart ("山田 太郎", "山田太郎"): two author pages, two
follows. Author keys now write a name's Han and kana parts together; the keys of names beyond
ASCII are recomputed, and author follows and mutes keyed again (a namesake's follow with its
co-author anchors). A follow that now equals another of its user's goes. Everything is read in
batches; running it again changes nothing.

Revision ID: 0028
Revises: 0027
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from paperfeed.store.papers import author_key

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

BATCH = 2000
NAMESAKE = " ~ "  # an author follow of one namesake: "key ~ anchor; anchor" (store/library.py)
ANCHOR_SEP = "; "
paper_authors = sa.table(
    "paper_authors",
    sa.column("paper_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("name", sa.Text),
    sa.column("name_key", sa.Text),
)


def upgrade() -> None:
    conn = op.get_bind()
    _rekey_paper_authors(conn)
    for name in ("follows", "mutes"):
        _rekey_interests(conn, name)


def downgrade() -> None:
    """Nothing to undo: older code finds an author by either key the same way."""


def _non_ascii(conn: sa.Connection, column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """Text with a character beyond ASCII (more bytes than characters)."""
    if conn.dialect.name == "postgresql":
        return sa.func.octet_length(column) != sa.func.char_length(column)
    return sa.func.length(sa.cast(column, sa.LargeBinary)) != sa.func.length(column)


def _rekey_paper_authors(conn: sa.Connection) -> None:
    t = paper_authors
    query = (
        sa.select(t.c.paper_id, t.c.position, t.c.name, t.c.name_key)
        .where(_non_ascii(conn, t.c.name))
        .order_by(t.c.paper_id, t.c.position)
        .limit(BATCH)
    )
    write = (
        sa.update(t)
        .where(t.c.paper_id == sa.bindparam("b_paper"), t.c.position == sa.bindparam("b_pos"))
        .values(name_key=sa.bindparam("b_key"))
    )
    rows = conn.execute(query).all()
    while rows:
        found = [
            {"b_paper": r.paper_id, "b_pos": r.position, "b_key": key}
            for r in rows
            if (key := author_key(r.name)) != r.name_key
        ]
        if found:
            conn.execute(write, found)
        last = sa.tuple_(t.c.paper_id, t.c.position) > (rows[-1].paper_id, rows[-1].position)
        rows = conn.execute(query.where(last)).all() if len(rows) == BATCH else []


def _rekey_interests(conn: sa.Connection, name: str) -> None:
    """Author follows (or mutes) beyond ASCII keyed again; one that now equals another of its
    user's goes."""
    t = sa.table(
        name,
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("value", sa.String),
    )
    query = (
        sa.select(t.c.id, t.c.user_id, t.c.value)
        .where(t.c.kind == "author", _non_ascii(conn, t.c.value))
        .order_by(t.c.id)
        .limit(BATCH)
    )
    rows = conn.execute(query).all()
    while rows:
        for row in rows:
            value = _new_value(row.value)
            if value != row.value:
                _move(conn, t, row, value)
        rows = conn.execute(query.where(t.c.id > rows[-1].id)).all() if len(rows) == BATCH else []


def _move(conn: sa.Connection, t: Any, row: Any, value: str) -> None:
    """Give one follow its new value, or drop it when its user already has that one."""
    taken = sa.select(t.c.id).where(
        t.c.user_id == row.user_id, t.c.kind == "author", t.c.value == value
    )
    if conn.execute(taken).first() is not None:
        conn.execute(sa.delete(t).where(t.c.id == row.id))
    else:
        conn.execute(sa.update(t).where(t.c.id == row.id).values(value=value))


def _new_value(value: str) -> str:
    """An author follow's value keyed again (a namesake's anchors too)."""
    if NAMESAKE not in value:
        return author_key(value)
    key, _, anchors = value.partition(NAMESAKE)
    keys = [author_key(a) for a in anchors.split(ANCHOR_SEP) if a]
    return author_key(key) + NAMESAKE + ANCHOR_SEP.join(k for k in keys if k)
