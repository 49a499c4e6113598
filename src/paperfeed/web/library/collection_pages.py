"""Collections: creating, editing, deleting them, their shared pages, copying one."""

from __future__ import annotations

from math import ceil
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.store import collection_sections as headings_store
from paperfeed.store import library as lib
from paperfeed.store import shared_lists as lists_store
from paperfeed.web import collection_sections, me_api, shared_lists, views
from paperfeed.web.auth import safe_next
from paperfeed.web.confirm import Confirmed, ask
from paperfeed.web.deps import FormCsrf, RowId, SignedInDep, SiteDep, UserDep, html, say_next
from paperfeed.web.feeds import resolve_id
from paperfeed.web.library.common import NextField, _bad_request, _here, _unlisted, personal_context
from paperfeed.web.library.shelf import (
    Said,
    Shelf,
    _library,
    _sentence,
    _with_done,
    who_loses_it,
)
from paperfeed.web.render import query_string

router = APIRouter(include_in_schema=False)


@router.post("/collections", dependencies=[FormCsrf])
def create_collection(
    site: SiteDep,
    user: SignedInDep,
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=5000)] = "",
    visibility: Annotated[str, Form(max_length=16)] = "private",
) -> Response:
    """Create a collection; a name the reader already uses leads to that collection, unchanged
    (its description, visibility and link are not overwritten), and says so."""
    with site.engine.begin() as conn, _bad_request():
        existing = lib.find_collection(conn, user.id, name)
        if existing is not None:
            return RedirectResponse(f"/library?collection={existing.id}&exists=1", status_code=303)
        found = lib.ensure_collection(conn, user.id, name, description, visibility)
    return RedirectResponse(f"/library?collection={found.id}", status_code=303)


@router.post("/collections/{collection_id}/edit", dependencies=[FormCsrf])
def edit_collection(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    collection_id: RowId,
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=5000)] = "",
    visibility: Annotated[str, Form(max_length=16)] = "private",
    was: Annotated[list[str] | None, Form(max_length=5000)] = None,
) -> Response:
    """Rename a collection, or change its description or visibility (its link stays). A
    refused change (a name another collection of yours has) shows the collection again,
    saying why, with what was typed kept. `was`: the name, description and visibility the
    form showed; a field left as shown keeps what it is now (changed meanwhile elsewhere)."""
    try:
        with site.engine.begin() as conn, _bad_request():
            now = me_api.own_collection(conn, user.id, collection_id)
            shown = was if was and len(was) == 3 else None
            if shown is not None:  # only what this form changed
                name = now.name if name == shown[0] else name
                description = now.description if _same(description, shown[1]) else description
                visibility = now.visibility if visibility == shown[2] else visibility
            if not lib.edit_collection(conn, user.id, collection_id, description, visibility, name):
                raise HTTPException(404, "no such collection of yours")
    except HTTPException as exc:
        if exc.status_code != 400:
            raise
        kept = {"edit": {"name": name, "description": description, "visibility": visibility}}
        said = Said(problem=_sentence(f"Not saved: {exc.detail}"), kept=kept)
        return _library(request, site, user, Shelf(collection_id), said, 400)
    back = RedirectResponse(f"/library?collection={collection_id}", status_code=303)
    return say_next(back, "Collection saved.")


def _same(typed: str, shown: str) -> bool:
    """Whether a textarea came back as shown (browsers send its line ends as CR LF)."""
    return typed.replace("\r\n", "\n").strip() == shown.replace("\r\n", "\n").strip()


@router.post("/collections/{collection_id}/new-link", dependencies=[FormCsrf])
def new_link(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    collection_id: RowId,
    confirmed: Confirmed = 0,
) -> Response:
    """A new shared link for a collection (after a question when readers follow it): whoever
    had the old one loses it, its followers too."""
    with site.engine.connect() as conn:
        chosen = me_api.own_collection(conn, user.id, collection_id)
        following = lists_store.follower_count(conn, chosen)
    back = f"/library?collection={collection_id}"
    if following and not confirmed:
        readers = "1 reader follows" if following == 1 else f"{following:,} readers follow"
        question = (
            f"Make a new link for “{chosen.name}”? The old one stops working: {readers} it by "
            "that link and will stop getting its papers (they follow it again by the new one)."
        )
        return ask(request, site, user, question, back, yes="Make a new link")
    with site.engine.begin() as conn:
        if not lib.new_share_key(conn, user.id, collection_id):
            raise HTTPException(404, "no such collection of yours")
    said = "New link made: the old one no longer opens the collection."
    if following:
        said += " Its followers by the old link no longer follow it."
    return say_next(RedirectResponse(back, status_code=303), said)


