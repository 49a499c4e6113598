"""A collection's co-editors, named by its owner on the library page or through the API, and
the notes on its papers written from the library (a private collection has no shared page)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from paperfeed.store import collection_editors as editors
from paperfeed.store import library as lib
from paperfeed.store.shared_lists import NoteChanged
from paperfeed.web import me_api, paging
from paperfeed.web.auth import safe_next
from paperfeed.web.deps import ApiCsrf, FormCsrf, RowId, SignedInDep, Site, SiteDep, say_next
from paperfeed.web.feeds import resolve_id
from paperfeed.web.shared_lists import (
    NoteForm,
    NoteVersion,
    _move,
    _set_note,
    note_changed,
    note_not_saved,
    page_of,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/me", tags=["me"])
UserName = Annotated[str, Path(min_length=1, max_length=32, description="the reader's user name")]
NameForm = Annotated[str, Form(min_length=1, max_length=32)]


class EditorsOut(BaseModel):
    """Who may put papers in the collection, take them out and write its notes, besides you."""

    editors: list[str] = Field(description="their user names, in the order they were named")


class EditorAddedOut(EditorsOut):
    """The collection's editors now, and whether this request added the reader."""

    added: bool


class EditorRemovedOut(EditorsOut):
    """The collection's editors now, and whether this request removed the reader."""

    removed: bool


def _change(
    site: Site, owner_id: int, collection_id: int, name: str, on: bool
) -> tuple[list[str], bool]:
    """Name or drop an editor of the owner's collection: its editors now, and whether that
    changed them (404: not the owner's; 400: no such reader, the owner, or too many)."""
    with site.writing() as conn:
        found = me_api.own_collection(conn, owner_id, collection_id)
        try:
            if on:
                changed = editors.add_editor(conn, found, name)
            else:
                changed = editors.remove_editor(conn, found.id, name)
        except (LookupError, lib.LibraryError) as exc:
            raise HTTPException(400, str(exc.args[0])) from exc
        return editors.editor_names(conn, found.id), changed


@router.post("/collections/{collection_id}/editors", dependencies=[FormCsrf])
def editor_form(
    site: SiteDep,
    user: SignedInDep,
    collection_id: RowId,
    username: NameForm,
    remove: Annotated[int, Form(ge=0, le=1)] = 0,
) -> Response:
    """Let a reader edit your collection (remove=1: stop them); back to it in the library."""
    name = username.strip()
    now, _changed = _change(site, user.id, collection_id, name, not remove)
    name = next((n for n in now if n.lower() == name.lower()), name)  # as they spell it
    said = f"{name} no longer edits this collection." if remove else f"{name} may edit it now."
    back = RedirectResponse(f"/library?collection={collection_id}#editors", status_code=303)
    return say_next(back, said)


@router.post("/collections/{collection_id}/note", dependencies=[FormCsrf])
def note_form(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    collection_id: RowId,
    paper_id: Annotated[str, Form(max_length=200)],
    note: NoteForm = "",
    next: Annotated[str, Form(max_length=2000)] = "",
    version: NoteVersion = None,
) -> Response:
    """The note on one paper of a collection you own or edit, written from the library (shown
    on its shared page); back to the paper there (or, when another save came between, a page
    with both notes)."""
    with site.engine.connect() as conn:
        found = me_api.editable_collection(conn, user.id, collection_id)
    pid = resolve_id(paper_id)
    back = safe_next(next or f"/library?collection={collection_id}#item-{pid}")
    try:
        _set_note(site, user.id, found, pid, note, version)
    except NoteChanged as exc:
        sent = {"note": note, "paper_id": pid, "next": next, "back": back}
        return note_changed(request, site, user, exc, sent)
    except HTTPException as exc:
        return note_not_saved(request, site, user, exc, note, back)
    return say_next(RedirectResponse(back, 303), "Note saved." if note.strip() else "Note removed.")


@router.post("/collections/{collection_id}/move", dependencies=[FormCsrf])
def move_form(
    site: SiteDep,
    user: SignedInDep,
    collection_id: RowId,
    paper_id: Annotated[str, Form(max_length=200)],
    to: Annotated[int, Form(ge=1, le=1_000_000)],
) -> Response:
    """Move one paper of a collection you own or edit to a place in its list, from the library
    (a private collection has no shared page); back to the list in its order, at that paper's
    page."""
    with site.engine.connect() as conn:
        found = me_api.editable_collection(conn, user.id, collection_id)
    pid = resolve_id(paper_id)
    place = _move(site, user.id, found, pid, to)
    shown = page_of(place, site.settings.page_size)
    back = f"/library?collection={collection_id}&order=list{shown}#item-{pid}"
    return say_next(RedirectResponse(back, 303), f"Moved to place {place:,} of the list.")


class EditedOut(BaseModel):
    """A collection another reader lets you edit."""

    id: int
    name: str
    description: str
    visibility: Literal["private", "unlisted", "public"]
    url: str | None = Field(description="its shared page; null while it is private")
    papers: int
    owner: str = Field(description="its owner's user name")
    since: datetime = Field(description="when you were named its editor (UTC)")
    offered: bool = Field(
        description="its owner offers it to you to take over: POST "
        "/api/me/edited-collections/{id}/accept (or /decline)"
    )


