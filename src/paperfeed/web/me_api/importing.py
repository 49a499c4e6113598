"""Importing a reference manager's file or a page's text into your library."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from paperfeed.ingest.zotero import ZoteroLibrary
from paperfeed.store import zotero_links
from paperfeed.web import library_import
from paperfeed.web.deps import ApiCsrf, SignedInDep, SiteDep
from paperfeed.web.me_api.common import _json
from paperfeed.web.me_api.schemas import (
    REMOVED,
    ImportOut,
    RemovedOut,
    ZoteroImportIn,
    ZoteroLinkOut,
    ZoteroSyncOut,
)

router = APIRouter()


_PASTE_BODY = {
    "requestBody": {
        "content": {
            "text/plain": {
                "schema": {"type": "string"},
                "example": "Poster Session A (14:00-15:30)\n1. Simplifying Graph Transformers. "
                "Liheng Ma, Yingxue Zhang\nhttps://arxiv.org/abs/2506.01928\n",
            }
        }
    }
}


@router.post(
    "/library/import",
    dependencies=[ApiCsrf],
    response_model=ImportOut,
    openapi_extra=_PASTE_BODY,
)
async def import_file(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    file: Annotated[
        UploadFile | None,
        File(
            description="BibTeX, RIS, CSL-JSON, a list of arXiv ids, URLs or DOIs, a CSV "
            "table of them with a rating column (1 or -1, up or down, 👍 or 👎, or 1 to 5 stars), "
            "or a page's text listing papers; or leave it out and send `text`"
        ),
    ] = None,
    text: Annotated[
        str,
        Form(
            max_length=library_import.PASTE_MAX,
            description="text pasted from a page listing papers (numbered lines, title and "
            "authors blocks, a Markdown table, titles and links mixed), instead of a file",
        ),
    ] = "",
    collection: Annotated[str | None, Form(max_length=200)] = None,
    tags_as_collections: Annotated[
        bool, Form(description="put each paper into collections named after its tags")
    ] = False,
) -> Response:
    """Import a reference-manager export, or a page's text listing papers (as `text`, or as
    a text/plain body), fetching arXiv papers not here; reports the outcome. Notes in the
    file are added to yours, a "read" tag marks a paper read, and the other tags become
    collections when `tags_as_collections` is true."""
    sent = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if file is None and not text and sent == "text/plain":
        text = await library_import.read_plain_body(request)
    elif file is None and not text and sent not in _FORMS:
        # a JSON body was answered "choose a file", which says nothing of how to send one
        raise HTTPException(
            415,
            f"this takes a file as multipart/form-data (field `file`), a form's `text`, or a "
            f"text/plain body; not {sent or 'a body without a Content-Type'}",
        )
    data = await library_import.read_upload_or_text(file, text)
    from starlette.concurrency import run_in_threadpool

    report = await run_in_threadpool(
        library_import.import_references, site, user, data, collection or None, tags_as_collections
    )
    return _json(report)


_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


@router.post("/library/import/zotero", dependencies=[ApiCsrf], response_model=ImportOut)
async def import_zotero(body: ZoteroImportIn, site: SiteDep, user: SignedInDep) -> Response:
    """Import your Zotero library (or one of its collections) through Zotero's Web API, as an
    export of it would be imported (`POST /api/me/library/import`); `zotero_items` counts the
    items Zotero gave. The key is used for this import's requests and not kept. Zotero
    refusing the key or the library is a 403 or 404 that says so; Zotero unreachable, a 502."""
    from starlette.concurrency import run_in_threadpool

    library = ZoteroLibrary(body.library, body.id, body.key, body.collection_key)
    report = await run_in_threadpool(
        library_import.import_zotero,
        site,
        user,
        library,
        body.collection or None,
        body.tags_as_collections,
        body.keep,
    )
    return _json(report)


def _link_out(link: zotero_links.ZoteroLink) -> dict[str, Any]:
    def when(at: datetime | None) -> str | None:
        return at.replace(tzinfo=UTC).isoformat() if at else None

    return {
        "library": link.kind,
        "id": link.library_id,
        "collection_key": link.collection_key,
        "key_hint": link.key_hint,
        "collection": link.into_collection,
        "tags_as_collections": link.tags_as_collections,
        "linked_at": when(link.created_at),
        "synced_at": when(link.synced_at),
        "added": link.added,
        "removed": link.removed,
        "error": link.error,
    }


@router.get("/zotero", response_model=ZoteroLinkOut, responses={404: {"description": "none"}})
def zotero_link(site: SiteDep, user: SignedInDep) -> Response:
    """The Zotero library kept in step with yours (`keep` on an import from Zotero), and how
    its last sync went; 404 when none is linked."""
    with site.engine.connect() as conn:
        link = zotero_links.get_link(conn, user.id)
    if link is None:
        raise HTTPException(404, "no Zotero library is linked to your account")
    return _json(_link_out(link))


@router.post("/zotero/sync", dependencies=[ApiCsrf], response_model=ZoteroSyncOut)
async def sync_zotero(site: SiteDep, user: SignedInDep) -> Response:
    """Import what is new in your linked Zotero library now (the daily `zotero` job does it
    too); 404 when none is linked, 429 within a minute of the last sync."""
    from starlette.concurrency import run_in_threadpool

    return _json(await run_in_threadpool(library_import.sync_zotero, site, user))


@router.delete(
    "/zotero",
    dependencies=[ApiCsrf],
    response_model=RemovedOut,
    description="Unlink your Zotero library: its key is forgotten, the papers imported stay. "
    + REMOVED,
)
def unlink_zotero(site: SiteDep, user: SignedInDep) -> Response:
    with site.engine.begin() as conn:
        removed = zotero_links.remove_link(conn, user.id)
    return _json({"removed": removed})
