"""A user's data rights: everything the store keeps about an account, as one document, and the
account's deletion (its private data gone, its public comments and submissions left unnamed)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, delete, func, or_, select, update

from paperfeed.store.accounts import (
    DELETED_NAME,
    bump_revision,
    sessions,
    submissions,
    users,
    votes,
)
from paperfeed.store.api_tokens import api_tokens
from paperfeed.store.collection_editors import collection_editors
from paperfeed.store.collection_offers import collection_offers
from paperfeed.store.community import (
    author_claims,
    comment_reports,
    comment_votes,
    comments,
    notifications,
    paper_links,
    profiles,
)
from paperfeed.store.digest_tables import interests, outbox, sent_papers, subscribers
from paperfeed.store.digests import SUBSCRIBER_FIELDS
from paperfeed.store.email_links import account_email, email_links
from paperfeed.store.library import (
    collection_items,
    collections,
    feed_tokens,
    follows,
    library_items,
    mutes,
    ratings,
    signal_versions,
)
from paperfeed.store.password_links import password_links
from paperfeed.store.reactions import comment_reactions
from paperfeed.store.shared_lists import collection_follows
from paperfeed.store.zotero_links import zotero_items, zotero_links
from paperfeed.util import utcnow

EXPORT_FORMAT = "paperfeed-account-export/1"

# What an export lists of each table of the user's own rows (never a hash, token or key).
_OWN: dict[str, tuple[Table, tuple[str, ...]]] = {
    "library": (library_items, ("paper_id", "state", "note", "added_at", "updated_at")),
    "ratings": (ratings, ("paper_id", "rating", "created_at")),
    "follows": (follows, ("kind", "value", "label", "created_at")),
    "mutes": (mutes, ("kind", "value", "label", "created_at")),
    "followed_collections": (collection_follows, ("collection_id", "created_at")),
    "edited_collections": (collection_editors, ("collection_id", "created_at")),
    "upvotes": (votes, ("paper_id", "created_at")),
    "submissions": (submissions, ("paper_id", "day", "created_at")),
    "comments": (
        comments,
        ("id", "paper_id", "parent_id", "body", "created_at", "edited_at", "deleted", "hidden"),
    ),
    "comment_upvotes": (comment_votes, ("comment_id", "created_at")),
    "comment_reactions": (comment_reactions, ("comment_id", "emoji", "created_at")),
    "comment_reports": (comment_reports, ("comment_id", "reason", "created_at", "resolved")),
    "author_claims": (
        author_claims,
        ("id", "paper_id", "author", "position", "status", "reason", "created_at", "decided_at"),
    ),
    "paper_links": (paper_links, ("paper_id", "kind", "url", "created_at")),
    "notifications": (
        notifications,
        (
            "kind",
            "comment_id",
            "claim_id",
            "collection_id",
            "subject",
            "papers",
            "created_at",
            "seen",
        ),
    ),
    "sign_ins": (sessions, ("created_at", "expires_at")),
    "api_tokens": (api_tokens, ("name", "read_only", "created_at", "last_used_at", "expires_at")),
    "zotero_library": (  # the linked Zotero library (its API key never)
        zotero_links,
        (
            "kind",
            "library_id",
            "collection_key",
            "into_collection",
            "tags_as_collections",
            "created_at",
            "synced_at",
            "added",
            "removed",
            "error",
        ),
    ),
    "zotero_items": (zotero_items, ("item_key", "paper_id", "owned")),
}
# Collections offered to the reader (`user_id`) and by them (`offered_by`), not yet accepted.
_OFFER = ("collection_id", "stay", "created_at")
_SUBSCRIPTION = (
    "id",
    "email",
    "status",
    *SUBSCRIBER_FIELDS,
    "created_at",
    "confirmed_at",
    "unsubscribed_at",
)


def _plain(value: object) -> object:
    """A value as JSON holds it (dates and times in ISO 8601)."""
    return value.isoformat() if isinstance(value, date | datetime) else value


def _rows(conn: Connection, table: Table, where: ColumnElement[bool], cols: Any) -> list[Any]:
    query = select(*(table.c[c] for c in cols)).where(where).order_by(*table.primary_key)
    return [{c: _plain(v) for c, v in zip(cols, r, strict=True)} for r in conn.execute(query)]


def export_account(conn: Connection, user_id: int) -> dict[str, Any] | None:
    """Everything kept about a live account, as one JSON-ready document (None: no such one)."""
    user = conn.execute(select(users).where(users.c.id == user_id, users.c.deleted_at.is_(None)))
    row = user.first()
    if row is None:
        return None
    out: dict[str, Any] = {"format": EXPORT_FORMAT, "exported_at": _plain(utcnow())}
    out["account"] = _account(conn, row)
    for name, (table, cols) in _OWN.items():
        out[name] = _rows(conn, table, table.c.user_id == user_id, cols)
    out["saved_searches"] = [f for f in out["follows"] if f["kind"] == "search"]
    out["collections"] = _collections(conn, user_id)
    out["notes_in_others_collections"] = _notes_elsewhere(conn, user_id)
    out["collection_offers_received"] = _offers(conn, collection_offers.c.user_id == user_id)
    out["collection_offers_made"] = _offers(conn, collection_offers.c.offered_by == user_id)
    out["digest_subscriptions"] = _subscriptions(conn, user_id)
    feed = select(feed_tokens.c.created_at).where(feed_tokens.c.user_id == user_id)
    out["private_feed_urls"] = [{"created_at": _plain(t)} for t in conn.scalars(feed)]
    return out


def _account(conn: Connection, row: Any) -> dict[str, Any]:
    found = conn.execute(select(profiles).where(profiles.c.user_id == row.id)).first()
    profile = found._mapping if found else {}
    return {
        "handle": row.username,
        "email": row.email,  # where set-password links go; None when the account has none
        "display_name": profile.get("display_name", ""),
        "bio": profile.get("bio", ""),
        "affiliation": profile.get("affiliation", ""),
        "links": [line for line in profile.get("links", "").splitlines() if line.strip()],
        "created_at": _plain(row.created_at),
        "is_admin": bool(row.is_admin),
        "notifications": {
            "replies": bool(profile.get("notify_replies", True)),
            "by_email": bool(profile.get("notify_email", True)),
            "team_lists": bool(profile.get("notify_lists", True)),
        },
        "upvotes_public": bool(profile.get("public_upvotes", False)),
        # when the reader's last visit and the one before began ("New" marks papers since)
        "last_visit_at": _plain(row.last_visit_at),
        "previous_visit_at": _plain(row.previous_visit_at),
    }


def _collections(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    cols = ("id", "name", "slug", "description", "visibility", "created_at", "ordered")
    found = _rows(conn, collections, collections.c.user_id == user_id, cols)
    for c in found:
        where = collection_items.c.collection_id == c["id"]
        kept = ("paper_id", "added_at", "note", "position")  # position: its place in the list
        c["papers"] = _rows(conn, collection_items, where, kept)
    return found


def _notes_elsewhere(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """The notes the account last wrote on papers of collections it co-edits, not its own."""
    others = select(collections.c.id).where(collections.c.user_id != user_id)
    where = (collection_items.c.note_by == user_id) & collection_items.c.collection_id.in_(others)
    cols = ("collection_id", "paper_id", "note", "note_at")
    return [n for n in _rows(conn, collection_items, where, cols) if n["note"]]


def _offers(conn: Connection, where: ColumnElement[bool]) -> list[dict[str, Any]]:
    return _rows(conn, collection_offers, where, _OFFER)


def _theirs(conn: Connection, user_id: int) -> ColumnElement[bool]:
    """The account's subscriptions: those linked to it, and those to its confirmed address
    made while signed out (pending ones too) that no other account has linked."""
    mine = subscribers.c.user_id == user_id
    address = account_email(conn, user_id)
    if not address:
        return mine
    unlinked = subscribers.c.user_id.is_(None) & (subscribers.c.email_key == address.lower())
    return or_(mine, unlinked)


def _subscriptions(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    found = _rows(conn, subscribers, _theirs(conn, user_id), _SUBSCRIPTION)
    for s in found:
        where = interests.c.subscriber_id == s["id"]
        s["interests"] = _rows(conn, interests, where, ("kind", "value"))
        s["mail"] = _mail(conn, s["id"])
    return found


_MAIL = ("id", "kind", "period", "status", "recipient", "created_at", "sent_at")


def _mail(conn: Connection, subscriber_id: int) -> list[dict[str, Any]]:
    """The digests and notices kept for a subscription, each with the papers it carried."""
    theirs = outbox.c.subscriber_id == subscriber_id
    found = _rows(conn, outbox, theirs, _MAIL)
    mail = select(outbox.c.id).where(theirs)
    carried = select(sent_papers.c.outbox_id, sent_papers.c.paper_id)
    papers: dict[int, list[str]] = {}
    for outbox_id, paper_id in conn.execute(carried.where(sent_papers.c.outbox_id.in_(mail))):
        papers.setdefault(outbox_id, []).append(paper_id)
    for m in found:
        m["papers"] = sorted(papers.get(m.pop("id"), []))
    return found


# Deleted with the account: every row only its owner sees, and its votes (counts drop).
_PRIVATE = (
    sessions,
    api_tokens,
    feed_tokens,
    library_items,
    collection_follows,
    collection_editors,  # the account's editorships; its own collections' editors by cascade
    collections,  # their entries and followers go by cascade
    ratings,
    follows,
    mutes,
    signal_versions,
    votes,
    comment_votes,
    comment_reactions,
    comment_reports,
    author_claims,  # pending and decided: nobody is left to be the author
    notifications,
    profiles,
    password_links,
    email_links,
    zotero_links,  # with its kept API key
    zotero_items,
)


def delete_account(conn: Connection, user_id: int) -> bool:
    """Delete an account in the caller's transaction: its private data goes, its comments and
    submissions stay under DELETED_NAME, its handle stays taken; False when there is none."""
    live = select(users.c.id).where(users.c.id == user_id, users.c.deleted_at.is_(None))
    if conn.execute(live).first() is None:
        return False
    _forget_account_mail(conn, user_id)
    # its digests and its address's (interests, queued mail and sent lists by cascade)
    conn.execute(delete(subscribers).where(_theirs(conn, user_id)))
    for table in _PRIVATE:
        conn.execute(delete(table).where(table.c.user_id == user_id))
    conn.execute(update(paper_links).where(paper_links.c.user_id == user_id).values(user_id=None))
    gone = {"username": DELETED_NAME, "password_hash": "!", "is_admin": False, "email": None}
    gone |= {"last_visit_at": None, "previous_visit_at": None}
    # A suspension stays: a suspended troll's hidden comments stay hidden once deleted.
    conn.execute(update(users).where(users.c.id == user_id).values(**gone, deleted_at=utcnow()))
    bump_revision(conn)  # its votes leave every count, its name every page
    return True


def _forget_account_mail(conn: Connection, user_id: int) -> None:
    """Delete the account mails (set-password and confirmation links) kept for the account's
    addresses; its digests and notices go with its subscriptions."""
    addresses = set(conn.scalars(select(users.c.email).where(users.c.id == user_id)))
    addresses |= set(
        conn.scalars(select(email_links.c.email).where(email_links.c.user_id == user_id))
    )
    addresses = {a.lower() for a in addresses if a}
    if addresses:
        to_them = func.lower(outbox.c.recipient).in_(sorted(addresses))
        conn.execute(delete(outbox).where(outbox.c.subscriber_id.is_(None), to_them))