@api.get(
    "/edited-collections",
    response_model=list[EditedOut],
    openapi_extra=paging.documented({}),
    summary="The collections shared with you to edit",
)
def api_edited(
    request: Request,
    response: Response,
    site: SiteDep,
    user: SignedInDep,
    p: paging.PageIndex = 0,
    limit: paging.Limit = paging.DEFAULT_LIMIT,
) -> list[dict[str, Any]]:
    """The collections other readers let you edit (their owners' are in their own lists, not
    in /api/me/collections), by name; a page of `limit` at a time (50 unless asked; the Link
    header's rel="next" is the next page, X-Total-Count how many in all)."""
    with site.engine.connect() as conn:
        found = editors.shared_with(conn, user.id)
        sizes = editors.shared_sizes(conn, user.id)
        offered = editors.offered_to(conn, user.id)
    shown, headers = paging.in_pages(request, site.settings.public_url, found, p, limit)
    response.headers.update(headers)
    base = site.settings.public_url.rstrip("/")
    return [_edited(s, sizes.get(s.collection.id, 0), base, offered) for s in shown]


def _edited(
    shared: editors.SharedWith, papers: int, base: str, offered: set[int]
) -> dict[str, Any]:
    c = shared.collection
    url = None if c.visibility == "private" else f"{base}/c/{c.share_key}"
    return {
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "visibility": c.visibility,
        "url": url,
        "papers": papers,
        "owner": shared.owner,
        "since": shared.since.replace(tzinfo=UTC),  # stored naive, in UTC
        "offered": c.id in offered,
    }


@api.get(
    "/collections/{collection_id}/editors",
    response_model=EditorsOut,
    summary="Your collection's editors",
)
def api_editors(site: SiteDep, user: SignedInDep, collection_id: RowId) -> dict[str, Any]:
    """The readers you let edit your collection."""
    with site.engine.connect() as conn:
        found = me_api.own_collection(conn, user.id, collection_id)
        return {"editors": editors.editor_names(conn, found.id)}


@api.put(
    "/collections/{collection_id}/editors/{username}",
    response_model=EditorAddedOut,
    dependencies=[ApiCsrf],
    summary="Let a reader edit your collection",
)
def api_add_editor(
    site: SiteDep, user: SignedInDep, collection_id: RowId, username: UserName
) -> dict[str, Any]:
    """Let the reader put papers in your collection, take them out and write the notes on
    them (idempotent; renaming, sharing, deleting and naming editors stay yours)."""
    now, added = _change(site, user.id, collection_id, username, True)
    return {"editors": now, "added": added}


@api.delete(
    "/collections/{collection_id}/editors/{username}",
    response_model=EditorRemovedOut,
    dependencies=[ApiCsrf],
    summary="Stop a reader editing your collection",
    description="Stop the reader editing your collection. Idempotent: one who did not edit it "
    "answers 200 too, with `removed` false.",
)
def api_remove_editor(
    site: SiteDep, user: SignedInDep, collection_id: RowId, username: UserName
) -> dict[str, Any]:
    """Stop the reader editing your collection."""
    now, removed = _change(site, user.id, collection_id, username, False)
    return {"editors": now, "removed": removed}


class PutInOut(BaseModel):
    """The paper and the collection it is in now."""

    paper_id: str
    collection: int


class TakenOutOut(BaseModel):
    """The paper, the collection it is out of now, and whether this request took it out."""

    paper_id: str
    collection: int
    removed: bool


@api.put(
    "/collections/{collection_id}/papers/{paper_id:path}",
    response_model=PutInOut,
    dependencies=[ApiCsrf],
    summary="Put a paper in a collection you own or edit",
)
def api_put_in(
    site: SiteDep, user: SignedInDep, collection_id: RowId, paper_id: str
) -> dict[str, Any]:
    """Put a paper in the collection (saving it to your library, and to its owner's when you
    are an editor); idempotent."""
    with site.writing() as conn:
        pid = me_api.known_paper(conn, paper_id)
        found = me_api.editable_collection(conn, user.id, collection_id)
        editors.put_in(conn, user.id, found, pid)
    return {"paper_id": pid, "collection": collection_id}


@api.delete(
    "/collections/{collection_id}/papers/{paper_id:path}",
    response_model=TakenOutOut,
    dependencies=[ApiCsrf],
    summary="Take a paper out of a collection you own or edit",
    description="Take a paper out of the collection (it stays in the libraries). Idempotent: "
    "a paper not in it answers 200 too, with `removed` false.",
)
def api_take_out(
    site: SiteDep, user: SignedInDep, collection_id: RowId, paper_id: str
) -> dict[str, Any]:
    """Take a paper out of a collection you own or edit."""
    pid = resolve_id(paper_id)
    with site.writing() as conn:
        found = me_api.editable_collection(conn, user.id, collection_id)
        removed = lib.remove_many_from_collection(conn, found.id, [pid]) > 0
    return {"paper_id": pid, "collection": collection_id, "removed": removed}
