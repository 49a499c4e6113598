"""A shared collection as a reading group uses it: its owner's public note on each paper
("read on 12 Dec"), and readers following it, who find its newest additions on For you."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from paperfeed.store import collection_editors as editors
from paperfeed.store import library as lib
from paperfeed.store import revisions
from paperfeed.store import shared_lists as lists
from paperfeed.store.accounts import User
from paperfeed.store.list_order import move_in_list
from paperfeed.util import utcnow
from paperfeed.web import paging, views
from paperfeed.web.api import stamp
from paperfeed.web.auth import safe_next
from paperfeed.web.deps import (
    ROW_ID_MOST,
    ApiCsrf,
    FormCsrf,
    RowId,
    SignedInDep,
    Site,
    SiteDep,
    html,
    say_next,
)
from paperfeed.web.feeds import resolve_id

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/me", tags=["me"])
ShareKey = Annotated[str, Path(max_length=32, description="the collection's shared link key")]
NoteForm = Annotated[str, Form(max_length=lists.ITEM_NOTE_MAX * 2)]  # longer: said as a 400
# the version of the note the writer started from (none: save over whatever it is now)
NoteVersion = Annotated[int | None, Form(ge=0, le=2**31 - 1)]


def list_context(
    conn: Connection, user: User | None, found: lib.Collection, paper_ids: list[str]
) -> dict[str, Any]:
    """What a shared collection's page shows beside its papers: their notes, its followers,
    whether the reader follows it and whether they may write its notes."""
    following = user is not None and lists.is_following(conn, user.id, found)
    editing = user is not None and editors.editable_collection(conn, user.id, found.id)
    return {
        "item_notes": lists.item_notes(conn, found.id, paper_ids),
        "revised_since": revisions.revised_since_added(conn, found.id, paper_ids),
        "followers": lists.follower_count(conn, found),
        "following": following,
        "can_edit": bool(editing),  # its owner, or one of its editors
        **(note_context(conn, found.id, paper_ids) if editing else {}),
    }


def note_context(conn: Connection, collection_id: int, paper_ids: list[str]) -> dict[str, Any]:
    """What a list's members see of its notes on these papers: each note's version (sent back
    with an edit) and who wrote it when ("note by eddie, 3 days ago")."""
    found = lists.item_note_details(conn, collection_id, paper_ids, empty=True)
    now = utcnow()
    return {
        "note_versions": {pid: n.version for pid, n in found.items()},
        "note_credits": {pid: credit(n, now) for pid, n in found.items() if n.text and n.at},
    }


def credit(note: lists.ItemNote, now: datetime) -> str:
    """Who last wrote a note and how long ago, as its list's members read it."""
    who = f"note by {note.by}" if note.by else "note"
    return f"{who}, {_ago(note.at or now, now)}"


_UNITS = ((365 * 86400, "year"), (30 * 86400, "month"), (86400, "day"), (3600, "hour"))


def _ago(at: datetime, now: datetime) -> str:
    seconds = max((now - at).total_seconds(), 0)
    for size, unit in (*_UNITS, (60, "minute")):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return "just now"


def news(conn: Connection, user: User) -> list[tuple[lists.Addition, views.Card]]:
    """The newest papers put in the collections the reader follows, for For you."""
    found = lists.followed_additions(conn, user.id)
    shown = {c.paper.id: c for c in views.cards(conn, [a.paper_id for a in found], user)}
    return [
        (a, shown[a.paper_id])
        for a in found
        if a.paper_id in shown and not shown[a.paper_id].flags.hidden
    ]


def _shared(conn: Connection, share_key: str) -> lib.Collection:
    found = lib.shared_collection(conn, share_key)
    if found is None:
        raise HTTPException(404, "no such collection (it may be private)")
    return found


def _follow(site: Site, user_id: int, share_key: str, on: bool) -> dict[str, Any]:
    """Follow or stop following a shared collection: whether the reader follows it now, and
    how many do."""
    with site.writing() as conn:
        found = _shared(conn, share_key)
        try:
            if on:
                changed = lists.follow_collection(conn, user_id, found)
            else:
                changed = lists.unfollow_collection(conn, user_id, found.id)
        except lib.LibraryError as exc:
            raise HTTPException(400, str(exc)) from exc
        return {"following": on, "followers": lists.follower_count(conn, found), "changed": changed}


