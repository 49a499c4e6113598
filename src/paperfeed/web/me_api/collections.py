"""Your collections under /api/me: making, renaming, sharing and deleting them, as the library
page's forms do (putting papers in and out: collection_editors; sections: sections)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response
from sqlalchemy import Connection

from paperfeed.store import library as lib
from paperfeed.web import api_links
from paperfeed.web.deps import ApiCsrf, RowId, SignedInDep, SiteDep
from paperfeed.web.me_api.common import _json, own_collection
from paperfeed.web.me_api.schemas import (
    CollectionEditIn,
    CollectionIn,
    CollectionOut,
    CollectionRemovedOut,
    FeedUrlOut,
    RemovedOut,
)

router = APIRouter()

_ONE = "/collections/{collection_id}"
_BY_ID = {"collection_id": "$response.body#/id"}


def collection_json(found: lib.Collection, papers: int, base: str) -> dict[str, Any]:
    """A collection as /api/me/collections lists it: `url` is its page when shared."""
    return {
        "id": found.id,
        "name": found.name,
        "description": found.description,
        "visibility": found.visibility,
        "url": None if found.visibility == "private" else f"{base}/c/{found.share_key}",
        "papers": papers,
    }


def _answer(conn: Connection, site: SiteDep, user_id: int, collection_id: int) -> dict[str, Any]:
    found = own_collection(conn, user_id, collection_id)
    papers = lib.collection_sizes(conn, user_id).get(found.id, 0)
    return collection_json(found, papers, site.settings.public_url.rstrip("/"))


@router.post(
    "/collections",
    status_code=201,
    dependencies=[ApiCsrf],
    response_model=CollectionOut,
    summary="Make a collection",
    responses={
        200: {
            "description": "You have a collection of that name already: it is answered, "
            "unchanged (PATCH changes it)",
            "model": CollectionOut,
        }
    },
    openapi_extra=api_links.links(
        201,
        {
            "Edit": api_links.link("PATCH", "/api/me" + _ONE, "Rename or share it", _BY_ID),
            "Delete": api_links.link("DELETE", "/api/me" + _ONE, "Delete it again", _BY_ID),
        },
    ),
)
def create(site: SiteDep, user: SignedInDep, body: CollectionIn) -> Response:
    """Make a collection (private unless asked; `unlisted`: anyone with its link sees it;
    `public`: listed on /collections too). A name you use already answers that collection,
    unchanged, with 200; a refused name gets a 400 saying why."""
    with site.writing() as conn:
        try:
            existing = lib.find_collection(conn, user.id, body.name)
            made = existing or lib.ensure_collection(
                conn, user.id, body.name, body.description, body.visibility
            )
        except lib.LibraryError as exc:
            raise HTTPException(400, str(exc)) from exc
        answer = _answer(conn, site, user.id, made.id)
    return _json(answer, 200 if existing else 201)


@router.patch(
    _ONE,
    dependencies=[ApiCsrf],
    response_model=CollectionOut,
    summary="Rename a collection of yours, or change its description or who sees it",
)
def edit(
    site: SiteDep, user: SignedInDep, collection_id: RowId, body: CollectionEditIn
) -> dict[str, Any]:
    """Change what is given of its name, description and visibility (its link stays: POST
    .../link makes a new one). A name another collection of yours has gets a 400."""
    if body.name is None and body.description is None and body.visibility is None:
        raise HTTPException(400, "give a name, a description or a visibility to change")
    with site.writing() as conn:
        found = own_collection(conn, user.id, collection_id)
        description = found.description if body.description is None else body.description
        visibility = body.visibility or found.visibility
        try:
            lib.edit_collection(conn, user.id, found.id, description, visibility, body.name)
        except lib.LibraryError as exc:
            raise HTTPException(400, str(exc)) from exc
        return _answer(conn, site, user.id, found.id)


@router.post(
    _ONE + "/link",
    dependencies=[ApiCsrf],
    response_model=CollectionOut,
    summary="Give a collection of yours a new shared link",
)
def new_link(site: SiteDep, user: SignedInDep, collection_id: RowId) -> dict[str, Any]:
    """A new link (`url`) for the collection's page and feeds: whoever had the old one loses
    it (a private collection's link is made too, for when you share it)."""
    with site.writing() as conn:
        found = own_collection(conn, user.id, collection_id)
        lib.new_share_key(conn, user.id, found.id)
        return _answer(conn, site, user.id, found.id)


@router.delete(
    _ONE,
    dependencies=[ApiCsrf],
    response_model=CollectionRemovedOut,
    summary="Delete a collection of yours",
    description="Delete the collection, its sections and its editors' access; its papers stay "
    "in your library. Idempotent: one that is gone (or is not yours) answers 200 too, with "
    "`removed` false.",
)
def delete(site: SiteDep, user: SignedInDep, collection_id: RowId) -> dict[str, Any]:
    """Delete a collection of yours."""
    with site.writing() as conn:
        removed = lib.delete_collection(conn, user.id, collection_id)
    return {"id": collection_id, "removed": removed}


_FEED_URL = "/feed-url"


def feed_url_of(public_url: str, token: str) -> str:
    """The private For you feed's address (Atom) for a feed token."""
    return f"{public_url.rstrip('/')}/feeds/for-you/{token}.atom"


@router.get(_FEED_URL, response_model=FeedUrlOut, summary="Whether your private feed URL works")
def feed_url(site: SiteDep, user: SignedInDep) -> dict[str, Any]:
    """Whether you have a private For you feed URL (its address was shown once, when made:
    only its fingerprint is kept, so `url` is null here; POST makes a new one)."""
    with site.engine.connect() as conn:
        return {"url": None, "exists": lib.has_feed_token(conn, user.id)}


@router.post(
    _FEED_URL,
    status_code=201,
    dependencies=[ApiCsrf],
    response_model=FeedUrlOut,
    summary="Make a new private feed URL of your For you feed",
)
def new_feed_url(site: SiteDep, user: SignedInDep) -> dict[str, Any]:
    """A new private, revocable address of your For you feed for feed readers (Atom; `.rss`
    in its place for RSS; `?window=` and `?collection=` as on the page). The one before it
    stops working. Keep it: it is shown this once."""
    with site.writing() as conn:
        token = lib.new_feed_token(conn, user.id)
    return {"url": feed_url_of(site.settings.public_url, token), "exists": True}


@router.delete(
    _FEED_URL,
    dependencies=[ApiCsrf],
    response_model=RemovedOut,
    summary="Revoke your private feed URL",
    description="Stop your private feed URL: feed readers using it get a 404. Idempotent: "
    "with none to stop it answers 200 too, with `removed` false.",
)
def revoke_feed_url(site: SiteDep, user: SignedInDep) -> dict[str, Any]:
    """Revoke your private feed URL."""
    with site.writing() as conn:
        had = lib.has_feed_token(conn, user.id)
        lib.revoke_feed_tokens(conn, user.id)
    return {"removed": had}
