"""What the /api routes share: paging parameters, papers and list entries as JSON, kept answers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Annotated, Any

import orjson
from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from paperfeed.models import Paper
from paperfeed.store.accounts import User
from paperfeed.store.listings import Hide
from paperfeed.web import paging, views, walk
from paperfeed.web.cache import Cached, not_modified
from paperfeed.web.deps import Site, cache_key
from paperfeed.web.views import MAX_PAGE, Card

JSON = "application/json"
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page (at most 100)")]
PageIndex = Annotated[int, Query(ge=0, le=MAX_PAGE - 1, description="0-based page index")]
ShowMuted = Annotated[
    bool,
    Query(
        description="With a bearer token: include the papers the user's mutes leave out "
        "(left out by default; the X-Hidden-By-Mutes header counts them)"
    ),
]
HIDDEN = "X-Hidden-By-Mutes"


def stamp(value: date | datetime | None) -> str | None:
    """A date or time as the API writes it (Hugging Face's `2026-07-01T00:00:00.000Z`)."""
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.combine(value, time.min)
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _submitter(card: Card) -> dict[str, str] | None:
    if card.submission:
        name = card.submission.username
    elif card.paper.signals and card.paper.signals.submitted_by:
        name = card.paper.signals.submitted_by
    else:
        return None
    return {"name": name, "fullname": name, "type": "user"}


def paper_json(card: Card) -> dict[str, Any]:
    """A paper in the API's shape."""
    p: Paper = card.paper
    sig = p.signals
    repo = card.enrichment.repo if card.enrichment else None
    return {
        "id": p.id,
        "title": p.title,
        "summary": p.abstract,
        "authors": [{"name": a} for a in p.authors],
        "publishedAt": stamp(p.published or p.listing_date),
        "upvotes": card.upvotes,
        "categories": list(p.categories),
        "listingDate": p.listing_date.isoformat() if p.listing_date else None,
        "version": p.version,
        "comments": p.comments,
        "journalRef": p.journal_ref,
        "doi": p.doi,
        "arxivUrl": p.abs_url,
        "pdfUrl": p.pdf_url,
        "codeLinks": list(
            dict.fromkeys((card.enrichment.code if card.enrichment else ()) + p.code_links)
        ),
        "githubRepo": repo.full_name if repo else (sig.github_repo if sig else None),
        "githubStars": repo.stars if repo else (sig.github_stars if sig else None),
        "numModels": card.enrichment.models if card.enrichment else 0,
        "numDatasets": card.enrichment.datasets if card.enrichment else 0,
        "numSpaces": card.enrichment.spaces if card.enrichment else 0,
        "numComments": card.comments,
        "withdrawn": p.withdrawn,
        "submittedOnDailyBy": _submitter(card),
    }


def item_json(card: Card) -> dict[str, Any]:
    """A list entry: the paper plus when and by whom it was put on a daily page."""
    day = card.paper.listing_date or (card.submission.day if card.submission else None)
    item: dict[str, Any] = {
        "paper": paper_json(card),
        "title": card.paper.title,
        "summary": card.paper.abstract,
        "publishedAt": stamp(day or card.paper.published),
        "numComments": card.comments,
        "submittedBy": _submitter(card),
        "thumbnail": None,
    }
    if card.score is not None:
        item["trendingScore" if card.snippet is None else "score"] = card.score
    if card.snippet is not None:
        item["highlight"] = str(card.snippet)
    return item


def dumps(data: object) -> str:
    """JSON text of an API answer (orjson: a 20-item search page in a sixth of json's time)."""
    return orjson.dumps(data).decode()


def _json(data: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status, headers, media_type=JSON)


def _cached(
    request: Request,
    site: Site,
    build: Callable[[], object],
    keep: Callable[[Any], bool] | None = None,
) -> Response:
    """Public GET answers, cached until the data changes (those `keep` accepts, where given:
    an answer that changes without the data version, as one waiting for embeddings, is not)."""
    key = cache_key(request, site)
    hit = site.cache.get(key)
    if hit is None:
        built = build()
        hit = _tagged(dumps(built))
        if keep is None or keep(built):
            site.cache.put(key, hit)
    return _answer(request, hit)


def _tagged(body: str, headers: tuple[tuple[str, str], ...] = ()) -> Cached:
    """A public answer to keep, with its ETag (a client polling it gets a 304 until it changes)."""
    tag = hashlib.sha256(body.encode()).hexdigest()[:32]
    return Cached(body, JSON, (*headers, ("ETag", f'"{tag}"')))


def _conditional(extra: dict[str, Any]) -> dict[str, Any]:
    """A public GET's `openapi_extra` with its ETag and the 304 that If-None-Match gets."""
    responses = extra.setdefault("responses", {})
    etag = {
        "description": "the answer's version: send it as If-None-Match",
        "schema": {"type": "string"},
    }
    responses.setdefault("200", {}).setdefault("headers", {})["ETag"] = etag
    responses["304"] = {"description": "Not modified: the copy If-None-Match names is current"}
    return extra


def _answer(request: Request, hit: Cached) -> Response:
    """A kept answer, or 304 Not Modified when the client's If-None-Match names its ETag."""
    headers = dict(hit.headers)
    if not_modified(hit, request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(hit.body, media_type=JSON, headers=headers)


def _reader_hide(request: Request, site: Site, user: User | None, show: bool) -> Hide | None:
    """A signed-in caller's mutes (None for visitors and users without mutes)."""
    if user is None:
        return None
    from paperfeed.web.library import hide_for  # the For you stack loads on first use

    return hide_for(request, site, user, show)


def past_end_none(
    site: Site, build: Callable[[Connection], views.Listing | None]
) -> Callable[[], views.Listing | None]:
    """A list's page as `_listed` asks for it: built on a short connection, None past its end."""

    def listing() -> views.Listing | None:
        try:
            with site.engine.connect() as conn:
                return build(conn)
        except views.PageOutOfRange:
            return None

    return listing


def _listed(
    request: Request,
    site: Site,
    hide: Hide | None,
    p: int,
    listing: Callable[[], views.Listing | None],
    pinned: Mapping[str, str] | None = None,
) -> Response:
    """A list's items with its paging links: cached for everyone alike, or left without the
    caller's mutes (and not cached) with the count they left out in X-Hidden-By-Mutes.
    `pinned`: parameters for the links that `listing` fills in as it reads the list."""
    if hide is None:
        key = cache_key(request, site)
        hit = site.cache.get(key)
        if hit is None:
            found = listing()
            hit = _tagged(dumps(_items(found)), _paged(request, site, p, found, None, pinned))
            site.cache.put(key, hit)
        return _answer(request, hit)
    found = listing()
    headers = dict(_paged(request, site, p, found, None, pinned))
    return _json(_items(found), headers={HIDDEN: str(found.hidden if found else 0)} | headers)


_Page = tuple[list[dict[str, Any]], tuple[tuple[str, str], ...], int]


def _walked(
    request: Request,
    site: Site,
    hide: Hide | None,
    step: Callable[[], _Page],
    key: tuple[str, ...] | None = None,
) -> Response:
    """A page of a walk by cursor: cached for everyone alike (under `key`, by default the
    store's), or (with the caller's mutes) not cached, with how many of the papers read they
    left out in X-Hidden-By-Mutes."""
    if hide is not None:
        items, headers, hidden = step()
        return _json(items, headers={HIDDEN: str(hidden)} | dict(headers))
    key = key or cache_key(request, site)
    hit = site.cache.get(key)
    if hit is None:
        items, headers, _hidden = step()
        hit = _tagged(dumps(items), headers)
        site.cache.put(key, hit)
    return _answer(request, hit)


def _paged(
    request: Request,
    site: Site,
    p: int,
    found: views.Listing | None,
    deepest: int | None = None,
    pinned: Mapping[str, str] | None = None,
) -> tuple[tuple[str, str], ...]:
    """The paging headers of page `p` of a listing: Link to the next and previous pages (no
    next past the `deepest` item a client may ask to start from; `pinned`: parameters they
    add, see paging.page_links)."""
    more = False
    if found is not None:
        following = (p + 1) * found.per_page  # where the next page starts
        more = following < found.total and (deepest is None or following <= deepest)
    links = paging.page_links(request, site.settings.public_url, p, more, pinned)
    return tuple(links.items())


def _items(listing: views.Listing | None) -> list[dict[str, Any]]:
    return [item_json(c) for c in listing.cards] if listing else []


def _walkable(extra: dict[str, Any]) -> dict[str, Any]:
    """A list's `openapi_extra` with the X-Next-Cursor header of its 200 answer."""
    extra["responses"]["200"]["headers"].update(walk.HEADER)
    return extra
