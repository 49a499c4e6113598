"""The personal JSON API under /api/me: ratings, library, import, follows, mutes, the feed."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection

from paperfeed import categories
from paperfeed.recommend.service import Recommender
from paperfeed.store import collection_editors as editors
from paperfeed.store import collection_sections, get_papers
from paperfeed.store import library as lib
from paperfeed.store.accounts import User
from paperfeed.store.listings import latest_day
from paperfeed.store.shared_lists import ItemNote, item_note_details
from paperfeed.text import xml_safe
from paperfeed.web import api_links, library_import, paging, views
from paperfeed.web.api import ItemOut, PageIndex, PaperOut, item_json, paper_json, stamp
from paperfeed.web.deps import ROW_ID_MOST, ApiCsrf, SignedInDep, Site, SiteDep
from paperfeed.web.feeds import resolve_id
from paperfeed.web.periods import BLANK_IS_NONE, FIRST_DAY, LAST_DAY, OptionalDay, blank_or
from paperfeed.web.shared_lists import CollectionNoteOut, note_json

router = APIRouter(prefix="/api/me", tags=["me"])
JSON = "application/json"
MAX_WINDOW_DAYS = 366
# For you's windows, named as on the page and the private feed: days ending on the newest
# listing day ("all": the whole store).
WINDOWS = {"today": 1, "week": 7, "month": 30, "all": 0}
INTEREST_KINDS = {"follow": lib.FOLLOW_KINDS, "mute": lib.MUTE_KINDS}
Window = Literal["today", "week", "month", "all"]
# A window as a query parameter; given empty (`window=`), left out as other filters are.
OptionalWindow = Annotated[
    Window | None, BLANK_IS_NONE, blank_or({"type": "string", "enum": list(WINDOWS)})
]
# A collection's id as a query parameter; given empty, left out.
OptionalId = Annotated[
    Annotated[int, Field(ge=1, le=ROW_ID_MOST)] | None,
    BLANK_IS_NONE,
    blank_or({"type": "integer", "minimum": 1, "maximum": ROW_ID_MOST}),
]
ALL_TIME_UNAVAILABLE = (
    "the all-time feed ranks papers near the ones you saved or rated 👍, found by the search's "
    "vector index: it needs both (the index is built by `paperfeed embed`); use since/until"
)


def get_recommender(request: Request) -> Recommender:
    """The process's recommender (created with the app)."""
    found: Recommender = request.app.state.recommender
    return found


RecommenderDep = Annotated[Recommender, Depends(get_recommender)]


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data), status, media_type=JSON)


def own_collection(conn: Connection, user_id: int, collection_id: int) -> lib.Collection:
    """One of the user's collections; 404 when there is none of this id, or it is another's."""
    found = lib.get_collection(conn, collection_id)
    if found is None or found.user_id != user_id:
        raise HTTPException(404, "no such collection of yours")
    return found


def editable_collection(conn: Connection, user_id: int, collection_id: int) -> lib.Collection:
    """A collection the user may put papers in and take out of (theirs, or one they are an
    editor of); 404 otherwise."""
    found = editors.editable_collection(conn, user_id, collection_id)
    if found is None:
        raise HTTPException(404, "no such collection of yours")
    return found


def known_paper(conn: Connection, paper_id: str) -> str:
    """The stored paper's canonical id; 404 when there is no such paper."""
    pid = resolve_id(paper_id)
    if pid not in get_papers(conn, [pid]):
        raise HTTPException(404, f"no paper {pid} here")
    return pid


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


class CollectionOut(BaseModel):
    id: int
    name: str
    description: str
    visibility: Literal["private", "unlisted", "public"]
    url: str | None
    papers: int


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


_RATINGS = "/api/me/ratings/{paper_id}"
_LIBRARY = "/api/me/library"


