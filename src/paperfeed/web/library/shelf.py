"""The library page: filtering, sorting, editing an entry, changes to ticked papers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from math import ceil
from typing import Annotated, Literal, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from paperfeed.store import collection_editors as editors
from paperfeed.store import library as lib
from paperfeed.store.accounts import User
from paperfeed.store.shared_lists import ITEM_NOTE_MAX, follower_count, item_notes
from paperfeed.web import collection_sections, me_api, views
from paperfeed.web.auth import safe_next
from paperfeed.web.confirm import Confirmed, ask
from paperfeed.web.deps import FormCsrf, RowIdForm, RowIdQuery, SignedInDep, Site, SiteDep, html
from paperfeed.web.feeds import resolve_id
from paperfeed.web.library.common import (
    NextField,
    Reply,
    _bad_request,
    _done,
    _exists,
    _here,
    _said,
    _wants_json,
)
from paperfeed.web.shared_lists import note_context

router = APIRouter(include_in_schema=False)


LibraryOrder = Literal["added", "published", "title", "list"]  # "list": a collection's own
ReadingState = Literal["to_read", "read"]


@router.get("/library")
def library_page(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    collection: RowIdQuery = None,
    state: Annotated[ReadingState | None, Query()] = None,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    order: Annotated[LibraryOrder, Query()] = "added",
    did: Annotated[BulkAction | None, Query()] = None,
    n: Annotated[int, Query(ge=0, le=lib.BULK_MAX)] = 0,
    into: RowIdQuery = None,
    exists: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    """Your saved papers with reading state and notes, a page at a time (those to read or
    read, those matching words of their title, authors or note; newest saved, newest
    published or by title), your collections, follows and mutes."""
    shelf = Shelf(collection, state, q, page, order)
    return _library(request, site, user, shelf, Said(did, n, into, bool(exists)))


@dataclass(frozen=True)
class Shelf:
    """Which part of the library a page shows."""

    collection: int | None = None
    state: ReadingState | None = None
    q: str = ""
    page: int = 1
    order: LibraryOrder = "added"


@dataclass(frozen=True)
class Said:
    """What the library page says above its list: a bulk change done, a collection that
    already existed, or a form's problem (shown with the form's input kept)."""

    did: str | None = None
    n: int = 0
    into: int | None = None
    exists: bool = False
    problem: str | None = None
    kept: Mapping[str, object] | None = None


def _library(
    request: Request, site: Site, user: User, shelf: Shelf, said: Said, status: int = 200
) -> Response:
    """The library page showing `shelf`, saying `said`."""
    if shelf.order == "list" and shelf.collection is None:
        raise HTTPException(400, "the list's order is a collection's: choose a collection")
    with site.engine.connect() as conn:
        chosen = (
            me_api.editable_collection(conn, user.id, shelf.collection)
            if shelf.collection is not None
            else None
        )
        found = lib.library(conn, user.id, chosen.id if chosen else None, shelf.q, shelf.order)
        if chosen is not None and chosen.user_id != user.id:
            found = editors.editor_shelf(conn, user.id, chosen, found, shelf.q, shelf.order)
        shown = [i for i in found if shelf.state is None or i.state == shelf.state]
        shown, sectioned = _in_sections(conn, chosen, shown)
        per = site.settings.page_size
        pages = max(ceil(len(shown) / per), 1)
        page = min(shelf.page, pages)  # past the end (the last paper of a page removed): the last
        items = shown[(page - 1) * per : page * per]
        cards = {c.paper.id: c for c in views.cards(conn, [i.paper_id for i in items], user)}
        mine = lib.user_collections(conn, user.id)
        into = next((c for c in mine if c.id == said.into), None)
        context = {
            "items": [(i, cards[i.paper_id]) for i in items if i.paper_id in cards],
            "counts": {"all": len(found)} | Counter(i.state for i in found),
            "shown": len(shown),
            "state": shelf.state,
            "q": shelf.q.strip(),
            "order": shelf.order,
            "paging": {"page": page, "pages": pages, "first": (page - 1) * per + 1},
            "note_max": lib.NOTE_MAX,
            "back": _shelf_url(shelf) if status != 200 else _here(request, DONE_KEYS),
            "collections": mine,
            "chosen": chosen,
            "done": _said(said.did, said.n, into, chosen)
            or (_exists(chosen) if said.exists else None),
            "problem": said.problem,
            "kept": said.kept or {},
            "follows": lib.interests(conn, user.id, "follow"),
            "mutes": lib.interests(conn, user.id, "mute"),
            "feed_token": lib.has_feed_token(conn, user.id),
            **_group_context(conn, user, chosen, [i.paper_id for i in items]),
            "places": _places(conn, chosen) if shelf.order == "list" else {},
            **sectioned,
        }
    body = site.render("library.html", user=user, here="/library", **context)
    return html(site, request, body, status)


def _group_context(
    conn: Connection, user: User, chosen: lib.Collection | None, ids: list[str]
) -> dict[str, object]:
    """What the library shows of collections shared between readers: those the reader edits,
    the chosen one's owner or editors, and the notes on its papers shown."""
    context: dict[str, object] = {"shared_with": editors.shared_with(conn, user.id)}
    context["offered"] = editors.offered_to(conn, user.id)  # theirs to accept or decline
    if chosen is None:
        return context
    owned = chosen.user_id == user.id
    context["owned"] = owned
    context["owner_name"] = None if owned else lib.owner_name(conn, chosen)
    context["editors"] = editors.editor_names(conn, chosen.id) if owned else []
    context["heirs"] = editors.heirs(conn, chosen.id) if owned else []  # suspended ones left out
    context["offer"] = editors.pending_offer(conn, chosen.id) if owned else None
    context["loses"] = who_loses_it(conn, chosen) if owned else ""  # said before deleting it
    context["item_notes"] = item_notes(conn, chosen.id, ids)
    context |= note_context(conn, chosen.id, ids)  # the reader owns or edits it
    context["list_note_max"] = ITEM_NOTE_MAX
    return context


