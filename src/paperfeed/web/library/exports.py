"""A shared collection's Atom and RSS feed; the library and collections as BibTeX, RIS, CSL-JSON."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from paperfeed import references
from paperfeed.models import Paper
from paperfeed.store import collection_editors as editors
from paperfeed.store import library as lib
from paperfeed.store import revisions
from paperfeed.store.accounts import User
from paperfeed.store.shared_lists import item_notes
from paperfeed.web import bibtex, collection_sections, feeds, me_api, views
from paperfeed.web.deps import FormCsrf, RowIdQuery, SignedInDep, Site, SiteDep
from paperfeed.web.feeds import resolve_id
from paperfeed.web.library.common import EXPORTS, NextField, _unlisted, _wants_json
from paperfeed.web.library.shelf import Said, _library, _shelf_of

router = APIRouter(include_in_schema=False)


@router.get("/c/{share_key}/feed.{fmt}")
def collection_feed(request: Request, site: SiteDep, share_key: str, fmt: str) -> Response:
    """A shared collection as Atom, RSS (entries dated when they were added, with validators
    for feed readers), BibTeX, RIS or CSL-JSON."""
    with site.engine.connect() as conn:
        found = lib.shared_collection(conn, share_key)
        if found is None:
            raise HTTPException(404, "no such collection (it may be private)")
        ids = lib.collection_paper_ids(conn, found.id, found.order)
        ids, sectioned = collection_sections.in_sections(conn, found.id, ids)  # as its page
        headings = {pid: s.title for pid, s in sectioned["paper_sections"].items()}
        if fmt in ("atom", "rss"):  # a feed reader polls: the newest additions, as other feeds
            newest = set(lib.collection_paper_ids(conn, found.id)[: feeds.FEED_SIZE])
            ids = [pid for pid in ids if pid in newest]  # in the list's order where it has one
        shown = views.cards(conn, ids, None)
        added = {s.paper_id: s.at for s in lib.collection_signals(conn, found.id)}
        notes = item_notes(conn, found.id, ids)  # its owner's, public as on its page
        revised = revisions.read_in_since_added(conn, found.id, ids)
    listing = views.Listing(
        found.name,
        shown,
        len(shown),
        1,
        max(len(shown), 1),
        f"/c/{share_key}",
        f"/c/{share_key}/feed",
    )
    if fmt in ("atom", "rss"):
        base, token = site.settings.public_url.rstrip("/"), feeds.reader_token(request, site)
        body = feeds.render_listing(
            listing,
            fmt,
            base,
            added=added,
            token=token,
            notes=notes,
            sections=headings,
            revised=revised,
        )
        private = found.visibility != "public"
        exported = feeds.feed_response(request, body, feeds.MEDIA[fmt], private=private)
    else:  # as a reader's notes are in their export: what Zotero and JabRef read as notes,
        # and its section as a keyword (the tag a reader's collections are written as)
        noted = {
            pid: references.Annotations(notes.get(pid, ""), _tagged(headings.get(pid)))
            for pid in set(notes) | set(headings)
        }
        exported = _export(site, listing, fmt, found.slug, noted)
    return _unlisted(exported, found.visibility)


def _tagged(heading: str | None) -> tuple[str, ...]:
    return (heading,) if heading else ()


def _export(
    site: Site,
    listing: views.Listing,
    fmt: str,
    name: str,
    annotated: references.AnnotationsById | None = None,
) -> Response:
    papers = [c.paper for c in listing.cards]
    if fmt in ("atom", "rss"):
        body = feeds.render_listing(listing, fmt, site.settings.public_url.rstrip("/"))
        return Response(body, media_type=feeds.MEDIA[fmt])
    if fmt not in EXPORTS:
        raise HTTPException(404, "formats: atom, rss, bib, ris, json")
    return _written(papers, fmt, name, listing.title, annotated)


def _written(
    papers: list[Paper],
    fmt: str,
    name: str,
    title: str,
    annotated: references.AnnotationsById | None,
) -> Response:
    """Papers as a BibTeX, RIS or CSL-JSON download."""
    write = {"bib": bibtex.entries, "ris": references.ris, "json": references.csl_json}[fmt]
    media, ext = EXPORTS[fmt]
    return Response(
        write(papers, annotated), media_type=media, headers=_attachment(name, title, ext)
    )


def _attachment(slug: str, title: str, ext: str) -> dict[str, str]:
    """The download's file name: the slug, and (RFC 6266) the collection's own name where the
    slug lost some of it ("日本語の論文" is no "ri-ben-yu-nolun-wen")."""
    disposition = f'attachment; filename="{slug}.{ext}"'
    if not title.isascii():
        safe = "".join(ch for ch in title if ch.isprintable() and ch not in '/\\"')
        disposition += f"; filename*=UTF-8''{quote(f'{safe.strip()}.{ext}', safe='')}"
    return {"Content-Disposition": disposition}


@router.get("/library/export.{fmt}")
def export_library(
    site: SiteDep, user: SignedInDep, fmt: str, collection: RowIdQuery = None
) -> Response:
    """Your library (or one collection, yours or one you edit) as BibTeX, RIS or CSL-JSON."""
    with site.engine.connect() as conn:
        chosen = me_api.editable_collection(conn, user.id, collection) if collection else None
        items = lib.library(conn, user.id, chosen.id if chosen else None)
        if chosen is not None and chosen.user_id != user.id:
            items = editors.editor_shelf(conn, user.id, chosen, items)
        return _export_items(site, conn, user, items, fmt, chosen.slug if chosen else "library")


def _export_items(
    site: Site, conn: Connection, user: User, items: list[lib.LibraryItem], fmt: str, name: str
) -> Response:
    """Saved papers as an export of yours: with your notes, and your collections, reading
    state and 👍 / 👎 as tags."""
    ids = [i.paper_id for i in items]
    rated = lib.user_ratings(conn, user.id, ids)
    annotated = {i.paper_id: _annotations(i, rated.get(i.paper_id)) for i in items}
    if fmt in EXPORTS:  # the papers alone: no card's votes and comments counted for each
        found = views.current_papers(conn, ids)
        papers = [found[pid] for pid in ids if pid in found]
        return _written(papers, fmt, name, "Library", annotated)
    shown = views.cards(conn, ids, user)
    listing = views.Listing("Library", shown, len(shown), 1, 1, "/library", "/library/export")
    return _export(site, listing, fmt, name, annotated)


@router.post("/library/export-ticked", dependencies=[FormCsrf])
def export_ticked(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    fmt: Annotated[Literal["bib", "ris", "json"], Form()],
    paper_id: Annotated[list[str], Form(max_length=lib.BULK_MAX)] = [],  # noqa: B006
    next: NextField = "/library",
) -> Response:
    """The library's ticked papers as BibTeX, RIS or CSL-JSON, with your notes and tags, as a
    download (papers not saved are left out). None ticked: the library again, saying so."""
    ticked = {resolve_id(pid) for pid in paper_id}
    if not ticked:
        if _wants_json(request):
            raise HTTPException(400, "tick at least one paper")
        said = Said(problem="Nothing exported: tick at least one paper.", kept={"bulk": {}})
        return _library(request, site, user, _shelf_of(next), said, 400)
    with site.engine.connect() as conn:
        items = [i for i in lib.library(conn, user.id) if i.paper_id in ticked]
        answer = _export_items(site, conn, user, items, fmt, "library-selection")
    answer.headers["Content-Disposition"] = f'attachment; filename="library-selection.{fmt}"'
    return answer


def _annotations(item: lib.LibraryItem, rating: int | None) -> references.Annotations:
    return references.Annotations(item.note.strip(), tuple(item.collections), item.state, rating)
