"""Community: comments and their votes and reports, profiles, author claims, notifications."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Row,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError

from paperfeed.store.accounts import bump_revision, lock_revision, submissions, users
from paperfeed.store.digest_tables import subscribers
from paperfeed.store.digests import drop_comment_notices
from paperfeed.store.papers import author_key
from paperfeed.store.reactions import drop_reactions
from paperfeed.store.sql import in_list
from paperfeed.store.tables import metadata, paper_authors, papers
from paperfeed.util import utcnow

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", String(64), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("parent_id", Integer, ForeignKey("comments.id", ondelete="CASCADE")),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("edited_at", DateTime),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("hidden", Boolean, nullable=False, default=False),
    # Waiting for a moderator (many links, or links from a new account): seen by its author
    # and moderators only until approved.
    Column("held", Boolean, nullable=False, default=False, server_default=false()),
    # The accounts its "@name"s named when last written, by their names, space-separated.
    Column("mentions", Text, nullable=False, default="", server_default=""),
    # A reply to a reply joins its top comment's thread (parent_id); this is the reply it
    # answered, whose author is told "reply to you" (also when a held one is approved later).
    Column("answered_id", Integer),
    Index("ix_comments_paper_id", "paper_id"),
    Index("ix_comments_created_at", "created_at"),
    Index("ix_comments_user_id", "user_id"),
)

comment_votes = Table(
    "comment_votes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", DateTime, nullable=False),
)

comment_reports = Table(
    "comment_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("resolved", Boolean, nullable=False, default=False),
    UniqueConstraint("comment_id", "user_id", name="uq_comment_reports_comment_user"),
)

profiles = Table(
    "profiles",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("bio", Text, nullable=False, default=""),
    Column("affiliation", String(200), nullable=False, default=""),
    Column("links", Text, nullable=False, default=""),  # one URL per line
    Column("notify_replies", Boolean, nullable=False, default=True),
    # community notices also go by email (to the address of the user's confirmed subscription)
    Column("notify_email", Boolean, nullable=False, default=True, server_default=true()),
    # a real name shown beside the handle ("" for none); the handle stays the identity
    Column("display_name", String(80), nullable=False, default="", server_default=""),
    # named among a paper's upvoters, their upvotes on their profile (opt-in: off by default)
    Column("public_upvotes", Boolean, nullable=False, default=False, server_default=false()),
    # told when others put papers in one's team reading lists (once a day per list and editor)
    Column("notify_lists", Boolean, nullable=False, default=True, server_default=true()),
)

author_claims = Table(
    "author_claims",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("paper_id", String(64), nullable=False),
    Column("author", String(300), nullable=False),
    # The author's place in the paper's list (from 0): a paper may name two namesakes.
    Column("position", Integer, nullable=False, server_default="0"),
    # pending | approved | rejected | withdrawn (by its claimant) | revoked (approved, then undone)
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
    Column("decided_at", DateTime),
    Index("ix_author_claims_paper_id", "paper_id"),
    Index("ix_author_claims_user_id", "user_id"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # About a comment (reply | reply_to_you | mention | author) or a claim (claim_approved |
    # claim_rejected | claim_revoked)
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), nullable=True),
    Column("claim_id", Integer, ForeignKey("author_claims.id", ondelete="CASCADE"), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("seen", Boolean, nullable=False, default=False),
    # or a team reading list (list_offer | offer_accepted | offer_declined | list_added): the
    # list, who did it, its name then, and how many papers they added (that day)
    Column(
        "collection_id", Integer, ForeignKey("collections.id", ondelete="CASCADE"), nullable=True
    ),
    Column("actor_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("subject", String(200), nullable=False, server_default=""),
    Column("papers", Integer, nullable=False, server_default="0"),
    Index("ix_notifications_user_id", "user_id"),
    # each digest run's look for recent unseen team-list notices (migration 0046)
    Index("ix_notifications_unseen", "seen", "created_at"),
)

paper_links = Table(
    "paper_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # code | project | model | dataset | demo
    Column("url", String(500), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", DateTime, nullable=False),
    Index("ix_paper_links_paper_id", "paper_id"),
)

CLAIM_STATES = ("pending", "approved", "rejected", "withdrawn", "revoked")
LIVE_CLAIMS = ("pending", "approved")  # the states a claimant may withdraw from
LINK_KINDS = ("code", "project", "model", "dataset", "demo")


@dataclass(frozen=True)
class Comment:
    """One comment as a thread shows it."""

    id: int
    paper_id: str
    username: str
    user_id: int
    user_created: datetime
    parent_id: int | None
    body: str
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    hidden: bool
    votes: int
    mentions: tuple[str, ...] = ()  # the accounts its "@name"s name
    display_name: str = ""  # its author's, shown beside the handle ("" when suspended)
    author_deleted: bool = False  # written by an account since deleted: shown unnamed
    held: bool = False  # awaiting a moderator's review: its author and moderators see it
    answered_id: int | None = None  # a reply to a reply: the reply it answered


@dataclass(frozen=True)
class Claim:
    """A user's claim to be one of a paper's authors."""

    id: int
    username: str
    user_id: int
    paper_id: str
    author: str
    status: str
    reason: str
    created_at: datetime
    decided_at: datetime | None = None  # approved, rejected, withdrawn or revoked then
    position: int = 0  # which of the paper's authors (from 0): namesakes may share a paper
    display_name: str = ""  # the claimant's, shown beside the handle ("" when suspended)


@dataclass(frozen=True)
class ClaimGroup:
    """The claims on one author name of one paper that a moderator weighs together: those
    waiting, beside any approved one (only one account can be approved)."""

    paper_id: str
    author: str
    claims: tuple[Claim, ...]  # oldest first
    position: int = 0  # the author's place in the paper's list

    @property
    def approved(self) -> Claim | None:
        """The approved claim of the group, if one is."""
        return next((c for c in self.claims if c.status == "approved"), None)

    @property
    def waiting(self) -> tuple[Claim, ...]:
        """The claims of the group awaiting a decision."""
        return tuple(c for c in self.claims if c.status == "pending")


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
    notify_lists: bool = True  # told of papers others put in one's team reading lists


class CommentError(ValueError):
    """A comment action that cannot be done, with the reason."""


class ClaimedAlready(CommentError):
    """The user already has a pending or approved claim to that author name on that paper."""


# Only accounts in good standing count: a suspended account's votes and comments leave the
# site while it is suspended, and come back when the suspension is lifted.
_ACTIVE_IDS = select(users.c.id).where(users.c.suspended_at.is_(None))
_VOTES = (
    select(comment_votes.c.comment_id, func.count().label("n"))
    .where(comment_votes.c.user_id.in_(_ACTIVE_IDS))
    .group_by(comment_votes.c.comment_id)
    .subquery()
)


def _comment_query() -> Select[Any]:
    return (
        select(
            comments,
            users.c.username,
            users.c.created_at.label("user_created"),
            users.c.suspended_at.label("author_suspended_at"),
            users.c.deleted_at.label("author_deleted_at"),
            func.coalesce(_VOTES.c.n, 0).label("votes"),
            profiles.c.display_name,
        )
        .join(users, users.c.id == comments.c.user_id)
        .outerjoin(_VOTES, _VOTES.c.comment_id == comments.c.id)
        .outerjoin(profiles, profiles.c.user_id == comments.c.user_id)
    )


def _comment(row: object) -> Comment:
    r = row._mapping  # type: ignore[attr-defined]
    return Comment(
        id=r["id"],
        paper_id=r["paper_id"],
        username=r["username"],
        user_id=r["user_id"],
        user_created=r["user_created"],
        parent_id=r["parent_id"],
        body=r["body"],
        created_at=r["created_at"],
        edited_at=r["edited_at"],
        deleted=bool(r["deleted"]),
        hidden=bool(r["hidden"]) or r["author_suspended_at"] is not None,
        votes=int(r["votes"]),
        mentions=tuple(str(r["mentions"] or "").split()),
        display_name="" if r["author_suspended_at"] else str(r["display_name"] or ""),
        author_deleted=r["author_deleted_at"] is not None,
        held=bool(r["held"]),
        answered_id=r["answered_id"],
    )


def get_comment(conn: Connection, comment_id: int) -> Comment | None:
    """One comment by id."""
    row = conn.execute(_comment_query().where(comments.c.id == comment_id)).first()
    return _comment(row) if row else None


def shown_comment() -> ColumnElement[bool]:
    """A comment readers see: not hidden by a moderator nor held for one, by an account not
    suspended."""
    # NOT EXISTS of a suspended author rather than IN the active ones (see `counted_vote`)
    author = users.alias("author")
    suspended = exists().where(
        author.c.id == comments.c.user_id, author.c.suspended_at.is_not(None)
    )
    return and_(comments.c.hidden.is_(False), comments.c.held.is_(False), ~suspended)


def thread(conn: Connection, paper_id: str, include_hidden: bool = False) -> list[Comment]:
    """Every comment on a paper, oldest first (hidden ones only for moderators)."""
    query = _comment_query().where(comments.c.paper_id == paper_id)
    if not include_hidden:
        query = query.where(shown_comment())
    return [_comment(r) for r in conn.execute(query.order_by(comments.c.id))]


def recent_comments(conn: Connection, limit: int, offset: int = 0) -> list[Comment]:
    """The newest visible, undeleted comments across all papers."""
    query = (
        _comment_query()
        .where(shown_comment(), comments.c.deleted.is_(False))
        .order_by(comments.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_comment(r) for r in conn.execute(query)]


def hidden_comments(conn: Connection, limit: int = 50) -> list[Comment]:
    """The newest comments moderators hid (and did not delete), for a second look."""
    query = (
        _comment_query()
        .where(comments.c.hidden.is_(True), comments.c.deleted.is_(False))
        .order_by(comments.c.id.desc())
        .limit(limit)
    )
    return [_comment(r) for r in conn.execute(query)]


def held_comments(conn: Connection, limit: int = 50) -> list[Comment]:
    """Comments waiting for a moderator's review (not deleted), the longest waiting first."""
    query = (
        _comment_query()
        .where(comments.c.held.is_(True), comments.c.deleted.is_(False))
        .order_by(comments.c.id)
        .limit(limit)
    )
    return [_comment(r) for r in conn.execute(query)]


