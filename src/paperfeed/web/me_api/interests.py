"""Follows and mutes under /api/me: listing, adding and removing them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import Response

from paperfeed import categories
from paperfeed.store import library as lib
from paperfeed.store.accounts import User
from paperfeed.text import xml_safe
from paperfeed.web import api_links, paging
from paperfeed.web.api import PageIndex
from paperfeed.web.deps import ApiCsrf, SignedInDep, Site, SiteDep
from paperfeed.web.me_api.common import _json
from paperfeed.web.me_api.schemas import (
    REMOVED,
    FollowIn,
    FollowKind,
    InterestIn,
    InterestOut,
    InterestRemovedOut,
    InterestValue,
    MuteIn,
    MuteKind,
)

router = APIRouter()


INTEREST_KINDS = {"follow": lib.FOLLOW_KINDS, "mute": lib.MUTE_KINDS}


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
    created = api_links.links(201, added)
    there = {"$ref": "#/components/schemas/InterestOut"}
    created["responses"]["200"] = {
        "description": "It was there already: nothing changed",
        "content": {"application/json": {"schema": there}},
    }
    return first, created


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
    """Follow an author, a category or a search (201; 200 when you follow it already)."""
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
    """Mute a keyword, an author or a category (201; 200 when you mute it already)."""
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
            new = lib.add_interest(conn, user.id, what, body.kind, value, label)
        except lib.LibraryError as exc:
            raise HTTPException(400, str(exc)) from exc
    # 201 when added, 200 when it was there already (a script tells the two apart)
    return _json({"kind": body.kind, "value": value, "label": label}, 201 if new else 200)


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