@router.post("/collections/{collection_id}/delete", dependencies=[FormCsrf])
def delete_collection(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    collection_id: RowId,
    confirmed: Confirmed = 0,
) -> Response:
    """Delete a collection (after a question); its papers stay in the library."""
    if not confirmed:
        with site.engine.connect() as conn:
            chosen = me_api.own_collection(conn, user.id, collection_id)
            who = who_loses_it(conn, chosen)
        question = f"Delete the collection “{chosen.name}”? Its papers stay in your library.{who}"
        back = f"/library?collection={collection_id}"
        return ask(request, site, user, question, back, yes="Delete the collection")
    with site.engine.begin() as conn:
        if not lib.delete_collection(conn, user.id, collection_id):
            raise HTTPException(404, "no such collection of yours")
    return RedirectResponse("/library", status_code=303)


@router.post("/collections/{collection_id}/remove", dependencies=[FormCsrf])
def remove_from_collection(
    site: SiteDep,
    user: SignedInDep,
    collection_id: RowId,
    paper_id: Annotated[str, Form(max_length=200)],
    next: NextField = "",
) -> Response:
    """Take a paper out of one of your collections, or one you edit (it stays in the
    library)."""
    with site.engine.begin() as conn:
        me_api.editable_collection(conn, user.id, collection_id)
        lib.remove_from_collection(conn, collection_id, resolve_id(paper_id))
    return RedirectResponse(safe_next(next or f"/library?collection={collection_id}"), 303)


@router.get("/c/{share_key}")
def collection_page(
    request: Request,
    site: SiteDep,
    user: UserDep,
    share_key: str,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    order: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """A public or unlisted collection, a page at a time (in its owner's order where they
    set one, else newest added first; or newest papers or titles first), with its feeds and
    exports."""
    if order and order not in lib.COLLECTION_ORDERS:
        raise HTTPException(400, f"order is one of {', '.join(lib.COLLECTION_ORDERS)}")
    with site.engine.connect() as conn:
        found = lib.shared_collection(conn, share_key)
        if found is None:
            raise HTTPException(404, "no such collection (it may be private)")
        order = order or found.order
        ids, per = lib.collection_paper_ids(conn, found.id, order), site.settings.page_size
        ids, sectioned = collection_sections.in_sections(conn, found.id, ids)
        views.check_page(page, len(ids), per)
        shown = views.cards(conn, ids[views.offset_of(page, per) :][:per], user)
        first = views.offset_of(page, per) + 1
        listing = views.Listing(
            found.name, shown, len(ids), page, per, f"/c/{share_key}", f"/c/{share_key}/feed"
        )
        context = {
            "collection": found,
            "canonical_url": site.settings.public_url
            + listing.page_path
            + query_string(
                page=page if page > 1 else None, order=order if order != found.order else None
            ),
            "owner": lib.owner_name(conn, found),
            "listing": listing,
            "order": order,
            **sectioned,
            "groups": collection_sections.groups(shown, sectioned["paper_sections"], first),
            **personal_context(conn, user, [c.paper.id for c in shown]),
            **shared_lists.list_context(conn, user, found, [c.paper.id for c in shown]),
        }
    body = site.render("collection.html", user=user, here=_here(request), **context)
    return _unlisted(html(site, request, body), found.visibility)


@router.get("/collections")
def public_collections_page(
    request: Request,
    site: SiteDep,
    user: UserDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """Readers' public collections, the most recently added to first, a page at a time."""
    per = site.settings.page_size
    with site.engine.connect() as conn:
        total = lib.count_public_collections(conn)
        views.check_page(page, total, per)
        shown = lib.public_collections(conn, None, per, views.offset_of(page, per))
    paging = {"page": page, "pages": max(ceil(total / per), 1)}
    body = site.render(
        "collections.html", user=user, here="/collections", shown=shown, total=total, paging=paging
    )
    return html(site, request, body)


@router.post("/c/{share_key}/copy", dependencies=[FormCsrf])
def copy_collection(
    site: SiteDep,
    user: SignedInDep,
    share_key: str,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Copy a shared collection into your library, as a collection of yours (its name, or
    `name`); the library page then says how many papers it took in."""
    with site.engine.begin() as conn, _bad_request():
        found = lib.shared_collection(conn, share_key)
        if found is None:
            raise HTTPException(404, "no such collection (it may be private)")
        target, _saved, added = lib.copy_collection(conn, user.id, found, name or found.name)
        headings_store.copy_sections(conn, found.id, target.id)  # its sections too
    back = f"/library?collection={target.id}"
    return RedirectResponse(_with_done(back, "add", added, target.id), status_code=303)