def held_among(conn: Connection, ids: Collection[int]) -> list[Comment]:
    """Those of `ids` still held for review (not deleted), in id order."""
    query = _comment_query().where(
        comments.c.id.in_(list(ids)), comments.c.held.is_(True), comments.c.deleted.is_(False)
    )
    return [_comment(r) for r in conn.execute(query.order_by(comments.c.id))]


def set_comment_held(conn: Connection, comment_id: int, held: bool) -> None:
    """Hold a comment for review, or release it to every reader."""
    conn.execute(update(comments).where(comments.c.id == comment_id).values(held=held))
    bump_revision(conn)


def user_comments(
    conn: Connection, user_id: int, limit: int = 50, moderator: bool = False
) -> list[Comment]:
    """A user's newest visible comments (for a `moderator`, those a suspension took off the
    site too, to review them)."""
    shown = comments.c.hidden.is_(False) if moderator else shown_comment()
    query = (
        _comment_query()
        .where(comments.c.user_id == user_id, shown, comments.c.deleted.is_(False))
        .order_by(comments.c.id.desc())
        .limit(limit)
    )
    return [_comment(r) for r in conn.execute(query)]


def comment_counts(conn: Connection, paper_ids: Sequence[str]) -> dict[str, int]:
    """Visible, undeleted comments per paper."""
    if not paper_ids:
        return {}
    query = (
        select(comments.c.paper_id, func.count())
        .where(
            comments.c.paper_id.in_(list(paper_ids)),
            shown_comment(),
            comments.c.deleted.is_(False),
        )
        .group_by(comments.c.paper_id)
    )
    return {pid: int(n) for pid, n in conn.execute(query)}


