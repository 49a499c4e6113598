"""The import page: a reference manager's file or a page's text into the library."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from paperfeed.ingest.zotero import ZoteroLibrary
from paperfeed.web import library_import
from paperfeed.web.deps import FormCsrf, SignedInDep, SiteDep, html

router = APIRouter(include_in_schema=False)


@router.get("/library/import")
def import_page(request: Request, site: SiteDep, user: SignedInDep) -> Response:
    """The form to import a BibTeX, RIS or CSL-JSON export."""
    body = site.render(
        "import.html", user=user, report=None, fetch_max=site.settings.import_fetch_max
    )
    return html(site, request, body)


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
        page = site.render(
            "import.html", user=user, error=exc.detail, fetch_max=site.settings.import_fetch_max
        )
        return html(site, request, page, exc.status_code)
    body = site.render(
        "import.html", user=user, report=report, fetch_max=site.settings.import_fetch_max
    )
    return html(site, request, body)


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
) -> Response:
    """Import the reader's Zotero library (or one of its collections) through Zotero's Web
    API and show what matched; the key is used for this import only."""
    from starlette.concurrency import run_in_threadpool

    library = ZoteroLibrary(
        "group" if zotero_library == "group" else "user",
        zotero_id.strip(),
        zotero_key.strip(),
        zotero_collection.strip(),
    )
    fetch_max = site.settings.import_fetch_max
    try:
        report = await run_in_threadpool(
            library_import.import_zotero,
            site,
            user,
            library,
            collection or None,
            tags_as_collections,
        )
    except HTTPException as exc:  # Zotero refused, or could not be reached: said on the form
        page = site.render(
            "import.html",
            user=user,
            error=exc.detail,
            fetch_max=fetch_max,
            zotero={
                "id": library.library_id,
                "library": library.kind,
                "collection": library.collection,
            },
        )
        return html(site, request, page, exc.status_code)
    body = site.render("import.html", user=user, report=report, fetch_max=fetch_max)
    return html(site, request, body)
