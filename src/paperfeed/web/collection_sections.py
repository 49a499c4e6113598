"""A shared collection's sections on its page: its headings, each paper under its own, and the
plain forms with which its owner and editors add, rename, reorder and delete a section and
put a paper under one (followers and the public read them)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from paperfeed.store import collection_editors as editors
from paperfeed.store import collection_sections as cs
from paperfeed.store import library as lib
from paperfeed.web import views
from paperfeed.web.auth import safe_next
from paperfeed.web.deps import FormCsrf, RowId, SignedInDep, Site, SiteDep, say_next
from paperfeed.web.feeds import resolve_id

router = APIRouter(include_in_schema=False)
TITLE_SENT_MAX = cs.TITLE_MAX * 4  # up to this, one too long is said by `cs.section_title`
NO_SECTION = "no such section in this collection"
TitleField = Annotated[str, Form(max_length=TITLE_SENT_MAX)]
NextField = Annotated[str, Form(max_length=2000)]


@dataclass
class Group:
    """Papers of a page under one heading (None: under none), and the place of its first."""

    section: cs.Section | None
    start: int
    cards: list[views.Card] = field(default_factory=list)


def in_sections(conn: Connection, collection_id: int, ids: list[str]) -> tuple[list[str], Any]:
    """A collection's paper ids grouped by section (those under none first), and what its
    page needs of its sections."""
    placed = cs.paper_sections(conn, collection_id)
    return cs.arranged(ids, placed), {
        "sections": cs.sections(conn, collection_id),
        "paper_sections": placed,
    }


def groups(cards: Sequence[views.Card], placed: dict[str, cs.Section], first: int) -> list[Group]:
    """A page's cards under their headings, in order; `first` is the place of its first card."""
    found: list[Group] = []
    for n, card in enumerate(cards):
        section = placed.get(card.paper.id)
        if not found or found[-1].section != section:
            found.append(Group(section, first + n))
        found[-1].cards.append(card)
    return found


@contextmanager
def editing(site: Site, user_id: int, collection: int | str) -> Iterator[tuple[Connection, int]]:
    """A transaction on a collection the user owns or edits (a private one too), by id (the
    API) or share key (the forms), and its id; 404 when it is none of theirs, 400 with why
    when a change is refused."""
    with site.writing() as conn:
        cid = _editable_id(conn, user_id, collection)
        if cid is None:
            raise HTTPException(404, "no such collection of yours")
        try:
            yield conn, cid
        except lib.LibraryError as exc:
            raise HTTPException(400, str(exc)) from exc


def _editable_id(conn: Connection, user_id: int, collection: int | str) -> int | None:
    """The id of the collection (by id or share key) when the user owns or edits it."""
    if isinstance(collection, str):
        keyed = lib.keyed_collection(conn, collection)
        if keyed is None:
            return None
        collection = keyed.id
    found = editors.editable_collection(conn, user_id, collection)
    return None if found is None else found.id


def found_section(done: bool) -> None:
    """404 when a change found no such section in the collection (its store call said False)."""
    if not done:
        raise HTTPException(404, NO_SECTION)


def file_paper(conn: Connection, collection_id: int, paper_id: str, section_id: int | None) -> str:
    """Put a paper of the collection under one of its sections (None: under none); the
    section's heading ("" for none). 404 when the collection does not hold the paper."""
    if not cs.file_papers(conn, collection_id, {paper_id: section_id}):
        raise HTTPException(404, "that paper is not in this collection")
    titles = {s.id: s.title for s in cs.sections(conn, collection_id)}
    return "" if section_id is None else titles[section_id]


def _back(share_key: str, page: str, said: str, anchor: str = "sections") -> Response:
    """Back to the page of the list the form was on (its shared page or the library; its
    first shared page when `page` is neither), at `anchor`, saying what was done."""
    here = f"/c/{share_key}"
    path = safe_next(page).partition("#")[0]
    if not _on_library(path) and path != here and not path.startswith(f"{here}?"):
        path = here
    return say_next(RedirectResponse(f"{path}#{anchor}", status_code=303), said)


@router.post("/c/{share_key}/sections", dependencies=[FormCsrf])
def add_form(
    site: SiteDep, user: SignedInDep, share_key: str, title: TitleField, next: NextField = ""
) -> Response:
    """Add a section (a heading) at the end of a shared collection's."""
    with editing(site, user.id, share_key) as (conn, cid):
        made = cs.add_section(conn, cid, title)
    return _back(share_key, next, f"Section “{made.title}” added.", f"section-{made.id}")


@router.post("/c/{share_key}/sections/{section_id}/rename", dependencies=[FormCsrf])
def rename_form(
    site: SiteDep,
    user: SignedInDep,
    share_key: str,
    section_id: RowId,
    title: TitleField,
    next: NextField = "",
) -> Response:
    """Give a section of a shared collection a new heading."""
    with editing(site, user.id, share_key) as (conn, cid):
        found_section(cs.rename_section(conn, cid, section_id, title))
        title = cs.section_title(title)
    return _back(share_key, next, f"Section renamed “{title}”.", f"section-{section_id}")


@router.post("/c/{share_key}/sections/{section_id}/move", dependencies=[FormCsrf])
def move_form(
    site: SiteDep,
    user: SignedInDep,
    share_key: str,
    section_id: RowId,
    to: Annotated[int, Form(ge=1, le=cs.SECTIONS_MAX)],
    next: NextField = "",
) -> Response:
    """Put a section of a shared collection at another place among its sections."""
    with editing(site, user.id, share_key) as (conn, cid):
        found_section(cs.move_section(conn, cid, section_id, to))
        place = place_of(cs.sections(conn, cid), section_id)
    return _back(share_key, next, f"Section moved to place {place}.", f"section-{section_id}")


def place_of(sections: Sequence[cs.Section], section_id: int) -> int:
    """A section's place among the collection's, from 1."""
    return next(s.position for s in sections if s.id == section_id)


@router.post("/c/{share_key}/sections/{section_id}/delete", dependencies=[FormCsrf])
def delete_form(
    site: SiteDep, user: SignedInDep, share_key: str, section_id: RowId, next: NextField = ""
) -> Response:
    """Delete a section of a shared collection; its papers stay, under no heading."""
    with editing(site, user.id, share_key) as (conn, cid):
        found_section(cs.delete_section(conn, cid, section_id))
    return _back(share_key, next, "Section deleted; its papers stay in the collection.")


@router.post("/c/{share_key}/section", dependencies=[FormCsrf])
def file_form(
    site: SiteDep,
    user: SignedInDep,
    share_key: str,
    paper_id: Annotated[str, Form(max_length=200)],
    section: Annotated[str, Form(max_length=20)] = "",
    next: NextField = "",
) -> Response:
    """Put a paper of a shared collection under one of its sections ("": under none)."""
    pid = resolve_id(paper_id)
    chosen = _section_id(section)
    with editing(site, user.id, share_key) as (conn, cid):
        title = file_paper(conn, cid, pid, chosen)
    said = f"Moved to “{title}”." if title else "Moved out of the sections."
    return _back(share_key, next, said, f"{'item' if _on_library(next) else 'note'}-{pid}")


def _on_library(page: str) -> bool:
    """Whether a form's `next` is a library page (where a private collection is arranged)."""
    return safe_next(page).partition("#")[0].partition("?")[0] == "/library"


def _section_id(value: str) -> int | None:
    """A section form field's id ("" for none); 400 when it is no number."""
    if not value.strip():
        return None
    if not value.strip().isdigit():
        raise HTTPException(400, "section must be a section's number, or empty for none")
    return int(value)
