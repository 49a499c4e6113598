"""Linked Zotero libraries kept in step: what changed in a reader's Zotero library since the last
sync (Zotero's `since`, the library version the last one read up to) is imported into their
library, once a day by the pipeline's `zotero` job and whenever the reader asks ("Sync now").

An item that leaves the linked library (deleted, put in the trash, taken out of the linked
collection) takes its paper out of the library here too, where the link had put it there (a
paper the reader saved before the link or that another item still matches stays): when the
library's version moved, the sync reads the keys of the items it holds now (one request) and
forgets those gone. Only one sync of a link runs at a time (a claim in the store); one that
died is taken over after STALE.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from paperfeed import references
from paperfeed.ingest.http import PoliteClient
from paperfeed.ingest.run import SourceError
from paperfeed.ingest.zotero import (
    ZoteroError,
    ZoteroItems,
    ZoteroLibrary,
    fetch_csl,
    fetch_keys,
    item_key,
)
from paperfeed.pipeline.chains import add_papers
from paperfeed.references import Reference
from paperfeed.references.importing import (
    Fetched,
    ImportRefused,
    OnSaved,
    fetch_capped,
    import_references,
)
from paperfeed.settings import Settings
from paperfeed.store import library as lib
from paperfeed.store import zotero_links as links

log = logging.getLogger(__name__)
EVERY = timedelta(hours=20)  # a link synced less than this ago is not due (a daily job)
STALE = timedelta(minutes=30)  # a sync claimed longer ago than this died: taken over
ZOTERO_SECONDS = 60.0  # the most one request to Zotero may take, its retries included


@dataclass(frozen=True)
class Synced:
    """How one link's sync went: Zotero's changed items, the papers added, or why it failed
    (`skipped`: no link, or another sync of it is under way)."""

    items: int = 0
    added: int = 0
    error: str | None = None
    skipped: bool = False
    removed: int = 0


def read_library(
    settings: Settings, library: ZoteroLibrary, since: int | None = None
) -> ZoteroItems:
    """The library's items (changed after version `since`, when given) from the Zotero
    address the settings name, each request within ZOTERO_SECONDS, 429s and 503s waited out."""
    client = _client(settings)
    try:
        return fetch_csl(
            library, settings.zotero_api_url, client, references.MAX_IMPORT_BYTES, since
        )
    finally:
        client.close()


def read_keys(settings: Settings, library: ZoteroLibrary) -> set[str]:
    """The keys of the items the library holds now (not in its trash)."""
    client = _client(settings)
    try:
        return fetch_keys(library, settings.zotero_api_url, client, references.MAX_IMPORT_BYTES)
    finally:
        client.close()


def _client(settings: Settings) -> PoliteClient:
    return PoliteClient(
        delay=0.0,
        retries=settings.http_retries,
        timeout=settings.http_timeout,
        deadline=ZOTERO_SECONDS,
    )


def noting_items(user_id: int, whole: bool) -> OnSaved:
    """What an import of the linked library does as it saves: note which Zotero item brought
    which paper (`whole`: it read the whole library, a link made or made again)."""

    def note(conn: Connection, hits: list[tuple[Reference, str]], new: set[str]) -> None:
        matched = {key: pid for ref, pid in hits if (key := item_key(ref.source_id)) is not None}
        links.record_items(conn, user_id, matched, new, whole)

    return note


def library_of(link: links.ZoteroLink) -> ZoteroLibrary:
    """The Zotero library a link reads."""
    if link.kind == "group":
        return ZoteroLibrary("group", link.library_id, link.api_key, link.collection_key)
    return ZoteroLibrary("user", link.library_id, link.api_key, link.collection_key)


def sync_link(engine: Engine, settings: Settings, user_id: int, now: datetime) -> Synced:
    """Import what changed in the reader's linked library since its last sync, and record it
    on the link (its error instead, the version kept, when Zotero or the import refused)."""
    with engine.begin() as conn:
        link = links.claim(conn, user_id, now, now - STALE)
    if link is None:
        return Synced(skipped=True)
    version, outcome = link.version, Synced()
    try:
        got = read_library(settings, library_of(link), since=link.version)
        added = 0
        if got.count:
            report = import_references(
                engine,
                user_id,
                got.data,
                link.into_collection,
                link.tags_as_collections,
                fetch=lambda ids: _fetch(engine, settings, ids),
                on_saved=noting_items(user_id, whole=False),
            )
            added = int(report["added"])
        removed = 0
        if got.version is None or got.version != link.version:  # something changed there
            removed = _take_out_removed(engine, settings, link)
        version = got.version if got.version is not None else version
        outcome = Synced(items=got.count, added=added, removed=removed)
    except (ZoteroError, ImportRefused) as exc:
        outcome = Synced(error=str(exc))
    except Exception as exc:  # recorded, the link freed: the next run tries again
        log.exception("the Zotero sync of account %s failed", user_id)
        outcome = Synced(error=f"the sync failed here: {exc}")
    finally:
        with engine.begin() as conn:
            links.finish(conn, user_id, now, version, outcome.added, outcome.error, outcome.removed)
    return outcome


def _take_out_removed(engine: Engine, settings: Settings, link: links.ZoteroLink) -> int:
    """Forget the noted items the library no longer holds, and take the papers the link had
    put in the library for them out of it; how many papers were taken out."""
    present = read_keys(settings, library_of(link))
    with engine.begin() as conn:
        gone = links.forget_gone(conn, link.user_id, present)
        return lib.unsave_papers(conn, link.user_id, gone) if gone else 0


def _fetch(engine: Engine, settings: Settings, ids: Sequence[str]) -> Fetched:
    """The arXiv papers a sync's items name that the store lacks, fetched as an import does
    (`import_fetch_max` at most); those arXiv does not give are said so."""

    def fetch(wanted: list[str]) -> str | None:
        try:
            add_papers(engine, settings, wanted, settings.submit_fetch_seconds)
        except SourceError as exc:
            return str(exc)
        return None

    return fetch_capped(engine, ids, settings.import_fetch_max, fetch)


def sync_due(engine: Engine, settings: Settings, now: datetime) -> dict[str, object]:
    """Sync every link not synced in the last EVERY (the pipeline's daily `zotero` job)."""
    if not settings.zotero_api_url:
        return {"disabled": 1}
    with engine.connect() as conn:
        due = links.due(conn, now - EVERY)
    counts = {"due": len(due), "synced": 0, "failed": 0, "items": 0, "added": 0, "removed": 0}
    for user_id in due:
        done = sync_link(engine, settings, user_id, now)
        if done.skipped:
            continue
        counts["failed" if done.error else "synced"] += 1
        counts["items"] += done.items
        counts["added"] += done.added
        counts["removed"] += done.removed
    return dict(counts)
