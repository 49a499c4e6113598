"""Public upvoters: the accounts that chose to show their upvotes, named on a paper's page and
their profile; everyone else's upvotes only count. Suspended and deleted accounts never show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, select

from paperfeed.store.accounts import users, votes
from paperfeed.store.community import profiles, unhidden_paper

NAMED = 3  # upvoters a paper's page names; the rest are counted


@dataclass(frozen=True)
class Upvoter:
    """An account named among a paper's upvoters."""

    username: str
    display_name: str  # "" for none


def _public() -> ColumnElement[bool]:
    """A vote whose voter opted in and may be shown (not suspended, not deleted)."""
    return (
        profiles.c.public_upvotes.is_(True)
        & users.c.suspended_at.is_(None)
        & users.c.deleted_at.is_(None)
    )


def _shown_votes(*cols: ColumnElement[Any]) -> Select[Any]:
    return (
        select(*cols)
        .join(users, users.c.id == votes.c.user_id)
        .join(profiles, profiles.c.user_id == votes.c.user_id)
        .where(_public())
    )


def public_upvoters(conn: Connection, paper_id: str, limit: int = NAMED) -> list[Upvoter]:
    """The newest `limit` opted-in upvoters of a paper, in one query."""
    query = (
        _shown_votes(users.c.username, profiles.c.display_name)
        .where(votes.c.paper_id == paper_id)
        .order_by(votes.c.created_at.desc(), votes.c.user_id.desc())
        .limit(limit)
    )
    return [Upvoter(r.username, r.display_name) for r in conn.execute(query)]


def upvoted_publicly(
    conn: Connection, user_id: int, limit: int = 30, include_hidden: bool = False
) -> list[str]:
    """Ids of the papers a user upvoted, newest first, when they show their upvotes (else
    none); those a moderator hid only with `include_hidden`."""
    query = _shown_votes(votes.c.paper_id).where(votes.c.user_id == user_id)
    if not include_hidden:
        query = query.where(unhidden_paper(votes.c.paper_id))
    query = query.order_by(votes.c.created_at.desc(), votes.c.paper_id).limit(limit)
    return [str(pid) for pid in conn.scalars(query)]
