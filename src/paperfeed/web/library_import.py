"""Library import from the web: an upload or pasted text (or a Zotero library read through its
Web API) imported by `references.importing`, the arXiv papers missing fetched as Submit does,
and its refusals as HTTP answers."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request, UploadFile

from paperfeed import references
from paperfeed.ingest.zotero import ZoteroError, ZoteroLibrary
from paperfeed.pipeline.zotero_sync import noting_items, read_library, sync_link
from paperfeed.references import importing
from paperfeed.store import zotero_links
from paperfeed.store.accounts import User
from paperfeed.util import utcnow
from paperfeed.web import community
from paperfeed.web.deps import Site


async def read_upload(file: UploadFile) -> bytes:
    """The upload's bytes; 413 when it is over the import limit, saying how big it is."""
    data = await file.read(references.MAX_IMPORT_BYTES + 1)
    if len(data) > references.MAX_IMPORT_BYTES:
        raise HTTPException(413, references.too_big(file.size or len(data)))
    return data


PASTE_MAX = 1_000_000  # a page of a thousand papers' titles and authors is a fifth of this


async def read_plain_body(request: Request) -> str:
    """A text/plain request's body as text; 413 when it is over the paste limit, 400 when it
    is not UTF-8."""
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > PASTE_MAX:
            raise HTTPException(413, f"pasted text is over {PASTE_MAX:,} bytes")
    try:
        return data.decode()
    except UnicodeDecodeError as exc:
        raise HTTPException(400, "a text/plain body must be UTF-8 text") from exc


async def read_upload_or_text(file: UploadFile | None, text: str) -> bytes:
    """The uploaded file's bytes, else the pasted text's; 400 when there is neither."""
    if file is not None and file.filename:
        return await read_upload(file)
    if text.strip():
        return text.encode()
    raise HTTPException(400, "choose a file, or paste a list of papers (titles, links or ids)")


def import_references(
    site: Site,
    user: User,
    data: bytes,
    collection: str | None,
    tags_as_collections: bool = False,
    on_saved: importing.OnSaved | None = None,
) -> dict[str, Any]:
    """`references.importing.import_references` into the reader's library, fetching the arXiv
    papers the store lacks as Submit does; its refusal as the HTTP answer it names."""
    try:
        return importing.import_references(
            site.engine,
            user.id,
            data,
            collection,
            tags_as_collections,
            fetch=lambda ids: community.fetch_missing(site, user, ids),
            on_saved=on_saved,
        )
    except importing.ImportRefused as exc:
        raise HTTPException(exc.status, str(exc)) from exc


def import_zotero(
    site: Site,
    user: User,
    library: ZoteroLibrary,
    collection: str | None,
    tags_as_collections: bool = False,
    keep: bool = False,
) -> dict[str, Any]:
    """Read the reader's Zotero library (or one collection of it) through Zotero's Web API as
    CSL-JSON and import it as a file of it would be (`import_references`); `zotero_items`
    counts the items Zotero gave. An import again adds only what is new. With `keep`, the
    library is linked (its key kept) and the daily `zotero` job imports what is new in it
    (`linked`). Zotero's refusals and failures are 4xx/502s that say what to change."""
    try:
        got = read_library(site.settings, library)
    except ZoteroError as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    if not got.count:
        raise HTTPException(400, "the Zotero library holds no items to import")
    noting = noting_items(user.id, whole=True) if keep else None
    report = import_references(site, user, got.data, collection, tags_as_collections, noting)
    if keep:
        with site.engine.begin() as conn:
            zotero_links.save_link(
                conn,
                user.id,
                library.kind,
                library.library_id,
                library.api_key,
                library.collection,
                collection,
                tags_as_collections,
                got.version,
                utcnow(),
                int(report["added"]),
            )
    return report | {"format": "Zotero library", "zotero_items": got.count, "linked": keep}


SYNC_GAP = 60.0  # seconds: "Sync now" again sooner is refused (each sync asks Zotero)


def sync_zotero(site: Site, user: User) -> dict[str, Any]:
    """Sync the reader's linked Zotero library now (`pipeline.zotero_sync.sync_link`): how it
    went as `items`, `added` and `error`; 404 without a link, 429 within SYNC_GAP of the last
    sync or while another runs."""
    now = utcnow()
    with site.engine.connect() as conn:
        link = zotero_links.get_link(conn, user.id)
    if link is None:
        raise HTTPException(404, "no Zotero library is linked to your account")
    if link.synced_at is not None and (now - link.synced_at).total_seconds() < SYNC_GAP:
        wait = int(SYNC_GAP - (now - link.synced_at).total_seconds()) + 1
        raise HTTPException(
            429, f"synced a moment ago; try again in {wait} s", headers={"Retry-After": str(wait)}
        )
    done = sync_link(site.engine, site.settings, user.id, now)
    if done.skipped:
        raise HTTPException(429, "a sync of your Zotero library is under way; try again soon")
    if done.items or done.removed:
        site.paper_changed()  # papers fetched from arXiv for it show at once
    return {"items": done.items, "added": done.added, "removed": done.removed, "error": done.error}
