"""The request and response bodies of /api/me."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from paperfeed.store import collection_sections
from paperfeed.store import library as lib
from paperfeed.web.api import ItemOut, PaperOut
from paperfeed.web.collection_sections import TITLE_SENT_MAX
from paperfeed.web.deps import ROW_ID_MOST
from paperfeed.web.shared_lists import CollectionNoteOut


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    rating: Literal[1, -1] = Field(description="1: more like this; -1: less like this")

    @field_validator("rating", mode="before")
    @classmethod
    def _a_whole_number(cls, value: object) -> object:
        if type(value) is not int:  # true, -1.0 and "1" are not ratings
            raise ValueError("a rating is the number 1 or -1")
        return value


class SaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    paper_id: str = Field(max_length=200)
    collection: str | None = Field(None, max_length=200)
    state: Literal["to_read", "read"] | None = Field(None, description="your reading state")
    note: str | None = Field(
        None, max_length=lib.NOTE_MAX, description="your private note (Markdown); replaces it"
    )


class ItemEditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    state: Literal["to_read", "read"] | None = Field(None, description="your reading state")
    note: str | None = Field(
        None, max_length=lib.NOTE_MAX, description="your private note (Markdown); replaces it"
    )


BulkAction = Literal["read", "to_read", "add", "move", "take_out", "remove"]  # lib.BULK_ACTIONS


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    paper_ids: list[Annotated[str, Field(max_length=200)]] = Field(
        min_length=1, max_length=lib.BULK_MAX, description="saved papers to change"
    )
    action: BulkAction = Field(
        description="mark read or to read; add to `collection`; move from `from_collection` "
        "to `collection`; take out of `from_collection`; remove from the library"
    )
    collection: str | None = Field(
        None, max_length=200, description="for add and move: a collection's name (new or yours)"
    )
    from_collection: int | None = Field(
        None,
        ge=1,
        le=ROW_ID_MOST,
        description="for move and take_out: the id of one of your collections",
    )


Visibility = Literal["private", "unlisted", "public"]
_VISIBILITY = "private: yours alone; unlisted: anyone with its link; public: listed on /collections"


class CollectionOut(BaseModel):
    id: int
    name: str
    description: str
    visibility: Visibility
    url: str | None
    papers: int


class CollectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000, description="Markdown, shown on its page")
    visibility: Visibility = Field("private", description=_VISIBILITY)


class CollectionEditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    name: str | None = Field(None, min_length=1, max_length=200, description="a new name")
    description: str | None = Field(None, max_length=5000, description="Markdown; replaces it")
    visibility: Visibility | None = Field(None, description=_VISIBILITY)


class FeedUrlOut(BaseModel):
    url: str | None = Field(
        description="the Atom feed's address (.rss for RSS), shown once: only its fingerprint "
        "is kept; null when none was made here"
    )
    exists: bool = Field(description="whether a private feed URL of yours works now")


def _kind(kinds: tuple[str, ...]) -> Any:
    """A follow's or mute's kind: one of `kinds` (an enum in the schema; others get a 400)."""
    return Field(max_length=16, description=", ".join(kinds), json_schema_extra={"enum": [*kinds]})


class InterestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    kind: str = Field(max_length=16)
    value: str = Field(min_length=1, max_length=500)


class FollowIn(InterestIn):
    kind: str = _kind(lib.FOLLOW_KINDS)


class MuteIn(InterestIn):
    kind: str = _kind(lib.MUTE_KINDS)


def _kind_query(kinds: tuple[str, ...]) -> Any:
    return Query(max_length=16, json_schema_extra={"enum": [*kinds]})


FollowKind = Annotated[str | None, _kind_query(lib.FOLLOW_KINDS)]
MuteKind = Annotated[str | None, _kind_query(lib.MUTE_KINDS)]
InterestValue = Annotated[str | None, Query(max_length=500)]
REMOVED = (
    "Idempotent: removing what is not there answers 200 too, with `removed` false (a 404 only "
    "for a paper id that names no paper here)."
)


class RemovedOut(BaseModel):
    removed: bool = Field(description="false when there was nothing to remove")


class CollectionRemovedOut(RemovedOut):
    id: int


class RatingClearedOut(RemovedOut):
    id: str
    rating: None


class UnsavedOut(RemovedOut):
    paper_id: str
    saved: Literal[False]


class InterestRemovedOut(RemovedOut):
    kind: str
    value: str


class InterestOut(BaseModel):
    """A follow or a mute: `value` is the key it matches by, `label` as it was typed."""

    kind: str
    value: str
    label: str


class LibraryItemOut(BaseModel):
    paper: PaperOut
    state: str
    note: str = Field(description="your private note")
    collections: list[str]
    addedAt: str
    collectionNote: CollectionNoteOut | None = Field(
        None,
        description="only with `collection`: that collection's public note on the paper, with "
        "its version for the note's PUT",
    )
    section: str | None = Field(
        None,
        description="only with `collection`: the section (heading) of that collection the "
        "paper is listed under, null for none",
    )


class RatingOut(BaseModel):
    paper: PaperOut
    rating: Literal[1, -1]
    ratedAt: str


class FeedItemOut(ItemOut):
    why: str


class RatedOut(BaseModel):
    id: str
    rating: Literal[1, -1]


class SavedOut(BaseModel):
    paper_id: str
    saved: Literal[True]
    new: bool = Field(description="false when the paper was in your library already")


class ItemEditedOut(BaseModel):
    paper_id: str
    state: Literal["to_read", "read"]
    note: str


class NamedCollectionOut(BaseModel):
    id: int
    name: str


class BulkOut(BaseModel):
    action: BulkAction
    changed: int = Field(description="how many saved papers changed")
    not_saved: list[str] = Field(description="ids asked for that are not in your library")
    collection: NamedCollectionOut | None = Field(description="the collection added or moved to")


class ImportEntryOut(BaseModel):
    """An entry of the file: where it is (`entry`), and why it was not (all) kept."""

    entry: str
    reason: str
    title: str | None = None


class ByTitleOut(BaseModel):
    entry: str
    id: str
    title: str


class ImportOut(BaseModel):
    format: str = Field(description="the format the file was read as")
    matched: int
    saved: int = Field(description="papers saved to your library (those rated 👎 are not)")
    added: int = Field(description="papers new to your library")
    ids: list[str]
    duplicates: int
    fetched: list[str] = Field(description="papers fetched from arXiv for this import")
    unmatched: list[ImportEntryOut]
    unreadable: int
    notes: int
    read: int
    into: NamedCollectionOut | None
    sections: list[str] = Field(
        [], description="the collection's sections a pasted page's headings filed papers under"
    )
    collections: list[str]
    tags: list[str] = Field(description="tags not made collections")
    problems: list[ImportEntryOut]
    matched_by: dict[str, int] = Field(description="how many matched by arxiv id, doi, title")
    by_title: list[ByTitleOut]
    ratings: dict[str, int] = Field(
        description="ratings the file gave, added as 👍 (up) and 👎 (down), and those of "
        "papers you had rated already, left as they were (kept)"
    )
    ratings_read_as: str = Field(
        "", description="how the file's ratings were read, when they were stars (1 to 5)"
    )
    zotero_items: int | None = Field(
        None, description="the items read from the Zotero library (an import from Zotero only)"
    )
    linked: bool | None = Field(
        None, description="the Zotero library is kept in step from now on (`keep` was asked)"
    )


class ZoteroImportIn(BaseModel):
    """Which Zotero library to import, read through Zotero's Web API; the key is used for
    this import's requests and not kept."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored
    library: Literal["user", "group"] = Field("user", description="a user's library or a group's")
    id: str = Field(
        pattern=r"^[0-9]{1,12}$",
        description="the user ID (zotero.org/settings/keys; not the user name) or the group ID",
    )
    key: str = Field(
        "",
        max_length=64,
        pattern=r"^[A-Za-z0-9]*$",
        description="an API key that may read the library; none for a public library",
    )
    collection_key: str = Field(
        "",
        pattern=r"^([A-Z0-9]{8})?$",
        description="one collection's key (in its zotero.org address) to import it alone",
    )
    collection: str | None = Field(
        None, max_length=200, description="your collection here to put the papers into"
    )
    tags_as_collections: bool = Field(
        False, description="put each paper into collections named after its Zotero tags"
    )
    keep: bool = Field(
        False,
        description="keep the library in step: the daily `zotero` job imports what is new in "
        "it and takes out what left it (the key is kept for this until `DELETE /api/me/zotero`); "
        "replaces a linked one",
    )