@router.get(
    "/ratings",
    response_model=list[RatingOut],
    summary="List your ratings",
    openapi_extra=paging.documented(
        api_links.links(
            200,
            {
                "Unrate": api_links.link(
                    "DELETE",
                    _RATINGS,
                    "Take the first back",
                    {"paper_id": "$response.body#/0/paper/id"},
                )
            },
        )
    ),
)
def ratings(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    p: PageIndex = 0,
    limit: paging.Limit = paging.DEFAULT_LIMIT,
) -> Response:
    """Your ratings, newest first: each paper with 1 (more like this) or -1 (less like this);
    a page of `limit` at a time (50 unless asked; the Link header's rel="next" is the next
    page, X-Total-Count how many there are in all)."""
    with site.engine.connect() as conn:
        rated, headers = paging.in_pages(
            request, site.settings.public_url, lib.list_ratings(conn, user.id), p, limit
        )
        cards = {c.paper.id: c for c in views.cards(conn, [r.paper_id for r in rated], user)}
    answer = _json(
        [
            {
                "paper": paper_json(cards[r.paper_id]),
                "rating": r.rating,
                "ratedAt": stamp(r.rated_at),
            }
            for r in rated
            if r.paper_id in cards
        ]
    )
    answer.headers.update(headers)
    return answer


@router.put(
    "/ratings/{paper_id:path}",
    dependencies=[ApiCsrf],
    response_model=RatedOut,
    openapi_extra=api_links.links(
        200,
        {
            "Unrate": api_links.link(
                "DELETE", _RATINGS, "Take the rating back", {"paper_id": "$response.body#/id"}
            ),
            "Feed": api_links.link("GET", "/api/me/feed", "The feed it tunes"),
        },
    ),
)
def rate(site: SiteDep, user: SignedInDep, paper_id: str, body: RatingIn) -> Response:
    """Rate a paper: 1 (more like this) or -1 (less like this); private to you."""
    with site.engine.begin() as conn:
        pid = known_paper(conn, paper_id)
        lib.set_rating(conn, user.id, pid, body.rating)
    return _json({"id": pid, "rating": body.rating})


@router.delete(
    "/ratings/{paper_id:path}",
    dependencies=[ApiCsrf],
    response_model=RatingClearedOut,
    description=f"Clear your rating of a paper. {REMOVED}",
)
def unrate(site: SiteDep, user: SignedInDep, paper_id: str) -> Response:
    """Clear your rating of a paper."""
    with site.engine.begin() as conn:
        pid = known_paper(conn, paper_id)
        removed = bool(lib.user_ratings(conn, user.id, [pid]))
        lib.set_rating(conn, user.id, pid, None)
    return _json({"id": pid, "rating": None, "removed": removed})


@router.post(
    "/library",
    status_code=201,
    dependencies=[ApiCsrf],
    response_model=SavedOut,
    responses={
        200: {
            "description": "The paper was in the library already (`new`: false)",
            "model": SavedOut,
        }
    },
    openapi_extra=api_links.links(
        201,
        {
            "Unsave": api_links.link(
                "DELETE",
                _LIBRARY + "/{paper_id}",
                "Remove it again",
                {"paper_id": "$response.body#/paper_id"},
            ),
            "Library": api_links.link("GET", _LIBRARY, "Your library"),
        },
    ),
)
def save(site: SiteDep, user: SignedInDep, body: SaveIn) -> Response:
    """Save a paper to your library (and to a collection, created if new), with a reading
    state and a note if given (as PATCH sets them)."""
    with site.engine.begin() as conn:
        pid = known_paper(conn, body.paper_id)
        try:
            new = lib.save_paper(conn, user.id, pid, body.collection)
            if body.state is not None or body.note is not None:
                lib.update_item(conn, user.id, pid, body.state, body.note)
        except lib.LibraryError as exc:
            raise HTTPException(400, str(exc)) from exc
    return _json({"paper_id": pid, "saved": True, "new": new}, 201 if new else 200)


@router.patch("/library/{paper_id:path}", dependencies=[ApiCsrf], response_model=ItemEditedOut)
def edit_item(site: SiteDep, user: SignedInDep, paper_id: str, body: ItemEditIn) -> Response:
    """Change a saved paper's reading state and/or note."""
    if body.state is None and body.note is None:
        raise HTTPException(400, "give a state (to_read or read), a note, or both")
    pid = resolve_id(paper_id)
    with site.engine.begin() as conn:
        lib.update_item(conn, user.id, pid, body.state, body.note)
        item = lib.library_item(conn, user.id, pid)
    if item is None:
        raise HTTPException(404, f"{pid} is not in your library")
    return _json({"paper_id": pid, "state": item.state, "note": item.note})


