"""Handing a collection over: its owner offers it to one of its editors, who takes it over by
accepting (or declines); the owner may withdraw the offer until then. Naming an editor needs
no consent, so owning a collection must: nobody is made to own a stranger's public list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from paperfeed.store import collection_editors as editors
from paperfeed.store import library as lib
from paperfeed.web import me_api
from paperfeed.web.confirm import Confirmed, ask
from paperfeed.web.deps import ApiCsrf, FormCsrf, RowId, SignedInDep, Site, SiteDep, say_next

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/me", tags=["me"])
NameForm = Annotated[str, Form(min_length=1, max_length=32)]


def _offer(site: Site, owner_id: int, collection_id: int, name: str, stay: bool) -> str:
    """Offer the owner's collection to one of its editors: their user name (404: not the
    owner's; 400: no such reader, or not its editor)."""
    with site.writing() as conn:
        found = me_api.own_collection(conn, owner_id, collection_id)
        try:
            return editors.offer(conn, found, name, stay)
        except (LookupError, lib.LibraryError) as exc:
            raise HTTPException(400, str(exc.args[0])) from exc


def _accept(site: Site, user_id: int, collection_id: int) -> lib.Collection:
    """Take over the collection offered to the user (404: none offered; 409: they have one of
    that name, told to them alone)."""
    with site.writing() as conn:
        try:
            return editors.accept(conn, user_id, collection_id)
        except LookupError as exc:
            raise HTTPException(404, str(exc.args[0])) from exc
        except lib.LibraryError as exc:
            raise HTTPException(409, str(exc.args[0])) from exc


def _withdraw(site: Site, owner_id: int, collection_id: int) -> bool:
    with site.writing() as conn:
        found = me_api.own_collection(conn, owner_id, collection_id)
        return editors.withdraw(conn, found.id)


def _decline(site: Site, user_id: int, collection_id: int) -> bool:
    with site.writing() as conn:
        return editors.decline(conn, user_id, collection_id)


@router.post("/collections/{collection_id}/owner", dependencies=[FormCsrf])
def owner_form(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    collection_id: RowId,
    username: NameForm,
    stay: Annotated[int, Form(ge=0, le=1)] = 0,
    confirmed: Confirmed = 0,
) -> Response:
    """Offer your collection to one of its editors (after a question; stay=1: you stay one of
    its editors once they accept); back to it in the library."""
    if not confirmed:
        with site.engine.connect() as conn:
            found = me_api.own_collection(conn, user.id, collection_id)
        question = (
            f"Offer “{found.name}” to {username.strip()}? It stays yours until they accept; "
            "then they rename, share and delete it and name its editors."
        )
        fields = [("username", username), ("stay", str(stay))]
        back = f"/library?collection={collection_id}#editors"
        return ask(request, site, user, question, back, fields, "Offer it")
    to = _offer(site, user.id, collection_id, username, bool(stay))
    there = RedirectResponse(f"/library?collection={collection_id}#editors", 303)
    return say_next(there, f"Offered to {to}: it stays yours until they accept.")


@router.post("/collections/{collection_id}/owner/withdraw", dependencies=[FormCsrf])
def withdraw_form(site: SiteDep, user: SignedInDep, collection_id: RowId) -> Response:
    """Withdraw the pending offer of your collection; back to it in the library."""
    done = _withdraw(site, user.id, collection_id)
    back = RedirectResponse(f"/library?collection={collection_id}#editors", 303)
    return say_next(back, "Offer withdrawn." if done else "There was no offer to withdraw.")


@router.post("/collections/{collection_id}/owner/accept", dependencies=[FormCsrf])
def accept_form(site: SiteDep, user: SignedInDep, collection_id: RowId) -> Response:
    """Take over the collection offered to you; to it in your library, yours now."""
    taken = _accept(site, user.id, collection_id)
    back = RedirectResponse(f"/library?collection={collection_id}", 303)
    return say_next(back, f"“{taken.name}” is yours now.")


@router.post("/collections/{collection_id}/owner/decline", dependencies=[FormCsrf])
def decline_form(site: SiteDep, user: SignedInDep, collection_id: RowId) -> Response:
    """Turn down the collection offered to you (you stay its editor); back to it."""
    done = _decline(site, user.id, collection_id)
    back = RedirectResponse(f"/library?collection={collection_id}", 303)
    return say_next(back, "Offer declined." if done else "There was no offer to decline.")