def add_comment(
    conn: Connection,
    paper_id: str,
    user_id: int,
    body: str,
    parent_id: int | None,
    named: Sequence[str] = (),
    held: bool = False,
) -> int:
    """Store a comment (a reply attaches to a top-level comment); returns its id. `named`: the
    accounts its "@name"s name; `held`: waiting for a moderator's review."""
    answered: int | None = None  # a reply to a reply: that reply
    if parent_id is not None:
        parent = get_comment(conn, parent_id)
        unseen = parent is not None and parent.held and parent.user_id != user_id
        if parent is None or parent.paper_id != paper_id or parent.hidden or unseen:
            raise CommentError(f"there is no comment {parent_id} on this paper to reply to")
        if parent.deleted:
            raise CommentError("that comment was deleted; it takes no new replies")
        answered = parent.id if parent.parent_id else None
        parent_id = parent.parent_id or parent.id  # one level of replies
    values = {
        "paper_id": paper_id,
        "user_id": user_id,
        "parent_id": parent_id,
        "body": body,
        "created_at": utcnow(),
        "deleted": False,
        "hidden": False,
        "held": held,
        "mentions": " ".join(named),
        "answered_id": answered,
    }
    new_id = conn.execute(comments.insert().values(**values)).inserted_primary_key[0]  # type: ignore[index]
    bump_revision(conn)
    return int(new_id)


def resent_comment(
    conn: Connection, paper_id: str, user_id: int, body: str, parent_id: int | None, since: datetime
) -> int | None:
    """The same comment (text, paper, place) this user posted since `since`, not deleted: a
    resend of a post whose answer a slow or dropped connection lost; None when there is none.
    Takes the community write lock first, so that two sends at once are checked in turn."""
    # SQLite's write lock, PostgreSQL's row lock, held until commit; a resend changes nothing
    # (bumping the revision here let a resend loop, not rate limited, empty every page cache)
    lock_revision(conn)
    top, answered = parent_id, None
    if parent_id is not None:  # where add_comment puts a reply (one level of replies)
        parent = get_comment(conn, parent_id)
        if parent is None:
            return None
        top, answered = parent.parent_id or parent.id, parent.id if parent.parent_id else None
    c = comments.c
    query = select(c.id).where(
        c.paper_id == paper_id,
        c.user_id == user_id,
        c.body == body,
        c.deleted.is_(False),
        c.created_at >= since,
        c.parent_id.is_not_distinct_from(top),
        c.answered_id.is_not_distinct_from(answered),
    )
    found = conn.execute(query.order_by(c.id.desc()).limit(1)).scalar()
    return None if found is None else int(found)


def edit_comment(
    conn: Connection, comment_id: int, body: str, named: Sequence[str] = (), held: bool = False
) -> None:
    """Replace a comment's text (and the accounts it names) and mark it edited; `held`: it
    waits for a moderator's review (again)."""
    query = update(comments).where(comments.c.id == comment_id, comments.c.deleted.is_(False))
    now = utcnow()
    conn.execute(query.values(body=body, edited_at=now, mentions=" ".join(named), held=held))
    bump_revision(conn)


def is_reported(conn: Connection, comment_id: int) -> bool:
    """Whether reports on a comment wait for a moderator."""
    waiting = select(comment_reports.c.id).where(
        comment_reports.c.comment_id == comment_id, comment_reports.c.resolved.is_(False)
    )
    return conn.execute(waiting.limit(1)).first() is not None


def delete_comment(conn: Connection, comment_id: int) -> None:
    """Blank a comment (its reactions go); its replies stay readable under a "deleted"
    placeholder. While reports on it wait for a moderator, its text is kept for them (shown
    nowhere else)."""
    reported = is_reported(conn, comment_id)
    query = update(comments).where(comments.c.id == comment_id)
    conn.execute(query.values(deleted=True) if reported else query.values(deleted=True, body=""))
    drop_reactions(conn, comment_id)
    drop_comment_notices(conn, comment_id, "the comment was deleted")
    bump_revision(conn)


