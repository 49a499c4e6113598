"""Profiles: what users tell about themselves, and finding accounts by name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from paperfeed.store.accounts import bump_revision, users
from paperfeed.store.community.tables import profiles


@dataclass(frozen=True)
class Profile:
    """What a user tells about themselves."""

    bio: str
    affiliation: str
    links: tuple[str, ...]
    notify_replies: bool
    notify_email: bool = True
    display_name: str = ""  # shown beside the handle; "" for none
    public_upvotes: bool = False  # named among upvoters, upvotes listed on the profile
    notify_lists: bool = True  # told of papers others put in, notes they write in team lists


def get_profile(conn: Connection, user_id: int) -> Profile:
    """A user's profile (empty when never edited)."""
    row = conn.execute(select(profiles).where(profiles.c.user_id == user_id)).first()
    if row is None:
        return Profile("", "", (), True, True)
    links = tuple(line for line in row.links.splitlines() if line.strip())
    notify = (bool(row.notify_replies), bool(row.notify_email))
    return Profile(
        row.bio,
        row.affiliation,
        links,
        *notify,
        display_name=row.display_name,
        public_upvotes=bool(row.public_upvotes),
        notify_lists=bool(row.notify_lists),
    )


def save_profile(conn: Connection, user_id: int, **values: object) -> None:
    """Create or update a user's profile fields."""
    exists = conn.execute(select(profiles.c.user_id).where(profiles.c.user_id == user_id)).first()
    if exists is None:
        base: dict[str, object] = {
            "bio": "",
            "affiliation": "",
            "links": "",
            "notify_replies": True,
            "notify_email": True,
            "display_name": "",
            "public_upvotes": False,
            "notify_lists": True,
        }
        conn.execute(profiles.insert().values(user_id=user_id, **(base | values)))
    else:
        conn.execute(update(profiles).where(profiles.c.user_id == user_id).values(**values))
    bump_revision(conn)


def existing_names(conn: Connection, names: Sequence[str]) -> list[str]:
    """Of `names`, those that are accounts (as the accounts spell them; case-insensitive, in
    the order given, once each); suspended accounts left out."""
    keys = [n.lower() for n in names]
    if not keys:
        return []
    query = select(users.c.name_key, users.c.username).where(
        users.c.name_key.in_(keys), users.c.suspended_at.is_(None), users.c.deleted_at.is_(None)
    )
    found = {str(k): str(n) for k, n in conn.execute(query)}
    return [found[k] for k in dict.fromkeys(keys) if k in found]


def find_user_id(conn: Connection, username: str) -> tuple[int, str, datetime, bool, bool] | None:
    """A user's id, name, sign-up time, admin and suspended flags, by case-insensitive name
    (a deleted account's handle finds nobody)."""
    cols = (users.c.id, users.c.username, users.c.created_at, users.c.is_admin)
    by_name = (users.c.name_key == username.lower()) & users.c.deleted_at.is_(None)
    row = conn.execute(select(*cols, users.c.suspended_at).where(by_name)).first()
    if row is None:
        return None
    return (row.id, row.username, row.created_at, bool(row.is_admin), row.suspended_at is not None)