class HandOverIn(BaseModel):
    """Who is offered the collection, and whether you stay one of its editors once they take
    it."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored
    username: str = Field(min_length=1, max_length=32, description="one of its editors")
    stay: bool = Field(True, description="stay one of its editors (false: leave it)")


class OfferOut(BaseModel):
    """The collection's pending hand-over (none: `offered_to` null)."""

    id: int
    offered_to: str | None = Field(description="the editor it is offered to; null: none")
    stay: bool | None = Field(description="whether you stay one of its editors once they take it")
    since: datetime | None = Field(description="when it was offered (UTC)")


class WithdrawnOut(BaseModel):
    """Whether this request withdrew a pending offer."""

    id: int
    removed: bool


class HandedOverOut(BaseModel):
    """The collection's owner and editors now."""

    id: int
    owner: str
    editors: list[str]


class DeclinedOut(BaseModel):
    """Whether this request turned an offer down."""

    id: int
    declined: bool


def _offer_out(site: Site, collection_id: int) -> dict[str, Any]:
    with site.engine.connect() as conn:
        found = editors.pending_offer(conn, collection_id)
    if found is None:
        return {"id": collection_id, "offered_to": None, "stay": None, "since": None}
    since = found.since.replace(tzinfo=UTC)  # stored naive, in UTC
    return {"id": collection_id, "offered_to": found.to, "stay": found.stay, "since": since}


@api.put(
    "/collections/{collection_id}/owner",
    response_model=OfferOut,
    dependencies=[ApiCsrf],
    summary="Offer your collection to one of its editors",
)
def api_offer(
    site: SiteDep, user: SignedInDep, collection_id: RowId, body: HandOverIn
) -> dict[str, Any]:
    """Offer the collection to one of its editors (an earlier offer of it ends). It stays yours
    until they accept (`POST /api/me/edited-collections/{id}/accept`): then its papers are
    saved to their library, its notes, order, link and followers stay, and you stay one of its
    editors unless `stay` is false."""
    _offer(site, user.id, collection_id, body.username, body.stay)
    return _offer_out(site, collection_id)


@api.get(
    "/collections/{collection_id}/offer",
    response_model=OfferOut,
    summary="Your collection's pending hand-over",
)
def api_pending(site: SiteDep, user: SignedInDep, collection_id: RowId) -> dict[str, Any]:
    """To whom your collection is offered, if anyone."""
    with site.engine.connect() as conn:
        me_api.own_collection(conn, user.id, collection_id)
    return _offer_out(site, collection_id)


@api.delete(
    "/collections/{collection_id}/offer",
    response_model=WithdrawnOut,
    dependencies=[ApiCsrf],
    summary="Withdraw your collection's pending hand-over",
    description="Withdraw the offer of your collection. Idempotent: with none pending it "
    "answers 200 too, with `removed` false.",
)
def api_withdraw(site: SiteDep, user: SignedInDep, collection_id: RowId) -> dict[str, Any]:
    """Withdraw the offer of your collection."""
    return {"id": collection_id, "removed": _withdraw(site, user.id, collection_id)}


@api.post(
    "/edited-collections/{collection_id}/accept",
    response_model=HandedOverOut,
    dependencies=[ApiCsrf],
    summary="Take over a collection offered to you",
)
def api_accept(site: SiteDep, user: SignedInDep, collection_id: RowId) -> dict[str, Any]:
    """Become the owner of a collection offered to you (404: none offered; 409: you have a
    collection of that name: rename yours and accept again)."""
    taken = _accept(site, user.id, collection_id)
    with site.engine.connect() as conn:
        now = editors.editor_names(conn, collection_id)
    return {"id": taken.id, "owner": user.username, "editors": now}


@api.post(
    "/edited-collections/{collection_id}/decline",
    response_model=DeclinedOut,
    dependencies=[ApiCsrf],
    summary="Turn down a collection offered to you",
)
def api_decline(site: SiteDep, user: SignedInDep, collection_id: RowId) -> dict[str, Any]:
    """Turn the offer down (you stay its editor); idempotent: with none, `declined` is false."""
    return {"id": collection_id, "declined": _decline(site, user.id, collection_id)}