@router.post("/library/bulk", dependencies=[ApiCsrf], response_model=BulkOut)
def bulk(site: SiteDep, user: SignedInDep, body: BulkIn) -> Response:
    """Change several saved papers at once (at most 1,000): `changed` says how many changed,
    `not_saved` lists the ids asked for that are not in your library (left alone)."""
    ids = [resolve_id(pid) for pid in body.paper_ids]
    with site.engine.begin() as conn:
        if body.from_collection is not None:
            editable_collection(conn, user.id, body.from_collection)
        try:
            done = lib.bulk_change(
                conn, user.id, ids, body.action, body.collection, body.from_collection
            )
        except lib.LibraryError as exc:
            raise HTTPException(400, str(exc)) from exc
    into = {"id": done.into.id, "name": done.into.name} if done.into else None
    return _json(
        {
            "action": body.action,
            "changed": done.changed,
            "not_saved": list(done.not_saved),
            "collection": into,
        }
    )


@router.get("/collections", response_model=list[CollectionOut], openapi_extra=paging.documented({}))
def my_collections(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    p: PageIndex = 0,
    limit: paging.Limit = paging.DEFAULT_LIMIT,
) -> Response:
    """Your collections by name, with their papers' count and, when shared, their page; a
    page of `limit` at a time (50 unless asked; the Link header's rel="next" is the next page,
    X-Total-Count how many there are in all)."""
    with site.engine.connect() as conn:
        found = lib.user_collections(conn, user.id)
        sizes = lib.collection_sizes(conn, user.id)
    shown, headers = paging.in_pages(request, site.settings.public_url, found, p, limit)
    base = site.settings.public_url.rstrip("/")
    answer = _json(
        [
            {
                "id": c.id,
                "name": c.name,
                "description": c.description,
                "visibility": c.visibility,
                "url": None if c.visibility == "private" else f"{base}/c/{c.share_key}",
                "papers": sizes.get(c.id, 0),
            }
            for c in shown
        ]
    )
    answer.headers.update(headers)
    return answer


@router.delete(
    "/library/{paper_id:path}",
    dependencies=[ApiCsrf],
    response_model=UnsavedOut,
    description=f"Remove a paper from your library (and your collections). {REMOVED}",
)
def unsave(site: SiteDep, user: SignedInDep, paper_id: str) -> Response:
    """Remove a paper from your library."""
    with site.engine.begin() as conn:
        pid = resolve_id(paper_id)
        removed = lib.unsave_paper(conn, user.id, pid)
        if not removed:
            known_paper(conn, pid)
    return _json({"paper_id": pid, "saved": False, "removed": removed})


@router.get(
    "/library",
    response_model=list[LibraryItemOut],
    openapi_extra=paging.documented(
        api_links.links(
            200,
            {
                "Unsave": api_links.link(
                    "DELETE",
                    _LIBRARY + "/{paper_id}",
                    "Remove the first",
                    {"paper_id": "$response.body#/0/paper/id"},
                )
            },
        )
    ),
)
def library(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    collection: Annotated[
        OptionalId,
        Query(description="one of your collections' id, or one you edit; empty: all"),
    ] = None,
    state: Annotated[
        Literal["to_read", "read"] | None,
        BLANK_IS_NONE,
        blank_or({"type": "string", "enum": ["to_read", "read"]}),
        Query(description="empty: either"),
    ] = None,
    q: Annotated[
        str, Query(max_length=200, description="words of the title, an author or your note")
    ] = "",
    p: PageIndex = 0,
    limit: paging.Limit = paging.DEFAULT_LIMIT,
    order: Annotated[
        Literal["added", "published", "title", "list"],
        Query(
            description="newest saved (default), newest published, title A to Z, or (with "
            "`collection`) the collection's own order"
        ),
    ] = "added",
) -> Response:
    """Your saved papers, newest first, with reading state, note and collections; those to
    read or read, or matching `q`, when asked; a page of `limit` at a time (50 unless asked;
    the Link header's rel="next" is the next page, X-Total-Count how many there are in all).
    A collection another reader lets you edit answers all its papers, those you have not saved
    with an empty state and note."""
    if order == "list" and collection is None:
        raise HTTPException(400, "order=list is a collection's own order: give `collection`")
    with site.engine.connect() as conn:
        chosen = None if collection is None else editable_collection(conn, user.id, collection)
        found = lib.library(conn, user.id, collection, q, order)
        if chosen is not None and chosen.user_id != user.id:  # one they edit: all its papers
            found = editors.editor_shelf(conn, user.id, chosen, found, q, order)
        found = [i for i in found if state in (None, i.state)]
        items, headers = paging.in_pages(request, site.settings.public_url, found, p, limit)
        ids = [i.paper_id for i in items]
        cards = {c.paper.id: c for c in views.cards(conn, ids, user)}
        notes = {} if chosen is None else item_note_details(conn, chosen.id, ids, True)
        placed = None if chosen is None else collection_sections.paper_sections(conn, chosen.id)
    answer = _json(
        [_item(i, cards[i.paper_id], notes, placed) for i in items if i.paper_id in cards]
    )
    answer.headers.update(headers)
    return answer


