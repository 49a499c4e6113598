"""Names and titles as arXiv means them: TeX accents decoded, and author keys per script.

Stores ingested before decoding hold arXiv's TeX as written ("Paul Erd\\H{o}s", "Gr\\"obner"):
shown raw, keyed "paul erd h o s", missed by searches for Erdős. Papers whose title, abstract or
author names hold a backslash are decoded as ingest now decodes them (math kept as written),
their title keys recomputed, and their change stamps moved on so the search indexes re-read
them. Author keys are recomputed for those names and for every name beyond ASCII (names in
other scripts now keep their letters: 张伟 and 章伟 are two authors, not one "zhang wei");
claims name an author as the paper does, and author follows and mutes are keyed again from
their labels. Everything is read in batches.

Revision ID: 0016
Revises: 0015
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from paperfeed.latex import decode_name, decode_prose
from paperfeed.models import normalise_title
from paperfeed.store.papers import author_key
from paperfeed.util import utcnow

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BATCH = 2000
NAMESAKE = " ~ "  # an author follow of one namesake: "key ~ anchor; anchor" (store/library.py)
ANCHOR_SEP = "; "
INTEREST_MAX = 500  # the follows' and mutes' value and label size
papers = sa.table(
    "papers",
    sa.column("id", sa.String),
    sa.column("title", sa.Text),
    sa.column("title_key", sa.Text),
    sa.column("abstract", sa.Text),
    sa.column("changed_at", sa.DateTime),
    sa.column("fingerprint", sa.String),
)
paper_authors = sa.table(
    "paper_authors",
    sa.column("paper_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("name", sa.Text),
    sa.column("name_key", sa.Text),
)
author_claims = sa.table(
    "author_claims",
    sa.column("id", sa.Integer),
    sa.column("author", sa.String),
)


def upgrade() -> None:
    conn = op.get_bind()
    changed = _decode_papers(conn) | _rekey_paper_authors(conn)
    _mark_changed(conn, sorted(changed))
    _decode_claims(conn)
    for name in ("follows", "mutes"):
        _rekey_interests(conn, name)


def downgrade() -> None:
    """Nothing to undo: decoded text and these keys are what any revision's code can show."""


def _has(column: sa.ColumnElement[str], char: str) -> sa.ColumnElement[bool]:
    return column.contains(char, autoescape=True)


