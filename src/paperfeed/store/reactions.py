"""Reactions on comments: a small fixed set of emoji, one of each per reader and comment. They
show who reacted and never move a comment, a paper or a trend (votes alone rank)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    and_,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError

from paperfeed.store.accounts import bump_revision, users
from paperfeed.store.sql import in_list
from paperfeed.store.tables import metadata
from paperfeed.util import utcnow

# name (as URLs and the store say it) -> (emoji, what a screen reader says)
REACTIONS: dict[str, tuple[str, str]] = {
    "thumbsup": ("👍", "thumbs up"),
    "heart": ("❤️", "heart"),
    "tada": ("🎉", "hooray"),
    "rocket": ("🚀", "rocket"),
    "eyes": ("👀", "eyes"),
    "laugh": ("😄", "laugh"),
}
NAMED = 5  # reactors named for each emoji of a comment; the rest are counted

comment_reactions = Table(
    "comment_reactions",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("emoji", String(16), primary_key=True),  # a name of REACTIONS
    Column("created_at", DateTime, nullable=False),
    Index("ix_comment_reactions_comment_id", "comment_id"),
)


@dataclass(frozen=True)
class Reaction:
    """One emoji under one comment: how many reacted with it, a few of them by name, and
    whether the reader did."""

    name: str
    count: int
    names: tuple[str, ...]  # the first NAMED reactors' handles, oldest first
    mine: bool

    @property
    def emoji(self) -> str:
        """The emoji itself."""
        return REACTIONS[self.name][0]

    @property
    def label(self) -> str:
        """The emoji in words."""
        return REACTIONS[self.name][1]

    @property
    def others(self) -> int:
        """Reactors counted but not named."""
        return self.count - len(self.names)


def set_reaction(conn: Connection, user_id: int, comment_id: int, name: str, on: bool) -> None:
    """Add or take back a reader's reaction on a comment (idempotent)."""
    if name not in REACTIONS:
        raise ValueError(f"no reaction {name!r}")
    key = and_(
        comment_reactions.c.user_id == user_id,
        comment_reactions.c.comment_id == comment_id,
        comment_reactions.c.emoji == name,
    )
    if not on:
        conn.execute(delete(comment_reactions).where(key))
    elif conn.execute(select(comment_reactions.c.user_id).where(key)).first() is None:
        values = {"user_id": user_id, "comment_id": comment_id, "emoji": name}
        try:
            with conn.begin_nested():
                conn.execute(comment_reactions.insert().values(**values, created_at=utcnow()))
        except IntegrityError:
            pass  # a parallel identical reaction won
    bump_revision(conn)


def drop_reactions(conn: Connection, comment_id: int) -> None:
    """Remove every reaction on a comment (it was deleted)."""
    conn.execute(delete(comment_reactions).where(comment_reactions.c.comment_id == comment_id))


def reactions_on(
    conn: Connection, comment_ids: Sequence[int], viewer_id: int | None = None
) -> dict[int, tuple[Reaction, ...]]:
    """The reactions of active accounts on each of the comments (in REACTIONS' order), in one
    query however many comments: a suspended account's reactions leave while it is."""
    if not comment_ids:
        return {}
    r = comment_reactions.c
    group = (r.comment_id, r.emoji)
    ranked = (
        select(
            r.comment_id,
            r.emoji,
            r.user_id,
            users.c.username,
            func.row_number()
            .over(partition_by=group, order_by=(r.created_at, r.user_id))
            .label("at"),
            func.count().over(partition_by=group).label("n"),
        )
        .join(users, users.c.id == r.user_id)
        .where(in_list(r.comment_id, conn.dialect.name, values=list(comment_ids)))
        .where(users.c.suspended_at.is_(None), users.c.deleted_at.is_(None))
        .subquery()
    )
    query = select(ranked).where(or_(ranked.c.at <= NAMED, ranked.c.user_id == viewer_id))
    found: dict[tuple[int, str], tuple[int, list[str], bool]] = {}
    for row in conn.execute(query.order_by(ranked.c.at)):
        count, names, mine = found.get((row.comment_id, row.emoji), (int(row.n), [], False))
        if row.at <= NAMED:
            names.append(str(row.username))
        found[(row.comment_id, row.emoji)] = (count, names, mine or row.user_id == viewer_id)
    out: dict[int, tuple[Reaction, ...]] = {}
    for cid in comment_ids:
        shown = [(name, found[(cid, name)]) for name in REACTIONS if (cid, name) in found]
        if shown:
            out[cid] = tuple(Reaction(name, n, tuple(who), mine) for name, (n, who, mine) in shown)
    return out
