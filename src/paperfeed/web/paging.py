"""How the API's lists page: `p` (0-based) and `limit`, and RFC 8288 `Link` headers to the
next and previous pages, so a client follows `rel="next"` until there is none."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import Query, Request

from paperfeed.web.views import MAX_PAGE

PageIndex = Annotated[int, Query(ge=0, le=MAX_PAGE - 1, description="0-based page index")]
# A personal list grows with every click and has no cap (ratings: each 👍 / 👎 in a digest;
# the library: each save or import; collections: an import's tags; follows and mutes), so it
# comes a page at a time even when no limit is given, as the site's other lists do.
DEFAULT_LIMIT = 50
Limit = Annotated[
    int, Query(ge=1, le=1000, description=f"items per page ({DEFAULT_LIMIT} when left out)")
]
T = TypeVar("T")
_PATH_SAFE = "/:@-._~!$&'()*+,;="
HEADERS: dict[str, Any] = {
    "Link": {
        "description": 'RFC 8288 links to the rel="next" page (when there is more) and the '
        'rel="prev" page (after the first)',
        "schema": {"type": "string"},
    },
    "X-Total-Count": {
        "description": "how many items the whole list holds",
        "schema": {"type": "string"},
    },
}


def page_links(
    request: Request,
    base_url: str,
    p: int,
    more: bool,
    pinned: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The `Link` header of page `p` of a list (none for a lone page): `next` when `more`
    items follow it (within the pages `p` reaches), `prev` after the first page. `pinned`:
    parameters the links add where the request left them to a default that can move (the
    newest day), so that the next page is of the same list."""
    more = more and p + 1 < MAX_PAGE
    rels = ([("next", p + 1)] if more else []) + ([("prev", p - 1)] if p > 0 else [])
    if not rels:
        return {}
    links = (
        f'<{_page_url(request, base_url, page, pinned or {})}>; rel="{rel}"' for rel, page in rels
    )
    return {"Link": ", ".join(links)}


def in_pages(
    request: Request, base_url: str, found: Sequence[T], p: int, limit: int
) -> tuple[list[T], dict[str, str]]:
    """Page `p` of a whole list and its headers: how many the list holds (X-Total-Count) and
    the links to the pages beside it."""
    items = list(found[p * limit : (p + 1) * limit])
    more = (p + 1) * limit < len(found)
    return items, {"X-Total-Count": str(len(found))} | page_links(request, base_url, p, more)


def _page_url(
    request: Request, base_url: str, page: int, pinned: Mapping[str, str] | None = None
) -> str:
    """The request's address at the site's public URL with its page `page` (other parameters
    kept, in order; `pinned` ones added where not given)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "p"]
    given = {k for k, v in query if v}
    query = [(k, v) for k, v in query if v or k not in (pinned or {})]
    query += [(k, v) for k, v in (pinned or {}).items() if k not in given]
    query += [("p", str(page))] if page else []
    path = base_url.rstrip("/") + quote(request.url.path, safe=_PATH_SAFE)
    return f"{path}?{urlencode(query)}" if query else path


def documented(extra: dict[str, Any], total: bool = True) -> dict[str, Any]:
    """A route's `openapi_extra` with the paging headers on its 200 response (X-Total-Count
    where the list says how long it is)."""
    responses = extra.setdefault("responses", {})
    headers = HEADERS if total else {"Link": HEADERS["Link"]}
    responses.setdefault("200", {}).setdefault("headers", {}).update(headers)
    return extra
