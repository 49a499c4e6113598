"""The community's tables: comments, votes, reports, profiles, claims, notifications, links."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from paperfeed.store.tables import metadata

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
    # or a team reading list (list_offer | offer_accepted | offer_declined | list_added |
    # list_notes): the list, who did it, its name then, and how many papers they added or
    # wrote notes on (that day)
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