def who_loses_it(conn: Connection, chosen: lib.Collection) -> str:
    """Who else loses a collection deleted: its editors, its followers, an offer pending."""
    lost = []
    names = editors.editor_names(conn, chosen.id)
    if names:
        lost.append(f"its editors ({', '.join(names)}) can no longer edit it")
    following = follower_count(conn, chosen)
    if following:
        lost.append(f"{following:,} reader{'' if following == 1 else 's'} following it lose it")
    offer = editors.pending_offer(conn, chosen.id)
    if offer is not None:
        lost.append("its hand-over offer ends")
    return f" Others lose it too: {'; '.join(lost)}." if lost else ""


def _in_sections(
    conn: Connection, chosen: lib.Collection | None, shown: list[lib.LibraryItem]
) -> tuple[list[lib.LibraryItem], dict[str, object]]:
    """The chosen collection's papers under their sections in the sections' order (those
    under none first), and what the page needs to show the headings."""
    if chosen is None:
        return shown, {"sections": [], "paper_sections": {}}
    by_id = {i.paper_id: i for i in shown}
    ids, sectioned = collection_sections.in_sections(conn, chosen.id, list(by_id))
    return [by_id[pid] for pid in ids], sectioned


def _places(conn: Connection, chosen: lib.Collection | None) -> dict[str, int]:
    """Each paper's place in the chosen collection's own order, from 1 (what its Move up, Move
    down and 'Move to place' forms say and send, whatever part of it the page shows)."""
    if chosen is None:
        return {}
    return {pid: n for n, pid in enumerate(lib.collection_paper_ids(conn, chosen.id, "list"), 1)}


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _shelf_url(shelf: Shelf) -> str:
    """The library page's address for `shelf` (where its forms come back to)."""
    pairs = {
        "collection": shelf.collection,
        "state": shelf.state,
        "q": shelf.q or None,
        "page": shelf.page if shelf.page > 1 else None,
        "order": shelf.order if shelf.order != "added" else None,
    }
    kept = [(k, str(v)) for k, v in pairs.items() if v is not None]
    return "/library" + (f"?{urlencode(kept)}" if kept else "")


