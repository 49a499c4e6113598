"""A collection's pending hand-over: its owner offers it to one of its editors, who becomes its
owner only by accepting (naming an editor needs no consent, so taking a collection over must).

One offer per collection. It goes with the editorship it names (the editor removed, the
collection deleted, either account deleted: by cascade) and when either account is suspended.
Accepting it is `collection_editors.accept_offer`; this module sits below the accounts, which
end a suspended account's offers.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Table,
    delete,
)

from paperfeed.store.tables import metadata

collection_offers = Table(
    "collection_offers",
    metadata,
    Column("collection_id", Integer, primary_key=True),  # one pending offer per collection
    Column("user_id", Integer, nullable=False),  # the editor it is offered to
    Column(
        "offered_by", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    ),  # the owner who offered it
    Column("stay", Boolean, nullable=False),  # the owner stays one of its editors
    Column("created_at", DateTime, nullable=False),
    ForeignKeyConstraint(
        ["collection_id", "user_id"],
        ["collection_editors.collection_id", "collection_editors.user_id"],
        ondelete="CASCADE",
    ),
    Index("ix_collection_offers_user", "user_id"),
    Index("ix_collection_offers_offered_by", "offered_by"),
)


def end_offers(conn: Connection, user_id: int) -> int:
    """End every pending hand-over the user made or was made (their account is suspended);
    how many."""
    theirs = (collection_offers.c.user_id == user_id) | (collection_offers.c.offered_by == user_id)
    return int(conn.execute(delete(collection_offers).where(theirs)).rowcount)