def set_comment_hidden(conn: Connection, comment_id: int, hidden: bool) -> None:
    """Hide (or restore) a comment everywhere; resolves its reports."""
    conn.execute(update(comments).where(comments.c.id == comment_id).values(hidden=hidden))
    reports = update(comment_reports).where(comment_reports.c.comment_id == comment_id)
    conn.execute(reports.values(resolved=True))
    _forget_deleted_text(conn, comment_id)
    if hidden:
        drop_comment_notices(conn, comment_id, "the comment was hidden")
    bump_revision(conn)


def set_comment_vote(conn: Connection, user_id: int, comment_id: int, up: bool) -> int:
    """Set or clear a user's upvote on a comment (idempotent); returns the comment's votes."""
    key = and_(comment_votes.c.user_id == user_id, comment_votes.c.comment_id == comment_id)
    if up:
        exists = conn.execute(select(comment_votes.c.user_id).where(key)).first()
        if exists is None:
            try:
                with conn.begin_nested():
                    conn.execute(
                        comment_votes.insert().values(
                            user_id=user_id, comment_id=comment_id, created_at=utcnow()
                        )
                    )
            except IntegrityError:
                pass  # a parallel identical vote won
    else:
        conn.execute(delete(comment_votes).where(key))
    bump_revision(conn)
    query = select(func.count()).where(comment_votes.c.comment_id == comment_id)
    return int(conn.execute(query).scalar_one())


def voted_comments(conn: Connection, user_id: int, ids: Sequence[int]) -> set[int]:
    """Which of the comments the user upvoted."""
    if not ids:
        return set()
    # One array parameter: a thread of 1,500 comments as 1,500 bound values took PostgreSQL
    # 10-25 ms to parse and plan on every view.
    listed = in_list(comment_votes.c.comment_id, conn.dialect.name, values=list(ids))
    query = select(comment_votes.c.comment_id).where(comment_votes.c.user_id == user_id, listed)
    return set(conn.scalars(query))


def report_comment(conn: Connection, comment_id: int, user_id: int, reason: str) -> None:
    """Record a report (one per user and comment)."""
    try:
        with conn.begin_nested():
            conn.execute(
                comment_reports.insert().values(
                    comment_id=comment_id,
                    user_id=user_id,
                    reason=reason,
                    created_at=utcnow(),
                    resolved=False,
                )
            )
    except IntegrityError:
        pass  # reported already


@dataclass(frozen=True)
class OpenReport:
    """A reported comment awaiting a moderator, with who reported it and why, oldest first."""

    comment: Comment
    reports: list[tuple[str, str]]  # (reporter, reason)


def _waiting_reports() -> Select[Any]:
    """Reported comments awaiting a moderator (by their first report), leaving out those of
    suspended accounts: off the site already, they come back with their reports if it is
    lifted. Reports by suspended accounts count neither (a suspended spammer's reports no
    longer fill the queue) and come back the same way."""
    return (
        select(comment_reports.c.comment_id, func.min(comment_reports.c.id).label("first"))
        .join(comments, comments.c.id == comment_reports.c.comment_id)
        .where(comment_reports.c.resolved.is_(False), comments.c.user_id.in_(_ACTIVE_IDS))
        .where(comment_reports.c.user_id.in_(_ACTIVE_IDS))
        .group_by(comment_reports.c.comment_id)
    )


def count_open_reports(conn: Connection) -> int:
    """How many comments `open_reports` pages through."""
    waiting = _waiting_reports().subquery()
    return int(conn.execute(select(func.count()).select_from(waiting)).scalar_one())


def open_reports(conn: Connection, limit: int = 50, offset: int = 0) -> list[OpenReport]:
    """Reported comments awaiting a moderator, the longest waiting first (a page of them)."""
    waiting = _waiting_reports().order_by("first").limit(limit).offset(offset)
    ids = [int(cid) for cid, _ in conn.execute(waiting)]
    if not ids:
        return []
    query = (
        select(comment_reports.c.comment_id, users.c.username, comment_reports.c.reason)
        .join(users, users.c.id == comment_reports.c.user_id)
        .where(comment_reports.c.resolved.is_(False), comment_reports.c.comment_id.in_(ids))
        .where(users.c.suspended_at.is_(None))
        .order_by(comment_reports.c.id)
    )
    reports: dict[int, list[tuple[str, str]]] = {}
    for cid, who, reason in conn.execute(query):
        reports.setdefault(int(cid), []).append((str(who), str(reason)))
    if not reports:
        return []
    found = conn.execute(_comment_query().where(comments.c.id.in_(list(reports))))
    by_id = {c.id: c for c in map(_comment, found)}
    return [OpenReport(by_id[cid], said) for cid, said in reports.items() if cid in by_id]


def waiting_among(conn: Connection, ids: Collection[int]) -> list[Comment]:
    """Those of `ids` still in the moderation queue (open reports, an active author), by id."""
    waiting = _waiting_reports().where(comment_reports.c.comment_id.in_(list(ids))).subquery()
    query = _comment_query().where(comments.c.id.in_(select(waiting.c.comment_id)))
    return [_comment(r) for r in conn.execute(query.order_by(comments.c.id))]


