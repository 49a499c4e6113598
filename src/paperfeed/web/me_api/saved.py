"""Your library under /api/me: saving, editing, bulk changes, collections, the list."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from paperfeed.store import collection_editors as editors
from paperfeed.store import collection_sections
from paperfeed.store import library as lib
from paperfeed.store.shared_lists import ItemNote, item_note_details
from paperfeed.web import api_links, paging, views
from paperfeed.web.api import PageIndex, paper_json, stamp
from paperfeed.web.deps import ApiCsrf, SignedInDep, SiteDep
from paperfeed.web.feeds import resolve_id
from paperfeed.web.me_api.collections import collection_json
from paperfeed.web.me_api.common import OptionalId, _json, editable_collection, known_paper
from paperfeed.web.me_api.schemas import (
    REMOVED,
    BulkIn,
    BulkOut,
    CollectionOut,
    ItemEditedOut,
    ItemEditIn,
    LibraryItemOut,
    SavedOut,
    SaveIn,
    UnsavedOut,
)
from paperfeed.web.periods import BLANK_IS_NONE, blank_or
from paperfeed.web.shared_lists import note_json

router = APIRouter()


_LIBRARY = "/api/me/library"


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
    answer = _json([collection_json(c, sizes.get(c.id, 0), base) for c in shown])
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