class ZoteroLinkOut(BaseModel):
    """The Zotero library kept in step with yours (its key only as its last four characters)."""

    library: str = Field(description="user or group")
    id: str
    collection_key: str = Field(description="empty: the whole library")
    key_hint: str = Field(description="the kept API key's last four characters, if any")
    collection: str | None = Field(description="your collection the papers go into")
    tags_as_collections: bool
    linked_at: str
    synced_at: str | None = Field(description="the last sync, daily or asked for")
    added: int | None = Field(description="papers the last sync added")
    removed: int | None = Field(
        description="papers the last sync took out of your library: their items left Zotero"
    )
    error: str | None = Field(description="why the last sync failed, if it did")


class ZoteroSyncOut(BaseModel):
    """How a sync asked for went."""

    items: int = Field(description="items new or changed in Zotero since the sync before")
    added: int = Field(description="papers added to your library")
    removed: int = Field(
        description="papers taken out of your library: their items left the Zotero library "
        "(deleted, trashed or taken out of the linked collection), and the link had put them in"
    )
    error: str | None = Field(description="why it failed, if it did (nothing was imported)")


_HEADING = (
    "the section's heading (plain text; spaces tidied; at most "
    f"{collection_sections.TITLE_MAX} characters, and not another section's, case aside)"
)


class SectionOut(BaseModel):
    """A section (a heading) of a collection, its place among the collection's (from 1) and
    how many of the collection's papers are listed under it."""

    id: int
    collection_id: int
    title: str
    position: int
    papers: int


class SectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    title: str = Field(max_length=TITLE_SENT_MAX, description=_HEADING)


class SectionEditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    title: str | None = Field(None, max_length=TITLE_SENT_MAX, description=_HEADING)
    position: int | None = Field(
        None,
        ge=1,
        le=collection_sections.SECTIONS_MAX,
        description="its new place among the collection's sections (from 1; past the end: "
        "last); the others after it move down one",
    )


class SectionRemovedOut(RemovedOut):
    id: int
    collection_id: int


class FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    section_id: int | None = Field(
        ge=1,
        le=ROW_ID_MOST,
        description="one of the collection's sections, or null to list the paper under none",
    )


class FiledOut(BaseModel):
    paper_id: str
    collection_id: int
    section: SectionOut | None = Field(description="the section it is listed under; null: none")
