"""Follows and mutes: authors (namesakes told apart), categories, searches, keywords."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, Table, delete, func, select

from paperfeed.store.library.signals import bump_signals
from paperfeed.store.library.tables import (
    ANCHOR_SEP,
    FOLLOW_KINDS,
    INTEREST_MAX,
    MUTE_KINDS,
    NAMESAKE,
    Interest,
    LibraryError,
    _added,
    follows,
    mutes,
)
from paperfeed.store.papers import author_key
from paperfeed.text import xml_safe
from paperfeed.util import utcnow


def _interest_table(what: str) -> tuple[Table, tuple[str, ...]]:
    return (follows, FOLLOW_KINDS) if what == "follow" else (mutes, MUTE_KINDS)


def add_interest(
    conn: Connection, user_id: int, what: str, kind: str, value: str, label: str
) -> bool:
    """Follow (what="follow") or mute (what="mute") something; True when new. Following what
    one muted ends the mute, and muting what one follows ends the follow: never both."""
    table, kinds = _interest_table(what)
    if kind not in kinds:
        raise LibraryError(f"you can {what} only: {', '.join(kinds)}")
    value, label = xml_safe(value), xml_safe(label)
    if not value.strip() or len(value) > INTEREST_MAX or len(label) > INTEREST_MAX:
        raise LibraryError(f"what to {what} must have 1 to {INTEREST_MAX} characters")
    row = {"user_id": user_id, "kind": kind, "value": value, "label": label or value}
    if not _added(conn, table, row | {"created_at": utcnow()}):
        return False  # followed (or muted) already
    other, _ = _interest_table("mute" if what == "follow" else "follow")
    mine = (other.c.user_id == user_id) & (other.c.kind == kind)
    conn.execute(delete(other).where(mine, _same_thing(other, kind, value)))
    bump_signals(conn, user_id)
    return True


def would_end(conn: Connection, user_id: int, what: str, kind: str, value: str) -> int:
    """How many of the user's mutes (to follow) or follows (to mute) following or muting this
    would end: muting an author ends the follows of every namesake of the name."""
    other, _ = _interest_table("mute" if what == "follow" else "follow")
    mine = (other.c.user_id == user_id) & (other.c.kind == kind)
    query = select(func.count()).where(mine, _same_thing(other, kind, xml_safe(value)))
    return int(conn.execute(query).scalar_one())


def _same_thing(table: Table, kind: str, value: str) -> ColumnElement[bool]:
    """The follows or mutes of what `value` names: for an author, the name (a mute) and every
    follow of it, of every namesake or of one (muting the name ends them; following one of them
    ends the mute)."""
    if kind != "author":
        return table.c.value == value
    key = author_follow(value)[0]
    return (table.c.value == key) | table.c.value.startswith(key + NAMESAKE, autoescape=True)


def remove_interest(conn: Connection, user_id: int, what: str, kind: str, value: str) -> bool:
    """Unfollow or unmute; True when something was removed. A namesake's author follow is also
    found by its value folded as an author name is ("yang li a smith b chen"): how a form or
    the API hands back the value it was shown."""
    table, _ = _interest_table(what)
    value = xml_safe(value)  # as it was kept
    mine = (table.c.user_id == user_id) & (table.c.kind == kind)
    gone = conn.execute(delete(table).where(mine, table.c.value == value)).rowcount > 0
    if not gone and what == "follow" and kind == "author":
        folded = select(table.c.value).where(mine, table.c.value.contains(NAMESAKE))
        found = [v for v in conn.scalars(folded) if author_key(v) == author_key(value)]
        if found:
            gone = conn.execute(delete(table).where(mine, table.c.value == found[0])).rowcount > 0
    if gone:
        bump_signals(conn, user_id)
    return gone


def namesake_value(key: str, anchors: Sequence[str]) -> str:
    """The value of an author follow of one of the authors named `key` (a name key): the key,
    then the co-author keys that tell them apart, as many as fit (the first count most)."""
    value = key
    for i, anchor in enumerate(anchors):
        longer = value + (NAMESAKE if i == 0 else ANCHOR_SEP) + anchor
        if len(longer) > INTEREST_MAX:
            break
        value = longer
    return value


def author_follow(value: str) -> tuple[str, frozenset[str]]:
    """An author follow's name key and its anchors: the co-author keys of the namesake it
    follows (none: every author of that name)."""
    key, _, anchors = value.partition(NAMESAKE)
    return key, frozenset(a for a in anchors.split(ANCHOR_SEP) if a)


def interests(conn: Connection, user_id: int, what: str) -> list[Interest]:
    """The user's follows or mutes, oldest first."""
    table, _ = _interest_table(what)
    query = select(table).where(table.c.user_id == user_id).order_by(table.c.created_at, table.c.id)
    return [Interest(r.kind, r.value, r.label, r.created_at) for r in conn.execute(query)]