def _item(
    i: lib.LibraryItem,
    card: views.Card,
    notes: dict[str, ItemNote],
    placed: dict[str, collection_sections.Section] | None = None,
) -> dict[str, Any]:
    """A saved paper as the library's list gives it; in a collection (`placed`: its papers'
    sections), with its public note and section."""
    item: dict[str, Any] = {
        "paper": paper_json(card),
        "state": i.state,
        "note": i.note,
        "collections": list(i.collections),
        "addedAt": stamp(i.added_at),
    }
    if i.paper_id in notes:
        item["collectionNote"] = note_json(notes[i.paper_id])
    if placed is not None:
        section = placed.get(i.paper_id)
        item["section"] = section.title if section else None
    return item


_PASTE_BODY = {
    "requestBody": {
        "content": {
            "text/plain": {
                "schema": {"type": "string"},
                "example": "Poster Session A (14:00-15:30)\n1. Simplifying Graph Transformers. "
                "Liheng Ma, Yingxue Zhang\nhttps://arxiv.org/abs/2506.01928\n",
            }
        }
    }
}


@router.post(
    "/library/import",
    dependencies=[ApiCsrf],
    response_model=ImportOut,
    openapi_extra=_PASTE_BODY,
)
async def import_file(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    file: Annotated[
        UploadFile | None,
        File(
            description="BibTeX, RIS, CSL-JSON, a list of arXiv ids, URLs or DOIs, a CSV "
            "table of them with a rating column (1 or -1, up or down, 👍 or 👎, or 1 to 5 stars), "
            "or a page's text listing papers; or leave it out and send `text`"
        ),
    ] = None,
    text: Annotated[
        str,
        Form(
            max_length=library_import.PASTE_MAX,
            description="text pasted from a page listing papers (numbered lines, title and "
            "authors blocks, a Markdown table, titles and links mixed), instead of a file",
        ),
    ] = "",
    collection: Annotated[str | None, Form(max_length=200)] = None,
    tags_as_collections: Annotated[
        bool, Form(description="put each paper into collections named after its tags")
    ] = False,
) -> Response:
    """Import a reference-manager export, or a page's text listing papers (as `text`, or as
    a text/plain body), fetching arXiv papers not here; reports the outcome. Notes in the
    file are added to yours, a "read" tag marks a paper read, and the other tags become
    collections when `tags_as_collections` is true."""
    if (
        file is None
        and not text
        and request.headers.get("content-type", "").startswith("text/plain")
    ):
        text = await library_import.read_plain_body(request)
    data = await library_import.read_upload_or_text(file, text)
    from starlette.concurrency import run_in_threadpool

    report = await run_in_threadpool(
        library_import.import_references, site, user, data, collection or None, tags_as_collections
    )
    return _json(report)