def _non_ascii(conn: sa.Connection, column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """Text with a character beyond ASCII (more bytes than characters)."""
    if conn.dialect.name == "postgresql":
        return sa.func.octet_length(column) != sa.func.char_length(column)
    return sa.func.length(sa.cast(column, sa.LargeBinary)) != sa.func.length(column)


def _decode_papers(conn: sa.Connection) -> set[str]:
    """Decode titles and abstracts holding a backslash; the ids of those that changed."""
    t = papers
    query = (
        sa.select(t.c.id, t.c.title, t.c.abstract)
        .where(sa.or_(_has(t.c.title, "\\"), _has(t.c.abstract, "\\")))
        .order_by(t.c.id)
        .limit(BATCH)
    )
    write = (
        sa.update(t)
        .where(t.c.id == sa.bindparam("b_id"))
        .values(
            title=sa.bindparam("b_title"),
            title_key=sa.bindparam("b_key"),
            abstract=sa.bindparam("b_abstract"),
        )
    )
    changed: set[str] = set()
    rows = conn.execute(query).all()
    while rows:
        found = []
        for r in rows:
            title, abstract = decode_prose(r.title), decode_prose(r.abstract or "")
            if title != r.title or abstract != (r.abstract or ""):
                key = normalise_title(title)
                found.append({"b_id": r.id, "b_title": title, "b_key": key, "b_abstract": abstract})
        if found:
            conn.execute(write, found)
            changed.update(f["b_id"] for f in found)
        rows = conn.execute(query.where(t.c.id > rows[-1].id)).all() if len(rows) == BATCH else []
    return changed


def _rekey_paper_authors(conn: sa.Connection) -> set[str]:
    """Decode names written in TeX and recompute the keys of those and of names beyond ASCII;
    the ids of the papers whose names (not only keys) changed."""
    t = paper_authors
    query = (
        sa.select(t.c.paper_id, t.c.position, t.c.name, t.c.name_key)
        .where(sa.or_(_non_ascii(conn, t.c.name), _has(t.c.name, "\\"), _has(t.c.name, "{")))
        .order_by(t.c.paper_id, t.c.position)
        .limit(BATCH)
    )
    write = (
        sa.update(t)
        .where(t.c.paper_id == sa.bindparam("b_paper"), t.c.position == sa.bindparam("b_pos"))
        .values(name=sa.bindparam("b_name"), name_key=sa.bindparam("b_key"))
    )
    renamed: set[str] = set()
    rows = conn.execute(query).all()
    while rows:
        new = (_new_name(r.paper_id, r.position, r.name, r.name_key) for r in rows)
        found = [f for f in new if f]
        if found:
            conn.execute(write, found)
            renamed.update(f["b_paper"] for f in found if f["renamed"])
        last = sa.tuple_(t.c.paper_id, t.c.position) > (rows[-1].paper_id, rows[-1].position)
        rows = conn.execute(query.where(last)).all() if len(rows) == BATCH else []
    return renamed


def _new_name(paper: str, position: int, name: str, old: str) -> dict[str, Any] | None:
    new = decode_name(name) or name
    key = author_key(new)
    if (new, key) == (name, old):
        return None
    row = {"b_paper": paper, "b_pos": position, "b_name": new, "b_key": key}
    return row | {"renamed": new != name}


def _mark_changed(conn: sa.Connection, ids: list[str]) -> None:
    """New change stamps, so the search indexes re-read these papers; no fingerprint, so the
    next ingest of each compares it in full."""
    now = utcnow()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        conn.execute(
            sa.update(papers)
            .where(papers.c.id.in_(chunk))
            .values(changed_at=now, fingerprint=None)
        )


def _decode_claims(conn: sa.Connection) -> None:
    """A claim names its author as the paper does: decoded alike."""
    t = author_claims
    rows = conn.execute(
        sa.select(t.c.id, t.c.author).where(sa.or_(_has(t.c.author, "\\"), _has(t.c.author, "{")))
    ).all()
    for row in rows:
        name = decode_name(row.author) or row.author
        if name != row.author:
            conn.execute(sa.update(t).where(t.c.id == row.id).values(author=name))


def _rekey_interests(conn: sa.Connection, name: str) -> None:
    """Author follows (or mutes) keyed again from their labels, labels in TeX decoded; a
    namesake's follow keeps its co-author anchors. One that now equals another of its user's
    goes."""
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
        label = decode_name(row.label) or row.label
        value = _new_value(row.value, label)
        if (value, label) == (row.value, row.label) or len(value) > INTEREST_MAX:
            continue
        if value != row.value and (row.user_id, value) in taken:
            conn.execute(sa.delete(t).where(t.c.id == row.id))
            continue
        conn.execute(sa.update(t).where(t.c.id == row.id).values(value=value, label=label))
        taken.add((row.user_id, value))


def _new_value(value: str, label: str) -> str:
    """An author follow's value from its label ("Yang Li (with A. Smith, B. Chen)" for a
    namesake's, whose anchors are keys already and are kept, keyed again)."""
    if NAMESAKE not in value:
        return author_key(" ".join(label.split()))
    _, _, anchors = value.partition(NAMESAKE)
    key = author_key(label.partition(" (with ")[0])
    keys = [author_key(a) for a in anchors.split(ANCHOR_SEP) if a]
    return key + NAMESAKE + ANCHOR_SEP.join(k for k in keys if k) if keys else key