def dismiss_reports(conn: Connection, comment_id: int) -> None:
    """Mark a comment's reports handled without hiding it."""
    query = update(comment_reports).where(comment_reports.c.comment_id == comment_id)
    conn.execute(query.values(resolved=True))
    _forget_deleted_text(conn, comment_id)


def _forget_deleted_text(conn: Connection, comment_id: int) -> None:
    """A deleted comment's text, kept while reports on it waited, goes once they are handled."""
    query = update(comments).where(comments.c.id == comment_id, comments.c.deleted.is_(True))
    conn.execute(query.values(body=""))


def comment_times_since(conn: Connection, user_id: int, since: datetime) -> list[datetime]:
    """When a user wrote each comment since a moment, oldest first (for rate limits)."""
    query = (
        select(comments.c.created_at)
        .where(comments.c.user_id == user_id, comments.c.created_at >= since)
        .order_by(comments.c.created_at)
    )
    return list(conn.execute(query).scalars())


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


def _claim(row: object) -> Claim:
    r = row._mapping  # type: ignore[attr-defined]
    return Claim(
        r["id"],
        r["username"],
        r["user_id"],
        r["paper_id"],
        r["author"],
        r["status"],
        r["reason"],
        r["created_at"],
        r["decided_at"],
        r["position"],
        "" if r["suspended_at"] else str(r["display_name"] or ""),
    )


_CLAIMS = (
    select(author_claims, users.c.username, users.c.suspended_at, profiles.c.display_name)
    .join(users, users.c.id == author_claims.c.user_id)
    .outerjoin(profiles, profiles.c.user_id == author_claims.c.user_id)
)
# The claims that stand: a suspended account's claims leave the site and the queue with it,
# and return if the suspension is lifted.
_STANDING = users.c.suspended_at.is_(None)


def claims_for_papers(conn: Connection, paper_ids: Sequence[str]) -> list[Claim]:
    """Every claim on the given papers."""
    if not paper_ids:
        return []
    query = _CLAIMS.where(author_claims.c.paper_id.in_(list(paper_ids)), _STANDING)
    return [_claim(r) for r in conn.execute(query.order_by(author_claims.c.id))]


def claims_by_user(conn: Connection, user_id: int) -> list[Claim]:
    """A user's claims, newest first."""
    query = _CLAIMS.where(author_claims.c.user_id == user_id).order_by(author_claims.c.id.desc())
    return [_claim(r) for r in conn.execute(query)]


def get_claim(conn: Connection, claim_id: int) -> Claim | None:
    """One claim by id."""
    row = conn.execute(_CLAIMS.where(author_claims.c.id == claim_id)).first()
    return _claim(row) if row else None


def pending_claims(conn: Connection) -> list[Claim]:
    """Claims awaiting an admin."""
    query = _CLAIMS.where(author_claims.c.status == "pending", _STANDING)
    query = query.order_by(author_claims.c.id)
    return [_claim(r) for r in conn.execute(query)]


def claim_queue(conn: Connection) -> list[ClaimGroup]:
    """The claims awaiting an admin, grouped by paper and author name (rival accounts' claims
    together, with the approved one of the name when there is one), the longest waiting
    first."""
    waiting = pending_claims(conn)
    keys = list(dict.fromkeys((c.paper_id, c.author, c.position) for c in waiting))
    if not keys:
        return []
    query = _CLAIMS.where(
        author_claims.c.paper_id.in_(sorted({key[0] for key in keys})),
        author_claims.c.status.in_(LIVE_CLAIMS),
        _STANDING,
    )
    found: dict[tuple[str, str, int], list[Claim]] = {key: [] for key in keys}
    for claim in map(_claim, conn.execute(query.order_by(author_claims.c.id))):
        found.get((claim.paper_id, claim.author, claim.position), []).append(claim)
    return [ClaimGroup(k[0], k[1], tuple(found[k]), k[2]) for k in keys]


def approved_claims(conn: Connection, limit: int = 200) -> list[Claim]:
    """Approved claims, the most recently approved first (for admins to review or revoke)."""
    query = _CLAIMS.where(author_claims.c.status == "approved")
    order = (author_claims.c.decided_at.desc(), author_claims.c.id.desc())
    return [_claim(r) for r in conn.execute(query.order_by(*order).limit(limit))]


def claims_as_author(conn: Connection, key: str) -> dict[str, list[str]]:
    """Approved claims of the author whose name key (`author_key`) is `key` in the paper's
    newest version: user name -> the papers each claimed as that author (an author page lists
    several namesakes' papers; each claim is of its own paper; a version that spells the name
    otherwise takes the claim to that name's page)."""
    listed = select(paper_authors.c.paper_id).where(paper_authors.c.name_key == key)
    query = _CLAIMS.where(
        author_claims.c.status == "approved", _STANDING, author_claims.c.paper_id.in_(listed)
    )
    claims = [_claim(r) for r in conn.execute(query.order_by(author_claims.c.id))]
    names = author_lists(conn, {c.paper_id for c in claims})
    found: dict[str, list[str]] = {}
    for claim in claims:
        at = claimed_place(names.get(claim.paper_id, ()), claim.author, claim.position)
        if at is not None and author_key(names[claim.paper_id][at]) == key:
            found.setdefault(claim.username, []).append(claim.paper_id)
    return found