@router.post("/c/{share_key}/follow", dependencies=[FormCsrf])
def follow_form(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    share_key: ShareKey,
    follow: Annotated[int, Form(ge=0, le=1)] = 1,
) -> Response:
    """Follow (follow=1) or stop following (0) a shared collection: JSON to scripts, else back
    to its page, saying so."""
    data = _follow(site, user.id, share_key, bool(follow))
    del data["changed"]
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(data)
    said = (
        "You follow this collection: its new papers appear on your For you page."
        if follow
        else "You no longer follow this collection."
    )
    return say_next(RedirectResponse(f"/c/{share_key}", status_code=303), said)


def _set_note(
    site: Site,
    user_id: int,
    found: lib.Collection,
    paper_id: str,
    note: str,
    version: int | None = None,
) -> lists.ItemNote:
    """Write the note on one paper of a collection the user owns or edits, started from
    `version` of it (None: whatever it is now): the note as kept, with its new version.
    NoteChanged when another save came between."""
    with site.writing() as conn:
        editable = editors.editable_collection(conn, user_id, found.id)
        if editable is None:
            raise HTTPException(404, "no such collection of yours")
        try:
            written = editors.write_note(conn, user_id, editable, paper_id, note, version)
        except lists.NoteChanged:
            raise
        except lib.LibraryError as exc:
            raise HTTPException(400, str(exc)) from exc
        kept = lists.item_note(conn, found.id, paper_id) if written else None
        if kept is None:
            raise HTTPException(404, "that paper is not in this collection")
        return kept


def note_changed(
    request: Request, site: Site, user: User, exc: lists.NoteChanged, sent: dict[str, str]
) -> Response:
    """The page a note's save gets when another save came between: theirs, as kept, and the
    writer's own text to save over it (409)."""
    body = site.render(
        "note_changed.html",
        user=user,
        problem=str(exc),
        now=exc.now,
        mine=sent["note"],
        paper_id=sent["paper_id"],
        action=request.url.path,
        next=sent.get("next", ""),
        back=sent["back"],
        note_max=lists.ITEM_NOTE_MAX,
    )
    return html(site, request, body, 409)


def note_said(exc: lists.NoteChanged) -> JSONResponse:
    """The API's answer to a note saved over a newer one: 409, with the note as it is now."""
    return JSONResponse({"detail": str(exc), **note_json(exc.now)}, status_code=409)


@router.post("/c/{share_key}/note", dependencies=[FormCsrf])
def note_form(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    share_key: ShareKey,
    paper_id: Annotated[str, Form(max_length=200)],
    note: NoteForm = "",
    version: NoteVersion = None,
    next: Annotated[str, Form(max_length=2000)] = "",
    collection: Annotated[int | None, Form(ge=1, le=ROW_ID_MOST)] = None,
) -> Response:
    """The public note on one paper of a shared collection, by its owner or an editor; back to
    it on the page it was written on (or, when another save came between, a page with both
    notes). `collection`: its id, by which its owner and editors still save the note when
    the link changed (or it was made private) while they wrote."""
    pid = resolve_id(paper_id)
    with site.engine.connect() as conn:
        found = lib.shared_collection(conn, share_key)
        mine = editors.editable_collection(conn, user.id, collection) if collection else None
    back = _at_note(share_key, next, pid)
    if found is None and mine is not None:  # its link changed meanwhile: theirs still
        found, back = mine, f"/library?collection={mine.id}#item-{pid}"
    if found is None:
        raise HTTPException(404, "no such collection (it may be private)")
    try:
        _set_note(site, user.id, found, pid, note, version)
    except lists.NoteChanged as exc:
        sent = {"note": note, "paper_id": pid, "next": next, "back": back}
        return note_changed(request, site, user, exc, sent)
    except HTTPException as exc:
        return note_not_saved(request, site, user, exc, note, back)
    said = "Note saved." if note.strip() else "Note removed."
    return say_next(RedirectResponse(back, status_code=303), said)


def note_not_saved(
    request: Request, site: Site, user: User, exc: HTTPException, note: str, back: str
) -> Response:
    """The page a note's save gets when it cannot be kept (the paper was taken out of the
    collection meanwhile): why, and the writer's text to copy, not lost."""
    if exc.status_code != 404 or not note.strip():
        raise exc
    body = site.render(
        "note_not_saved.html", user=user, problem=str(exc.detail), mine=note, back=back
    )
    return html(site, request, body, 404)