def _links(path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The links of a list of follows or mutes, and of one just added."""
    here = f"/api/me/{path}"
    first = paging.documented(
        api_links.links(200, {"Remove": api_links.remove_interest(here, "/0")})
    )
    added = {
        "Remove": api_links.remove_interest(here, ""),
        "List": api_links.link("GET", here, "All of them"),
    }
    return first, api_links.links(201, added)


_FOLLOWS, _MUTES = _links("follows"), _links("mutes")
_REMOVE_ONE = (
    "Remove one: its kind and value as query parameters, or as the JSON body POST takes (one "
    f"or the other, not both). {REMOVED}"
)


@router.get(
    "/follows",
    name="list_follows",
    response_model=list[InterestOut],
    openapi_extra=_FOLLOWS[0],
)
def list_follows(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    p: PageIndex = 0,
    limit: paging.Limit = paging.DEFAULT_LIMIT,
) -> Response:
    """The authors, categories and searches you follow, oldest first; a page of `limit` at a
    time (50 unless asked; X-Total-Count: how many there are in all)."""
    return _interests(request, site, user, "follow", p, limit)


@router.post(
    "/follows",
    status_code=201,
    dependencies=[ApiCsrf],
    name="add_follows",
    response_model=InterestOut,
    openapi_extra=_FOLLOWS[1],
)
def add_follow(site: SiteDep, user: SignedInDep, body: FollowIn) -> Response:
    """Follow an author, a category or a search."""
    return _add_interest(site, user, "follow", body)


@router.delete(
    "/follows",
    dependencies=[ApiCsrf],
    name="remove_follows",
    response_model=InterestRemovedOut,
    description=_REMOVE_ONE,
)
def remove_follow(
    site: SiteDep,
    user: SignedInDep,
    kind: FollowKind = None,
    value: InterestValue = None,
    body: Annotated[FollowIn | None, Body()] = None,
) -> Response:
    """Unfollow one."""
    return _remove_interest(site, user, "follow", _kind_and_value("follow", kind, value, body))


@router.get("/mutes", name="list_mutes", response_model=list[InterestOut], openapi_extra=_MUTES[0])
def list_mutes(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    p: PageIndex = 0,
    limit: paging.Limit = paging.DEFAULT_LIMIT,
) -> Response:
    """The keywords, authors and categories you mute, oldest first; a page of `limit` at a
    time (50 unless asked; X-Total-Count: how many there are in all)."""
    return _interests(request, site, user, "mute", p, limit)


@router.post(
    "/mutes",
    status_code=201,
    dependencies=[ApiCsrf],
    name="add_mutes",
    response_model=InterestOut,
    openapi_extra=_MUTES[1],
)
def add_mute(site: SiteDep, user: SignedInDep, body: MuteIn) -> Response:
    """Mute a keyword, an author or a category."""
    return _add_interest(site, user, "mute", body)


@router.delete(
    "/mutes",
    dependencies=[ApiCsrf],
    name="remove_mutes",
    response_model=InterestRemovedOut,
    description=_REMOVE_ONE,
)
def remove_mute(
    site: SiteDep,
    user: SignedInDep,
    kind: MuteKind = None,
    value: InterestValue = None,
    body: Annotated[MuteIn | None, Body()] = None,
) -> Response:
    """Unmute one."""
    return _remove_interest(site, user, "mute", _kind_and_value("mute", kind, value, body))


def _interests(request: Request, site: Site, user: User, what: str, p: int, limit: int) -> Response:
    with site.engine.connect() as conn:
        found = lib.interests(conn, user.id, what)
    items, headers = paging.in_pages(request, site.settings.public_url, found, p, limit)
    answer = _json([{"kind": i.kind, "value": i.value, "label": i.label} for i in items])
    answer.headers.update(headers)
    return answer


def _add_interest(site: Site, user: User, what: str, body: InterestIn) -> Response:
    value, label = interest_key(body.kind, body.value)
    check_new_interest(body.kind, label)
    with site.engine.begin() as conn:
        try:
            lib.add_interest(conn, user.id, what, body.kind, value, label)
        except lib.LibraryError as exc:
            raise HTTPException(400, str(exc)) from exc
    return _json({"kind": body.kind, "value": value, "label": label}, 201)


def _remove_interest(site: Site, user: User, what: str, asked: tuple[str, str]) -> Response:
    kind, value = asked
    key, _ = interest_key(kind, value)
    with site.engine.begin() as conn:
        removed = lib.remove_interest(conn, user.id, what, kind, key)
    return _json({"kind": kind, "value": key, "removed": removed})


_ONE_WAY = (
    "give kind and value together, either as query parameters (?kind=author&value=Ada%20"
    'Lovelace) or as a JSON body ({"kind": "author", "value": "Ada Lovelace"})'
)


def _kind_and_value(
    what: str, kind: str | None, value: str | None, body: InterestIn | None
) -> tuple[str, str]:
    """A removal's kind and value, from the query or else the body; 400 saying which to give
    when unusable (both, or half of the query)."""
    asked = [name for name, given in (("kind", kind), ("value", value)) if given is not None]
    if asked and body is not None:
        raise HTTPException(400, f"{_ONE_WAY}, not both")
    if body is not None:
        kind, value = body.kind, body.value
    if kind is None or value is None:
        missing = "value" if kind is not None else "kind"
        raise HTTPException(400, f"{missing} is missing: {_ONE_WAY}" if asked else _ONE_WAY)
    kinds = INTEREST_KINDS[what]
    if kind not in kinds:
        raise HTTPException(400, f"you can {what} only: {', '.join(kinds)}")
    return kind, value


def check_new_interest(kind: str, label: str) -> None:
    """Refuse a keyword or search to follow or mute that has no letter or digit: muting "$"
    would hide every paper with maths. (Removing one is always allowed.)"""
    if kind in ("keyword", "search") and not any(ch.isalnum() for ch in label):
        raise HTTPException(400, f"a {kind} needs a letter or digit, not just {label!r:.40}")


def interest_key(kind: str, value: str) -> tuple[str, str]:
    """The stored key of a follow or mute (author name key, lower-case keyword) and its label."""
    from paperfeed.store.papers import author_key

    label = " ".join(xml_safe(value).split())  # as stored: control characters dropped
    if kind == "author":
        return author_key(label), label
    if kind in ("keyword", "search"):
        return label.lower(), label
    if kind == "category":  # as papers carry it: "cs.cv" would match none of them
        try:
            name = categories.checked(label)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        return name, name
    return label, label


def feed_window(
    conn: Connection, since: date | None, until: date | None, days: int = 7
) -> tuple[date, date]:
    """The window a feed ranks: [since, until], by default the last week of listings."""
    for name, day in (("since", since), ("until", until)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise HTTPException(400, f"{name}: {day} is outside {FIRST_DAY}–{LAST_DAY}")
    end = until or latest_day(conn) or date.today()
    start = since or end - timedelta(days=days - 1)
    if start > end:
        raise HTTPException(400, "since must not be after until")
    if (end - start).days >= MAX_WINDOW_DAYS:
        days = (end - start).days + 1
        raise HTTPException(
            400, f"the window is at most {MAX_WINDOW_DAYS} days (since..until spans {days})"
        )
    return start, end


_SINCE = (
    "first listing day of the window (default: 6 days before until); the window spans "
    f"at most {MAX_WINDOW_DAYS} days, since and until included, from {FIRST_DAY} to {LAST_DAY}"
)
_UNTIL = "last listing day of the window (default: the newest); see since for its limits"


@router.get(
    "/feed",
    response_model=list[FeedItemOut],
    openapi_extra=api_links.listing_links() | {"x-max-window-days": MAX_WINDOW_DAYS},
)
def feed(
    site: SiteDep,
    user: SignedInDep,
    recommender: RecommenderDep,
    since: Annotated[OptionalDay, Query(description=_SINCE)] = None,
    until: Annotated[OptionalDay, Query(description=_UNTIL)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    window: OptionalWindow = None,
    collection: Annotated[
        OptionalId, Query(description="rank by this collection of yours alone")
    ] = None,
) -> Response:
    """Your For you feed: the window's papers ranked by your model, each with why. The window is
    since..until (the last week of listings by default; at most 366 days, from 1991-01-01 to
    2200-12-31: a longer one is a 400), or one the page names instead: `today`,
    `week`, `month` (ending on the newest listing day), `all` (every stored paper). With
    `collection`, ranked by that collection's papers alone (and your 👎 and mutes)."""
    if window and (since or until):
        raise HTTPException(400, f"window={window} names its own days: leave out since and until")
    with site.engine.connect() as conn:
        if collection is not None:
            own_collection(conn, user.id, collection)
        if window == "all":
            found = recommender.feed_all(conn, user.id, limit, collection=collection)
            if found is None:
                raise HTTPException(409, ALL_TIME_UNAVAILABLE)
            recs = found
        else:
            start, end = feed_window(conn, since, until, WINDOWS[window] if window else 7)
            recs = recommender.feed(conn, user.id, start, end, limit, collection=collection)
        cards = {c.paper.id: c for c in views.cards(conn, [r.id for r in recs], user)}
    return _json([item_json(cards[r.id]) | {"why": r.why} for r in recs if r.id in cards])