def author_lists(conn: Connection, paper_ids: Collection[str]) -> dict[str, list[str]]:
    """The papers' author names in their newest versions, in order."""
    query = select(paper_authors.c.paper_id, paper_authors.c.name).where(
        paper_authors.c.paper_id.in_(sorted(paper_ids))
    )
    found: dict[str, list[str]] = {}
    for pid, name in conn.execute(query.order_by(paper_authors.c.position)):
        found.setdefault(str(pid), []).append(str(name))
    return found


def claimed_place(authors: Sequence[str], author: str, position: int) -> int | None:
    """Where a claim of `author` at `position` stands in the paper's (newest) author list: that
    place while it holds the name, else the name's place (a version reordered the authors), else
    the same name spelled otherwise (Jose Garcia, J. García for José García) at that place or
    alone in the list; None when this version lists no such name."""
    if position < len(authors) and authors[position] == author:
        return position
    if author in authors:
        return authors.index(author)
    for alike in (_same_key, _variant):
        places = [at for at, name in enumerate(authors) if alike(author, name)]
        if position in places:
            return position
        if len(places) == 1 or (places and alike is _same_key):
            return places[0]
    return None


def _same_key(one: str, other: str) -> bool:
    return author_key(one) == author_key(other)


def _variant(one: str, other: str) -> bool:
    """Two spellings of one name: the same family name and given names that agree as far as
    the shorter goes, initials included (J. García, José García; not Ana García)."""
    *given, family = author_key(one).split() or [""]
    *given_other, family_other = author_key(other).split() or [""]
    if not (family and family == family_other and given and given_other):
        return False
    return all(a.startswith(b) or b.startswith(a) for a, b in zip(given, given_other, strict=False))


def add_claim(
    conn: Connection, user_id: int, paper_id: str, author: str, position: int | None = None
) -> int:
    """Ask to be recognised as an author of a paper (the one at `position` in its list; by
    default the first of that name); refuses duplicates and others' authors."""
    if position is None:
        position = _first_position(conn, paper_id, author)
    same_author = _same_author(conn, paper_id, author, position)
    for claim in claims_for_papers(conn, [paper_id]):
        if not same_author(claim):
            continue  # another author of the paper, a namesake included
        if claim.status not in LIVE_CLAIMS:
            continue  # rejected, withdrawn or revoked: over
        if claim.user_id != user_id:
            if claim.status == "approved":
                raise CommentError(f"{author} on this paper is claimed by {claim.username}")
            continue  # another account's claim waits too: the moderators choose between them
        raise ClaimedAlready(f"you already claimed {author} on this paper ({claim.status})")
    values = {
        "user_id": user_id,
        "paper_id": paper_id,
        "author": author,
        "position": position,
        "status": "pending",
        "reason": "",
        "created_at": utcnow(),
    }
    new_id = conn.execute(author_claims.insert().values(**values)).inserted_primary_key[0]  # type: ignore[index]
    bump_revision(conn)
    return int(new_id)


def _first_position(conn: Connection, paper_id: str, author: str) -> int:
    """Where the paper lists `author` first (0 when it does not)."""
    query = select(func.min(paper_authors.c.position)).where(
        paper_authors.c.paper_id == paper_id, paper_authors.c.name == author
    )
    return int(conn.execute(query).scalar() or 0)


def decide_claim(
    conn: Connection, claim_id: int, approve: bool, reason: str, notify: bool = True
) -> Claim | None:
    """Approve or reject a claim and tell its user (a notification, unless `notify` is off: a
    batch tells once); returns the claim as decided, or None when there is no such claim."""
    row = conn.execute(_CLAIMS.where(author_claims.c.id == claim_id)).first()
    if row is None:
        return None
    status = "approved" if approve else "rejected"
    if row.status not in (*LIVE_CLAIMS, "rejected"):
        raise CommentError(f"{row.username}'s claim as {row.author} was {row.status}")
    if approve and _rival_approved(conn, row):
        raise CommentError(
            f"{row.author} on {row.paper_id} is approved for another account already;"
            " reject that claim first"
        )
    now = utcnow()
    query = update(author_claims).where(author_claims.c.id == claim_id)
    conn.execute(query.values(status=status, reason=reason, decided_at=now))
    claim = replace(_claim(row), status=status, reason=reason, decided_at=now)
    if notify and _claim(row).status != status:  # deciding the same way again tells nobody twice
        new = {"user_id": claim.user_id, "claim_id": claim_id, "created_at": now, "seen": False}
        conn.execute(notifications.insert().values(kind=f"claim_{status}", **new))
    bump_revision(conn)
    return claim


def withdraw_claim(conn: Connection, claim_id: int, user_id: int) -> Claim:
    """The claimant takes back a pending or approved claim (the paper leaves their profile);
    they may claim again later. Refuses another's claim and one already over."""
    claim = get_claim(conn, claim_id)
    if claim is None or claim.user_id != user_id:
        raise CommentError(f"you have no claim {claim_id}")
    return _end_claim(conn, claim, "withdrawn", "", LIVE_CLAIMS)


