"""Author keys transliterate letters such as ł, ø and ß: recompute the keys already stored.

Stores ingested before that change hold keys like "bart omiej cupia" for "Bartłomiej Cupiał",
so such an author's page, feed and follows resolved only after a re-ingest. Keys are recomputed
with the current key function; names in plain ASCII cannot change and are not read. Follows and
mutes of an author hold the same key and are recomputed from their label.

Revision ID: 0011
Revises: 0010
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from paperfeed.store.papers import author_key

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH = 5000
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
    """Nothing to undo: the transliterated keys are what the code of any revision should hold."""


def _non_ascii(conn: sa.Connection, column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """Text with a character beyond ASCII (more bytes than characters): only its key can change."""
    if conn.dialect.name == "postgresql":
        return sa.func.octet_length(column) != sa.func.char_length(column)
    return sa.func.length(sa.cast(column, sa.LargeBinary)) != sa.func.length(column)


def _rekey_paper_authors(conn: sa.Connection) -> None:
    t = paper_authors
    rekey = (
        sa.update(t)
        .where(t.c.paper_id == sa.bindparam("b_paper"), t.c.position == sa.bindparam("b_pos"))
        .values(name_key=sa.bindparam("b_key"))
    )
    query = (
        sa.select(t.c.paper_id, t.c.position, t.c.name, t.c.name_key)
        .where(_non_ascii(conn, t.c.name))
        .order_by(t.c.paper_id, t.c.position)
        .limit(BATCH)
    )
    rows = conn.execute(query).all()
    while rows:
        changed = [_new_key(r.paper_id, r.position, r.name, r.name_key) for r in rows]
        if found := [c for c in changed if c is not None]:
            conn.execute(rekey, found)
        last = sa.tuple_(t.c.paper_id, t.c.position) > (rows[-1].paper_id, rows[-1].position)
        rows = conn.execute(query.where(last)).all() if len(rows) == BATCH else []


def _new_key(paper: str, position: int, name: str, old: str) -> dict[str, Any] | None:
    key = author_key(name)
    return None if key == old else {"b_paper": paper, "b_pos": position, "b_key": key}


def _rekey_interests(conn: sa.Connection, name: str) -> None:
    """Recompute author follows (or mutes); one that now equals another of its user's goes."""
    t = sa.table(
        name,
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("value", sa.String),
        sa.column("label", sa.String),
    )
    rows = conn.execute(
        sa.select(t.c.id, t.c.user_id, t.c.value, t.c.label)
        .where(t.c.kind == "author")
        .order_by(t.c.id)
    ).all()
    taken = {(r.user_id, r.value) for r in rows}
    for row in rows:
        key = author_key(" ".join(row.label.split()))
        if key == row.value or len(key) > 500:  # the column's size; such a follow stays
            continue
        if (row.user_id, key) in taken:
            conn.execute(sa.delete(t).where(t.c.id == row.id))
        else:
            conn.execute(sa.update(t).where(t.c.id == row.id).values(value=key))
            taken.add((row.user_id, key))
