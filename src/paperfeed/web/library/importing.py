"""The import page: a reference manager's file or a page's text into the library."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from paperfeed.ingest.zotero import ZoteroLibrary
from paperfeed.store import zotero_links
from paperfeed.store.accounts import User
from paperfeed.web import library_import
from paperfeed.web.deps import FormCsrf, SignedInDep, Site, SiteDep, html

router = APIRouter(include_in_schema=False)


def _page(site: Site, user: User, **shown: Any) -> str:
    """The import page, with the reader's Zotero link (if any) and what else is `shown`."""
    with site.engine.connect() as conn:
        link = zotero_links.get_link(conn, user.id)
    shown.setdefault("report", None)
    return site.render(
        "import.html", user=user, link=link, fetch_max=site.settings.import_fetch_max, **shown
    )


@router.get("/library/import")
def import_page(request: Request, site: SiteDep, user: SignedInDep) -> Response:
    """The form to import a BibTeX, RIS or CSL-JSON export, or a Zotero library."""
    return html(site, request, _page(site, user))


PASTE_MAX = 1_000_000  # a page of a thousand papers' titles and authors is a fifth of this


@router.post("/library/import", dependencies=[FormCsrf])
async def import_upload(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    file: Annotated[UploadFile | None, File()] = None,
    text: Annotated[str, Form(max_length=PASTE_MAX)] = "",
    collection: Annotated[str, Form(max_length=200)] = "",
    tags_as_collections: Annotated[bool, Form()] = False,
) -> Response:
    """Import an export (a file, or text pasted from a page listing papers) into the library
    and show what matched."""
    from starlette.concurrency import run_in_threadpool

    try:
        data = await library_import.read_upload_or_text(file, text)
        report = await run_in_threadpool(
            library_import.import_references,
            site,
            user,
            data,
            collection or None,
            tags_as_collections,
        )
    except HTTPException as exc:  # a file that cannot be read: said on the form, to try again
        return html(site, request, _page(site, user, error=exc.detail), exc.status_code)
    return html(site, request, _page(site, user, report=report))


@router.post("/library/import/zotero", dependencies=[FormCsrf])
async def import_from_zotero(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    zotero_id: Annotated[str, Form(max_length=100)] = "",
    zotero_library: Annotated[str, Form(max_length=10)] = "user",
    zotero_key: Annotated[str, Form(max_length=100)] = "",
    zotero_collection: Annotated[str, Form(max_length=100)] = "",
    collection: Annotated[str, Form(max_length=200)] = "",
    tags_as_collections: Annotated[bool, Form()] = False,
    keep: Annotated[bool, Form()] = False,
) -> Response:
    """Import the reader's Zotero library (or one of its collections) through Zotero's Web
    API and show what matched; the key is used for this import only, unless the reader keeps
    the library in step (then it is kept until they unlink)."""
    from starlette.concurrency import run_in_threadpool

    library = ZoteroLibrary(
        "group" if zotero_library == "group" else "user",
        zotero_id.strip(),
        zotero_key.strip(),
        zotero_collection.strip(),
    )
    try:
        report = await run_in_threadpool(
            library_import.import_zotero,
            site,
            user,
            library,
            collection or None,
            tags_as_collections,
            keep,
        )
    except HTTPException as exc:  # Zotero refused, or could not be reached: said on the form
        typed = {"id": library.library_id, "library": library.kind, "keep": keep}
        typed["collection"] = library.collection  # everything but the key is kept
        page = _page(site, user, error=exc.detail, zotero=typed)
        return html(site, request, page, exc.status_code)
    return html(site, request, _page(site, user, report=report))


@router.post("/library/zotero/sync", dependencies=[FormCsrf])
async def sync_zotero(request: Request, site: SiteDep, user: SignedInDep) -> Response:
    """Import what is new in the reader's linked Zotero library now, and say how it went."""
    from starlette.concurrency import run_in_threadpool

    try:
        synced = await run_in_threadpool(library_import.sync_zotero, site, user)
    except HTTPException as exc:  # no link, or synced a moment ago: said on the page
        return html(site, request, _page(site, user, error=exc.detail), exc.status_code)
    return html(site, request, _page(site, user, synced=synced))


@router.post("/library/zotero/unlink", dependencies=[FormCsrf])
def unlink_zotero(request: Request, site: SiteDep, user: SignedInDep) -> Response:
    """Forget the reader's Zotero link and its key (the papers imported stay)."""
    with site.engine.begin() as conn:
        zotero_links.remove_link(conn, user.id)
    return html(site, request, _page(site, user, unlinked=True))