def revoke_claim(conn: Connection, claim_id: int, reason: str) -> Claim | None:
    """An admin undoes an approved claim, saying why, and its user is told (a notification);
    returns the claim as revoked, or None when there is no such claim."""
    claim = get_claim(conn, claim_id)
    if claim is None:
        return None
    revoked = _end_claim(conn, claim, "revoked", reason, ("approved",))
    new = {"user_id": claim.user_id, "claim_id": claim_id, "created_at": revoked.decided_at}
    conn.execute(notifications.insert().values(kind="claim_revoked", seen=False, **new))
    return revoked


def _end_claim(
    conn: Connection, claim: Claim, status: str, reason: str, allowed: Sequence[str]
) -> Claim:
    """Move a claim from one of the `allowed` states to `status` (in one guarded update, so a
    second click or a parallel request finds it moved already)."""
    now = utcnow()
    query = update(author_claims).where(
        author_claims.c.id == claim.id, author_claims.c.status.in_(list(allowed))
    )
    if conn.execute(query.values(status=status, reason=reason, decided_at=now)).rowcount == 0:
        now_is = get_claim(conn, claim.id)
        state = now_is.status if now_is else "gone"
        raise CommentError(f"the claim as {claim.author} on {claim.paper_id} is {state} already")
    bump_revision(conn)
    return replace(claim, status=status, reason=reason, decided_at=now)


def _rival_approved(conn: Connection, row: Row[Any]) -> bool:
    """True when another account's claim on the same author of the same paper is approved."""
    same_author = _same_author(conn, row.paper_id, row.author, row.position)
    query = _CLAIMS.where(
        author_claims.c.paper_id == row.paper_id,
        author_claims.c.status == "approved",
        author_claims.c.user_id != row.user_id,
    )
    return any(same_author(_claim(r)) for r in conn.execute(query))


def _same_author(
    conn: Connection, paper_id: str, author: str, position: int
) -> Callable[[Claim], bool]:
    """Whether a claim on the paper is of this author: the same name and place, or, in the
    paper's newest version, the same place (a version that respelled or moved the name)."""
    names = author_lists(conn, [paper_id]).get(paper_id, [])
    place = claimed_place(names, author, position)

    def same(claim: Claim) -> bool:
        if (claim.author, claim.position) == (author, position):
            return True
        return place is not None and claimed_place(names, claim.author, claim.position) == place

    return same


def is_claimed_author(conn: Connection, user_id: int, paper_id: str) -> bool:
    """True when the user is an approved author of the paper."""
    query = select(author_claims.c.id).where(
        author_claims.c.user_id == user_id,
        author_claims.c.paper_id == paper_id,
        author_claims.c.status == "approved",
    )
    return conn.execute(query).first() is not None


def notify(conn: Connection, user_ids: Sequence[int], comment_id: int, kind: str) -> None:
    """Add an in-site notification for each user (a deleted account is told nothing)."""
    now = utcnow()
    live = select(users.c.id).where(users.c.id.in_(set(user_ids)), users.c.deleted_at.is_(None))
    for uid in sorted(conn.scalars(live)):
        conn.execute(
            notifications.insert().values(
                user_id=uid, comment_id=comment_id, kind=kind, created_at=now, seen=False
            )
        )


def notified(conn: Connection, comment_id: int, kind: str) -> set[int]:
    """The users already told of this comment, as `kind` (a mention is told once per comment,
    however often edits take the name out and put it back)."""
    query = select(notifications.c.user_id).where(
        notifications.c.comment_id == comment_id, notifications.c.kind == kind
    )
    return set(conn.scalars(query))


def email_recipients(conn: Connection, user_ids: Sequence[int]) -> dict[int, dict[str, object]]:
    """Of the given users, those who take notices by email (notify_email on, not suspended),
    each with their newest confirmed linked subscription."""
    if not user_ids:
        return {}
    wanting = or_(profiles.c.user_id.is_(None), profiles.c.notify_email.is_(True))
    query = (
        select(subscribers)
        .join(users, users.c.id == subscribers.c.user_id)
        .outerjoin(profiles, profiles.c.user_id == users.c.id)
        .where(users.c.id.in_(sorted(set(user_ids))), users.c.suspended_at.is_(None))
        .where(subscribers.c.status == "confirmed", wanting)
        .order_by(subscribers.c.id)
    )
    return {int(r.user_id): dict(r._mapping) for r in conn.execute(query)}  # newest wins


def set_notify_email(conn: Connection, user_id: int, on: bool) -> None:
    """Turn a user's notices by email on or off."""
    save_profile(conn, user_id, notify_email=on)


@dataclass(frozen=True)
class ListNotice:
    """What happened to a team reading list: who did it, to the list named `name` then."""

    collection_id: int
    name: str
    who: str
    who_display: str
    papers: int  # how many they put in it (list_added)
    at: datetime
    who_deleted: bool = False  # their account deleted since: `who` is DELETED_NAME, no profile


@dataclass(frozen=True)
class Notification:
    """What a user is told: a comment (a reply, one on their paper), a decided claim or what
    happened to a team reading list."""

    kind: str
    seen: bool
    comment: Comment | None
    claim: Claim | None
    team: ListNotice | None = None
    papers: int = 0  # a claim decided with others in one batch: how many (the claim the first)