def _at_note(share_key: str, page: str, paper_id: str) -> str:
    """The paper's note on `page` of the list (its page and order, as the form was on it), or
    on its first page where `page` is not one of this list's."""
    here = f"/c/{share_key}"
    path = safe_next(page).partition("#")[0]
    if path != here and not path.startswith(f"{here}?"):
        path = here
    return f"{path}#note-{paper_id}"


def _move(site: Site, user_id: int, found: lib.Collection, paper_id: str, to: int) -> int:
    """Put one paper of a collection the user owns or edits at place `to` of its list: the
    place it took."""
    with site.writing() as conn:
        if editors.editable_collection(conn, user_id, found.id) is None:
            raise HTTPException(404, "no such collection of yours")
        place = move_in_list(conn, found.id, paper_id, to)
    if place is None:
        raise HTTPException(404, "that paper is not in this collection")
    return place


@router.post("/c/{share_key}/move", dependencies=[FormCsrf])
def move_form(
    site: SiteDep,
    user: SignedInDep,
    share_key: ShareKey,
    paper_id: Annotated[str, Form(max_length=200)],
    to: Annotated[int, Form(ge=1, le=1_000_000)],
) -> Response:
    """Move one paper of a shared collection to a place in its list (Move up, Move down, or
    a number); back to the list in its order, at that paper on the page showing its place."""
    with site.engine.connect() as conn:
        found = _shared(conn, share_key)
    pid = resolve_id(paper_id)
    place = _move(site, user.id, found, pid, to)
    shown = page_of(place, site.settings.page_size)
    back = RedirectResponse(f"/c/{share_key}?order=list{shown}#note-{pid}", status_code=303)
    return say_next(back, f"Moved to place {place:,} of the list.")


def page_of(place: int, per: int) -> str:
    """The query's `&page=N` for the page of a list, `per` papers a page, that shows `place`
    ("" for the first page)."""
    page = (place - 1) // per + 1
    return f"&page={page}" if page > 1 else ""


class FollowedOut(BaseModel):
    """A shared collection you follow."""

    id: int
    name: str
    description: str
    url: str = Field(description="its page, under the site")


class FollowOut(BaseModel):
    """Whether you follow the collection now, and how many readers do."""

    following: bool
    followers: int


class UnfollowOut(FollowOut):
    """Whether you follow the collection now (no), how many readers do, and whether you did."""

    removed: bool


class PlaceIn(BaseModel):
    """Where in the collection's own order the paper goes: 1 is first."""

    model_config = ConfigDict(extra="forbid")
    position: int = Field(ge=1, le=1_000_000)


class NoteIn(BaseModel):
    """A public note on one paper of your collection (Markdown; empty removes it)."""

    model_config = ConfigDict(extra="forbid")
    note: str = Field(max_length=lists.ITEM_NOTE_MAX)
    version: int | None = Field(
        None,
        ge=0,
        le=2**31 - 1,
        description="the note's version you started from (`collectionNote.version` in "
        "`GET /api/me/library?collection=ID`, or `version` in this call's last answer): a 409 "
        "with the note as it is now when someone saved it since; left out, yours is saved "
        "regardless",
    )


class CollectionNoteOut(BaseModel):
    """A collection's public note on one of its papers: who saved it last, when, and its
    version (send it back as `version` with your next edit of it)."""

    note: str = Field(description="Markdown; empty: no note")
    by: str | None = Field(
        description="who saved it last (null: saved before that was kept, or by an account "
        "since deleted)"
    )
    at: str | None = Field(description="when it was saved last (null: before that was kept)")
    version: int = Field(description="how many times it was saved: 0 for none yet")


class NoteConflictOut(CollectionNoteOut):
    """Someone saved the note since the version sent: `detail` says who; the rest is the note
    as it is now (merge, and send yours with this `version`)."""

    detail: str


class NoteOut(CollectionNoteOut):
    """The collection's note on the paper as kept."""

    model_config = ConfigDict(populate_by_name=True)
    paper_id: str = Field(alias="paperId")


