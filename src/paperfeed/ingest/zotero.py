"""A reader's Zotero library read through Zotero's Web API, as CSL-JSON for a library import.

`GET /users/<id>/items/top?format=csljson` (or `/groups/<id>/…`, or one collection's
`/collections/<key>/items/top`), a hundred items a request, `Zotero-API-Version: 3`, the
reader's key in `Zotero-API-Key` when they give one (a public library needs none). The key is
used for these requests only: nothing here keeps it. Zotero 7's desktop app serves the same
requests at http://localhost:23119/api, for a paperfeed on the reader's own machine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from paperfeed.ingest.http import PoliteClient
from paperfeed.ingest.run import SourceError

PAGE = 100  # the most items Zotero gives a request
LIBRARY_ID = re.compile(r"[0-9]{1,12}")
API_KEY = re.compile(r"[A-Za-z0-9]{1,64}")
COLLECTION_KEY = re.compile(r"[A-Z0-9]{8}")
ITEM_KEY = re.compile(r"[A-Za-z0-9]{1,16}")  # an item's key (Zotero's are 8 of [A-Z2-9])


class ZoteroError(Exception):
    """Zotero refused or could not give the library: `status` is the answer paperfeed gives."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ZoteroLibrary:
    """Which library to read: a user's (their user ID, not their name) or a group's, all of
    it or one collection, with the reader's API key where the library is not public."""

    kind: Literal["user", "group"]
    library_id: str
    api_key: str = ""
    collection: str = ""  # a collection's key, as in its zotero.org address

    def path(self) -> str:
        """The items' path under the API's address."""
        owner = f"/{self.kind}s/{self.library_id}"
        within = f"/collections/{self.collection}" if self.collection else ""
        return f"{owner}{within}/items/top"


def check(library: ZoteroLibrary) -> None:
    """Refuse what Zotero could not mean, before asking it: a 400 with what is wrong."""
    if not LIBRARY_ID.fullmatch(library.library_id):
        raise ZoteroError(
            400,
            "a Zotero library ID is a number (your user ID is on zotero.org/settings/keys, a "
            "group's in its address)",
        )
    if library.api_key and not API_KEY.fullmatch(library.api_key):
        raise ZoteroError(400, "a Zotero API key is letters and digits only")
    if library.collection and not COLLECTION_KEY.fullmatch(library.collection):
        raise ZoteroError(
            400, "a Zotero collection key is 8 capital letters and digits, as in its address"
        )


@dataclass(frozen=True)
class ZoteroItems:
    """What Zotero gave: its items as one CSL-JSON document (`{"items": [...]}`), how many,
    and the library's version they are as of (`Last-Modified-Version`; None if not said)."""

    data: bytes
    count: int
    version: int | None


def fetch_csl(
    library: ZoteroLibrary,
    base_url: str,
    client: PoliteClient,
    max_bytes: int,
    since: int | None = None,
) -> ZoteroItems:
    """The library's top-level items (those changed after version `since`, when given);
    `ZoteroError` with a message for the reader when Zotero cannot give them."""
    check(library)
    if not base_url:
        raise ZoteroError(404, "this site does not read Zotero libraries (no Zotero API address)")
    url = base_url.rstrip("/") + library.path()
    headers = {"Zotero-API-Version": "3"}
    if library.api_key:
        headers["Zotero-API-Key"] = library.api_key
    items: list[Any] = []
    size = 0
    version: int | None = None
    while True:
        params: dict[str, str | int] = {"format": "csljson", "limit": PAGE, "start": len(items)}
        if since is not None:
            params["since"] = since
        try:
            response = client.get(url, params, headers)
        except SourceError as exc:
            raise ZoteroError(502, f"could not read the library from Zotero: {exc}") from exc
        _refused(response.status_code, library)
        size += len(response.content)
        if size > max_bytes:
            raise ZoteroError(
                413,
                f"the library is over the {max_bytes // 1_000_000} MB an import may be: import "
                "it a collection at a time",
            )
        page = _items(response.content)
        items += page
        if version is None:  # as of the first page: a change while paging is read next time
            version = _total(response.headers.get("Last-Modified-Version"))
        total = _total(response.headers.get("Total-Results"))
        if not page or (len(items) >= total if total is not None else len(page) < PAGE):
            break
    return ZoteroItems(json.dumps({"items": items}).encode(), len(items), version)


def fetch_keys(
    library: ZoteroLibrary, base_url: str, client: PoliteClient, max_bytes: int
) -> set[str]:
    """The keys of every top-level item the library (or collection) holds now, not in the
    trash: one request (`format=keys` is not paged); `ZoteroError` as `fetch_csl`."""
    check(library)
    if not base_url:
        raise ZoteroError(404, "this site does not read Zotero libraries (no Zotero API address)")
    headers = {"Zotero-API-Version": "3"}
    if library.api_key:
        headers["Zotero-API-Key"] = library.api_key
    try:
        response = client.get(base_url.rstrip("/") + library.path(), {"format": "keys"}, headers)
    except SourceError as exc:
        raise ZoteroError(502, f"could not read the library from Zotero: {exc}") from exc
    _refused(response.status_code, library)
    if len(response.content) > max_bytes:
        raise ZoteroError(413, "the library's list of items is too long to read")
    keys = response.content.decode("utf-8", "replace").split()
    if not all(ITEM_KEY.fullmatch(key) for key in keys):
        raise ZoteroError(502, "Zotero's list of items was not one key a line; try again later")
    return set(keys)


def item_key(source_id: str) -> str | None:
    """The Zotero item key in a CSL-JSON item's id (the Web API writes "<library>/<key>", an
    export from the desktop app a URI ending in it); None when there is none."""
    key = source_id.rstrip("/").rsplit("/", 1)[-1]
    return key if ITEM_KEY.fullmatch(key) else None


def _refused(status: int, library: ZoteroLibrary) -> None:
    """Raise what a refusal means for the reader; nothing for a 200."""
    if status == 200:
        return
    what = "collection" if library.collection else "library"
    if status == 403:
        refused = (
            f"Zotero refused the API key for this {what}"
            if library.api_key
            else f"Zotero keeps this {what} private"
        )
        raise ZoteroError(
            403,
            f"{refused}: give a key that may read it (zotero.org/settings/keys, “Allow library "
            "access”; Zotero's desktop app answers only with “Allow other applications on this "
            "computer to communicate with Zotero” on)",
        )
    if status == 404:
        raise ZoteroError(404, f"Zotero has no such {what}: check its ID or key")
    raise ZoteroError(502, f"Zotero answered HTTP {status}; try again later")


def _items(body: bytes) -> list[Any]:
    """A page's CSL-JSON items (Zotero sends them under "items")."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ZoteroError(502, "Zotero's answer was not CSL-JSON; try again later") from exc
    found = data.get("items") if isinstance(data, dict) else data
    if not isinstance(found, list):
        raise ZoteroError(502, "Zotero's answer held no list of items; try again later")
    return found


def _total(header: str | None) -> int | None:
    """A count or version header of Zotero's as a number, when it sends a sensible one."""
    return int(header) if header and header.isdigit() else None