def _shelf_of(target: str) -> Shelf:
    """The part of the library a form's `next` address shows (what is unreadable in it: the
    default), to show that page again with the form's problem."""
    parts = urlsplit(safe_next(target))
    if parts.path != "/library":
        return Shelf()
    got = dict(parse_qsl(parts.query))
    number = {k: int(v) for k, v in got.items() if k in ("collection", "page") and v.isdigit()}
    state = got.get("state")
    order = got.get("order")
    orders = lib.COLLECTION_ORDERS if "collection" in number else lib.LIBRARY_ORDERS
    return Shelf(
        collection=number.get("collection"),
        state=cast(ReadingState, state) if state in ("to_read", "read") else None,
        q=got.get("q", "")[:200],
        page=max(min(number.get("page", 1), 1_000_000), 1),
        order=cast(LibraryOrder, order) if order in orders else "added",
    )


@router.post("/library/{paper_id:path}/edit", dependencies=[FormCsrf])
def edit_item(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    paper_id: str,
    state: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str | None, Form(max_length=lib.NOTE_MAX)] = None,
    next: NextField = "/library",
) -> Response:
    """Change a saved paper's reading state or note."""
    pid = resolve_id(paper_id)
    with site.engine.begin() as conn, _bad_request():
        found = lib.update_item(conn, user.id, pid, state or None, note)
    if not found:
        raise HTTPException(404, f"{pid} is not in your library")
    return _done(request, next, {"id": pid, "state": state, "note": note})


BulkAction = me_api.BulkAction
DONE_KEYS = ("did", "n", "into", "exists")  # what the library page says after a bulk change


@router.post("/library/bulk", dependencies=[FormCsrf])
def bulk(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    action: Annotated[BulkAction, Form()],
    paper_id: Annotated[list[str], Form(max_length=lib.BULK_MAX)] = [],  # noqa: B006
    collection: Annotated[str, Form(max_length=200)] = "",
    from_collection: RowIdForm = None,
    next: NextField = "/library",
    confirmed: Confirmed = 0,
) -> Response:
    """The library's ticked papers at once: mark read or to read, add to a collection, move
    there from this one, take out of this one, or remove from the library (after a question).
    The page comes back saying what was done."""
    ids = [resolve_id(pid) for pid in paper_id]
    if action == "remove" and ids and not confirmed and not _wants_json(request):
        n = f"{len(ids):,} paper{'' if len(ids) == 1 else 's'}"
        fields = [("action", action), ("next", next), *(("paper_id", pid) for pid in ids)]
        fields += [("from_collection", str(from_collection))] if from_collection else []
        question = f"Remove {n} from your library, with their notes and collections?"
        return ask(request, site, user, question, next, fields, f"Remove {n}")
    try:
        with site.engine.begin() as conn, _bad_request():
            if from_collection is not None:
                me_api.editable_collection(conn, user.id, from_collection)
            done = lib.bulk_change(conn, user.id, ids, action, collection, from_collection)
    except HTTPException as exc:
        if exc.status_code != 400 or _wants_json(request):
            raise
        kept = {"bulk": {"action": action, "collection": collection, "ticked": ids}}
        said = Said(problem=_sentence(f"Nothing changed: {exc.detail}"), kept=kept)
        return _library(request, site, user, _shelf_of(next), said, 400)
    into = done.into.id if done.into else None
    data: Reply = {"action": action, "changed": done.changed, "collection": into}
    return _done(request, _with_done(next, action, done.changed, into), data)


def _with_done(target: str, action: str, changed: int, into: int | None) -> str:
    """`target` (a library page) with what a bulk change did, for the page to say."""
    parts = urlsplit(safe_next(target))
    kept = [(k, v) for k, v in parse_qsl(parts.query) if k not in DONE_KEYS]
    said = [("did", action), ("n", str(changed))] + ([("into", str(into))] if into else [])
    return urlunsplit(parts._replace(query=urlencode(kept + said)))
