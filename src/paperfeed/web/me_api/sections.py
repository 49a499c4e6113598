"""A collection's sections under /api/me: listing, adding, renaming, moving and deleting its
headings and filing its papers under them, as its owner and editors do with the page's forms."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import Connection

from paperfeed.store import collection_sections as cs
from paperfeed.web import api_links
from paperfeed.web.collection_sections import editing, file_paper, found_section
from paperfeed.web.deps import ApiCsrf, RowId, SignedInDep, SiteDep
from paperfeed.web.feeds import resolve_id
from paperfeed.web.me_api.common import editable_collection
from paperfeed.web.me_api.schemas import (
    FiledOut,
    FileIn,
    SectionEditIn,
    SectionIn,
    SectionOut,
    SectionRemovedOut,
)

router = APIRouter()

_SECTIONS = "/collections/{collection_id}/sections"
_SECTION = _SECTIONS + "/{section_id}"
_LIST = api_links.link(
    "GET",
    "/api/me" + _SECTIONS,
    "The collection's sections",
    {"collection_id": "$response.body#/collection_id"},
)


@router.get(
    _SECTIONS,
    response_model=list[SectionOut],
    summary="The sections of a collection you own or edit",
)
def list_sections(site: SiteDep, user: SignedInDep, collection_id: RowId) -> list[dict[str, Any]]:
    """The collection's sections (headings) in their order, each with how many of its papers
    are listed under it (a collection has at most 500; its papers under none come first on
    its page)."""
    with site.engine.connect() as conn:
        return _listed(conn, editable_collection(conn, user.id, collection_id).id)


@router.post(
    _SECTIONS,
    status_code=201,
    dependencies=[ApiCsrf],
    response_model=SectionOut,
    summary="Add a section to a collection you own or edit",
    openapi_extra=api_links.links(
        201,
        {
            "Sections": _LIST,
            "Delete": api_links.link(
                "DELETE",
                "/api/me" + _SECTION,
                "Delete it again",
                {
                    "collection_id": "$response.body#/collection_id",
                    "section_id": "$response.body#/id",
                },
            ),
        },
    ),
)
def add_section(
    site: SiteDep, user: SignedInDep, collection_id: RowId, body: SectionIn
) -> dict[str, Any]:
    """Add a section (a heading) at the end of the collection's; a 400 says why a heading is
    refused (empty, too long, one the collection has already) or that it has 500 already."""
    with editing(site, user.id, collection_id) as (conn, cid):
        made = cs.add_section(conn, cid, body.title)
        return _section(conn, cid, made.id)


@router.patch(
    _SECTION,
    dependencies=[ApiCsrf],
    response_model=SectionOut,
    summary="Rename or move a section of a collection you own or edit",
)
def edit_section(
    site: SiteDep, user: SignedInDep, collection_id: RowId, section_id: RowId, body: SectionEditIn
) -> dict[str, Any]:
    """Give a section a new heading, put it at another place among the collection's sections
    (its papers move with it), or both; answers the section as it is now."""
    if body.title is None and body.position is None:
        raise HTTPException(400, "give a title, a position or both")
    with editing(site, user.id, collection_id) as (conn, cid):
        if body.title is not None:
            found_section(cs.rename_section(conn, cid, section_id, body.title))
        if body.position is not None:
            found_section(cs.move_section(conn, cid, section_id, body.position))
        return _section(conn, cid, section_id)


@router.delete(
    _SECTION,
    dependencies=[ApiCsrf],
    response_model=SectionRemovedOut,
    summary="Delete a section of a collection you own or edit",
    description="Delete a section; its papers stay in the collection, under no heading, and "
    "the sections after it move up one. Idempotent: a section not there answers 200 too, "
    "with `removed` false.",
)
def delete_section(
    site: SiteDep, user: SignedInDep, collection_id: RowId, section_id: RowId
) -> dict[str, Any]:
    """Delete a section of a collection you own or edit."""
    with editing(site, user.id, collection_id) as (conn, cid):
        removed = cs.delete_section(conn, cid, section_id)
    return {"id": section_id, "collection_id": cid, "removed": removed}


@router.put(
    "/collections/{collection_id}/papers/{paper_id:path}/section",
    dependencies=[ApiCsrf],
    response_model=FiledOut,
    summary="List a paper of a collection you own or edit under one of its sections",
    openapi_extra=api_links.links(200, {"Sections": _LIST}),
)
def file_under(
    site: SiteDep, user: SignedInDep, collection_id: RowId, paper_id: str, body: FileIn
) -> dict[str, Any]:
    """List a paper of the collection under one of its sections (`section_id`), or under none
    (null); a 404 when the collection does not hold the paper, a 400 for a section not its."""
    pid = resolve_id(paper_id)
    with editing(site, user.id, collection_id) as (conn, cid):
        file_paper(conn, cid, pid, body.section_id)
        section = None if body.section_id is None else _section(conn, cid, body.section_id)
    return {"paper_id": pid, "collection_id": cid, "section": section}


def _listed(conn: Connection, collection_id: int) -> list[dict[str, Any]]:
    """The collection's sections as the API answers them, in their order."""
    sizes = Counter(s.id for s in cs.paper_sections(conn, collection_id).values())
    return [_json(s, sizes[s.id]) for s in cs.sections(conn, collection_id)]


def _section(conn: Connection, collection_id: int, section_id: int) -> dict[str, Any]:
    """One section of the collection (it has it) as the API answers it, as it is now."""
    return next(s for s in _listed(conn, collection_id) if s["id"] == section_id)


def _json(section: cs.Section, papers: int) -> dict[str, Any]:
    return {
        "id": section.id,
        "collection_id": section.collection_id,
        "title": section.title,
        "position": section.position,
        "papers": papers,
    }