def note_json(note: lists.ItemNote) -> dict[str, Any]:
    """A collection's note on a paper as the API gives it (CollectionNoteOut)."""
    return {"note": note.text, "by": note.by, "at": stamp(note.at), "version": note.version}


@api.get(
    "/followed-collections",
    response_model=list[FollowedOut],
    openapi_extra=paging.documented({}),
)
def api_followed(
    request: Request,
    response: Response,
    site: SiteDep,
    user: SignedInDep,
    p: paging.PageIndex = 0,
    limit: paging.Limit = paging.DEFAULT_LIMIT,
) -> list[dict[str, Any]]:
    """The shared collections you follow, by name; a page of `limit` at a time (50 unless
    asked; the Link header's rel="next" is the next page, X-Total-Count how many in all)."""
    with site.engine.connect() as conn:
        found = lists.followed_collections(conn, user.id)
    shown, headers = paging.in_pages(request, site.settings.public_url, found, p, limit)
    response.headers.update(headers)
    base = site.settings.public_url.rstrip("/")  # absolute, as the other lists' urls are
    return [
        {"id": c.id, "name": c.name, "description": c.description, "url": f"{base}/c/{c.share_key}"}
        for c in shown
    ]


@api.put(
    "/followed-collections/{share_key}",
    response_model=FollowOut,
    dependencies=[ApiCsrf],
    summary="Follow a shared collection",
)
def api_follow(site: SiteDep, user: SignedInDep, share_key: ShareKey) -> dict[str, Any]:
    """Follow a public or unlisted collection by its link's key (idempotent)."""
    data = _follow(site, user.id, share_key, True)
    del data["changed"]
    return data


@api.delete(
    "/followed-collections/{share_key}",
    response_model=UnfollowOut,
    dependencies=[ApiCsrf],
    summary="Stop following a shared collection",
    description="Stop following a collection by its link's key. Idempotent: stopping what you "
    "do not follow answers 200 too, with `removed` false (a 404 only for a key that names no "
    "shared collection).",
)
def api_unfollow(site: SiteDep, user: SignedInDep, share_key: ShareKey) -> dict[str, Any]:
    """Stop following a shared collection."""
    data = _follow(site, user.id, share_key, False)
    data["removed"] = data.pop("changed")
    return data


@api.put(
    "/collections/{collection_id}/papers/{paper_id:path}/note",
    dependencies=[ApiCsrf],
    summary="Write a public note on a paper of a collection you own or edit",
    response_model=NoteOut,
    responses={
        409: {
            "model": NoteConflictOut,
            "description": "saved by someone since `version`: `detail` says who, "
            "`note`, `by`, `at` and `version` are the note as it is now",
        }
    },
)
def api_note(
    site: SiteDep, user: SignedInDep, collection_id: RowId, paper_id: str, body: NoteIn
) -> Response:
    """The collection's public note on one of its papers, shown under it on the collection's
    shared page and in its library view (Markdown, sanitised; empty removes it); answers the
    note as kept, who saved it, when and its new version."""
    with site.engine.connect() as conn:
        found = lib.get_collection(conn, collection_id)
    if found is None:
        raise HTTPException(404, "no such collection of yours")
    pid = resolve_id(paper_id)
    try:
        kept = _set_note(site, user.id, found, pid, body.note, body.version)
    except lists.NoteChanged as exc:
        return note_said(exc)
    return JSONResponse({"paperId": pid, **note_json(kept)})


@api.put(
    "/collections/{collection_id}/papers/{paper_id:path}/position",
    dependencies=[ApiCsrf],
    summary="Put a paper of a collection you own or edit at a place in its list",
)
def api_position(
    site: SiteDep, user: SignedInDep, collection_id: RowId, paper_id: str, body: PlaceIn
) -> dict[str, Any]:
    """Move one paper to `position` of the collection's own order (1 is first; past the end
    means last), the others keeping theirs: the collection's page, feeds and exports then list
    its papers in that order, as `GET /api/me/library?collection=ID&order=list` does."""
    with site.engine.connect() as conn:
        found = lib.get_collection(conn, collection_id)
    if found is None:
        raise HTTPException(404, "no such collection of yours")
    pid = resolve_id(paper_id)
    return {"paperId": pid, "position": _move(site, user.id, found, pid, body.position)}
