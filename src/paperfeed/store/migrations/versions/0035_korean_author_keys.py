"""One author for a Korean name written with a space and without one.

"김 민수" and "김민수" were keyed apart ("김 민수", "김민수"): two author pages, two follows, as
"山田 太郎" and "山田太郎" were before 0028. Author keys now write a name's Hangul parts
together (a romanised "Kim Minsu" stays another author); names and author follows and mutes
holding Hangul are keyed again (a namesake's follow with its co-author anchors), and a follow
that now equals another of its user's goes. Read in batches; running it again changes nothing.

Revision ID: 0035
Revises: 0034
"""

import sqlalchemy as sa
from alembic import op

from paperfeed.store.papers import author_key

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

BATCH = 2000
NAMESAKE = " ~ "  # an author follow of one namesake: "key ~ anchor; anchor" (store/library.py)
ANCHOR_SEP = "; "
# Hangul jamo, compatibility jamo, jamo extended A and B, and syllables.
HANGUL = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff"
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
    """Nothing to undo: older code finds an author by the key it is given the same way."""


def _hangul(conn: sa.Connection, column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """Text holding a Hangul letter (only such names' keys change)."""
    if conn.dialect.name == "postgresql":
        return column.op("~")(f"[{HANGUL}]")
    return column.op("GLOB")(f"*[{HANGUL}]*")


def _rekey_paper_authors(conn: sa.Connection) -> None:
    t = paper_authors
    query = (
        sa.select(t.c.paper_id, t.c.position, t.c.name, t.c.name_key)
        .where(_hangul(conn, t.c.name))
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
    """Author follows (or mutes) holding Hangul keyed again; one that now equals another of its
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
        .where(t.c.kind == "author", _hangul(conn, t.c.value))
        .order_by(t.c.id)
        .limit(BATCH)
    )
    rows = conn.execute(query).all()
    while rows:
        for row in rows:
            value = _new_value(row.value)
            if value == row.value:
                continue
            taken = sa.select(t.c.id).where(
                t.c.user_id == row.user_id, t.c.kind == "author", t.c.value == value
            )
            if conn.execute(taken).first() is not None:
                conn.execute(sa.delete(t).where(t.c.id == row.id))
            else:
                conn.execute(sa.update(t).where(t.c.id == row.id).values(value=value))
        rows = conn.execute(query.where(t.c.id > rows[-1].id)).all() if len(rows) == BATCH else []


def _new_value(value: str) -> str:
    """An author follow's value keyed again (a namesake's anchors too)."""
    if NAMESAKE not in value:
        return author_key(value)
    key, _, anchors = value.partition(NAMESAKE)
    keys = [author_key(a) for a in anchors.split(ANCHOR_SEP) if a]
    return author_key(key) + NAMESAKE + ANCHOR_SEP.join(k for k in keys if k)