def user_notifications(conn: Connection, user_id: int, limit: int = 50) -> list[Notification]:
    """A user's newest notifications (those about hidden or deleted comments left out)."""
    query = (
        select(
            notifications.c.kind,
            notifications.c.seen,
            notifications.c.comment_id,
            notifications.c.claim_id,
            notifications.c.collection_id,
            notifications.c.subject,
            notifications.c.papers,
            notifications.c.created_at,
            users.c.username,
            users.c.deleted_at,
            profiles.c.display_name,
        )
        .outerjoin(users, users.c.id == notifications.c.actor_id)
        .outerjoin(profiles, profiles.c.user_id == notifications.c.actor_id)
        .where(notifications.c.user_id == user_id)
        .order_by(notifications.c.created_at.desc(), notifications.c.id.desc())
        .limit(limit)
    )
    rows = conn.execute(query).all()
    teams = {i: _list_notice(r) for i, r in enumerate(rows) if r.collection_id is not None}
    claim_ids = sorted({int(r.claim_id) for r in rows if r.claim_id is not None})
    claims = {}
    if claim_ids:
        found_claims = conn.execute(_CLAIMS.where(author_claims.c.id.in_(claim_ids)))
        claims = {c.id: c for c in map(_claim, found_claims)}
    comment_ids = sorted({int(r.comment_id) for r in rows if r.comment_id is not None})
    by_id = {}
    if comment_ids:
        found_comments = conn.execute(_comment_query().where(comments.c.id.in_(comment_ids)))
        by_id = {c.id: c for c in map(_comment, found_comments)}
    found = []
    for i, (kind, seen, cid, claim_id, *_) in enumerate(rows):
        if i in teams:
            found.append(Notification(str(kind), bool(seen), None, None, teams[i]))
            continue
        if claim_id is not None:
            if claim_id in claims:
                claim, batch = claims[claim_id], int(rows[i].papers)  # 0 but for a batch
                found.append(Notification(str(kind), bool(seen), None, claim, None, batch))
            continue
        comment = by_id.get(cid)
        if comment is not None and not (comment.hidden or comment.held or comment.deleted):
            found.append(Notification(str(kind), bool(seen), comment, None))
    return found


def _list_notice(row: Any) -> ListNotice:
    who, display, gone = row.username or "", row.display_name or "", row.deleted_at is not None
    return ListNotice(
        row.collection_id, row.subject, who, display, row.papers, row.created_at, gone
    )


def unseen_count(conn: Connection, user_id: int) -> int:
    """Notifications the user has not opened yet (as `user_notifications` shows them: those
    about a hidden, held or deleted comment left out)."""
    query = (
        select(func.count())
        .select_from(notifications)
        .outerjoin(comments, comments.c.id == notifications.c.comment_id)
        .where(notifications.c.user_id == user_id, notifications.c.seen.is_(False))
        .where(
            or_(
                notifications.c.comment_id.is_(None),
                and_(
                    comments.c.hidden.is_(False),
                    comments.c.held.is_(False),
                    comments.c.deleted.is_(False),
                ),
            )
        )
    )
    return int(conn.execute(query).scalar_one())


def mark_seen(conn: Connection, user_id: int) -> None:
    """Mark every notification of the user seen."""
    conn.execute(update(notifications).where(notifications.c.user_id == user_id).values(seen=True))


@dataclass(frozen=True)
class PaperLink:
    """A link an author or admin added to a paper."""

    id: int
    kind: str
    url: str


def paper_link_list(conn: Connection, paper_id: str) -> list[PaperLink]:
    """The links added to a paper, by kind then age."""
    query = select(paper_links.c.id, paper_links.c.kind, paper_links.c.url).where(
        paper_links.c.paper_id == paper_id
    )
    rows = conn.execute(query.order_by(paper_links.c.kind, paper_links.c.id))
    return [PaperLink(int(i), str(k), str(u)) for i, k, u in rows]


def add_paper_link(conn: Connection, paper_id: str, kind: str, url: str, user_id: int) -> bool:
    """Add a link of a known kind to a paper; False when the paper has that link already."""
    there = select(paper_links.c.id).where(
        paper_links.c.paper_id == paper_id, paper_links.c.kind == kind, paper_links.c.url == url
    )
    if conn.execute(there).first() is not None:
        return False
    values = {"paper_id": paper_id, "kind": kind, "url": url, "user_id": user_id}
    conn.execute(paper_links.insert().values(**values, created_at=utcnow()))
    bump_revision(conn)
    return True


def remove_paper_link(conn: Connection, paper_id: str, link_id: int) -> bool:
    """Remove a paper's link; False when there was none."""
    query = delete(paper_links).where(
        paper_links.c.id == link_id, paper_links.c.paper_id == paper_id
    )
    gone = conn.execute(query).rowcount > 0
    bump_revision(conn)
    return gone


def unhidden_paper(paper_id: ColumnElement[str]) -> ColumnElement[bool]:
    """A paper id readers may be shown: no moderator hid the paper."""
    return ~exists().where(papers.c.id == paper_id, papers.c.hidden.is_(True))


def submitted_by(
    conn: Connection, user_id: int, limit: int = 50, include_hidden: bool = False
) -> list[str]:
    """Ids of the papers a user submitted, newest first (those a moderator hid only with
    `include_hidden`)."""
    query = select(submissions.c.paper_id).where(submissions.c.user_id == user_id)
    if not include_hidden:
        query = query.where(unhidden_paper(submissions.c.paper_id))
    return list(conn.scalars(query.order_by(submissions.c.created_at.desc()).limit(limit)))
