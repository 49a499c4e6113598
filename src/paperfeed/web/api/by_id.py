"""Papers by id: one, many at a time, similar ones, and upvoting one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from paperfeed.keyphrases import keyphrases
from paperfeed.web import api_links, community, views
from paperfeed.web.api.common import (
    _answer,
    _cached,
    _conditional,
    _json,
    _tagged,
    dumps,
    item_json,
    paper_json,
    stamp,
)
from paperfeed.web.api.schemas import ItemOut, PaperOut, VoteOut
from paperfeed.web.citation import AskedVersion, asked_version, version_named
from paperfeed.web.deps import ApiCsrf, SignedInDep, Site, SiteDep, cache_key
from paperfeed.web.feeds import resolve_id
from paperfeed.web.upvoters import upvoters, upvoters_json
from paperfeed.web.views import Card

router = APIRouter()


def _asked_json(asked: AskedVersion | None) -> dict[str, Any]:
    if asked is None:
        return {}
    return {
        "askedVersion": {
            "number": asked.number,
            "exists": asked.exists,
            "submittedAt": stamp(asked.created),
            "latest": asked.latest,
            "arxivUrl": asked.arxiv_url,
        }
    }


def _one(site: Site, paper_id: str) -> Card:
    pid = resolve_id(paper_id)
    with site.engine.connect() as conn:
        found = views.cards(conn, [pid], None)
    if not found or found[0].flags.hidden:
        raise HTTPException(404, f"no paper {pid} here")
    return found[0]


MAX_IDS = 100
NOT_FOUND = "X-Not-Found"
Ids = Annotated[
    list[str],
    Query(
        min_length=1,
        description=f"arXiv ids (versions and URLs are read too), comma-separated or the "
        f"parameter repeated; at most {MAX_IDS}",
    ),
]


def _asked_ids(ids: list[str]) -> list[str]:
    """The stored ids a batch names, in its order and once each (a 400 names a bad one)."""
    asked = [part.strip() for value in ids for part in value.split(",") if part.strip()]
    if not asked:
        raise HTTPException(400, "ids: name at least one paper")
    if len(asked) > MAX_IDS:
        raise HTTPException(400, f"ids: at most {MAX_IDS} papers at a time, not {len(asked)}")
    try:
        return list(dict.fromkeys(resolve_id(a) for a in asked))
    except HTTPException as exc:
        raise HTTPException(400, f"ids: {exc.detail}") from exc


@router.get(
    "/papers",
    response_model=list[PaperOut],
    summary="Many papers",
    responses={
        200: {
            "headers": {
                NOT_FOUND: {
                    "description": "the asked ids not here, "
                    "comma-separated (absent when all were found)",
                    "schema": {"type": "string"},
                }
            }
        }
    },
    openapi_extra=_conditional({}),
)
def papers(request: Request, site: SiteDep, ids: Ids) -> Response:
    """Several papers by id in one call, in the order asked (each once); ids not here are left
    out and named in X-Not-Found."""
    wanted = _asked_ids(ids)

    def build() -> tuple[str, tuple[tuple[str, str], ...]]:
        with site.engine.connect() as conn:
            found = [c for c in views.cards(conn, wanted, None) if not c.flags.hidden]
        missing = [i for i in wanted if i not in {c.paper.id for c in found}]
        headers = ((NOT_FOUND, ",".join(missing)),) if missing else ()
        return dumps([paper_json(c) for c in found]), headers

    key = cache_key(request, site)
    hit = site.cache.get(key)
    if hit is None:
        body, headers = build()
        hit = _tagged(body, headers)
        site.cache.put(key, hit)
    return _answer(request, hit)


@router.get(
    "/papers/{paper_id:path}/similar",
    response_model=list[ItemOut],
    summary="Similar",
    openapi_extra=_conditional(api_links.listing_links()),
)
def similar(
    request: Request,
    site: SiteDep,
    paper_id: str,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    """Papers nearest to this one in meaning."""
    card = _one(site, paper_id)

    def build() -> object:
        found = views.similar(site.search(), site.engine, card.paper.id, limit, None)
        return [item_json(c) for c in found]

    return _cached(request, site, build)


_UNDO_UPVOTE = api_links.link(
    "DELETE", api_links.PAPER + "/upvote", "Undo the upvote", {"paper_id": "$response.body#/id"}
)
_UPVOTE = api_links.link(
    "POST", api_links.PAPER + "/upvote", "Upvote again", {"paper_id": "$response.body#/id"}
)


@router.post(
    "/papers/{paper_id:path}/upvote",
    response_model=VoteOut,
    dependencies=[ApiCsrf],
    openapi_extra=api_links.links(200, {"UndoUpvote": _UNDO_UPVOTE}),
)
def upvote(site: SiteDep, user: SignedInDep, paper_id: str) -> Response:
    """Upvote a paper (idempotent)."""
    card = _one(site, paper_id)
    count, state = community.vote(site, user, card.paper.id, True)
    return _json({"id": card.paper.id, "upvotes": count, "upvoted": state})


@router.delete(
    "/papers/{paper_id:path}/upvote",
    response_model=VoteOut,
    dependencies=[ApiCsrf],
    openapi_extra=api_links.links(200, {"Upvote": _UPVOTE}),
)
def remove_upvote(site: SiteDep, user: SignedInDep, paper_id: str) -> Response:
    """Undo an upvote (idempotent)."""
    card = _one(site, paper_id)
    count, state = community.vote(site, user, card.paper.id, False)
    return _json({"id": card.paper.id, "upvotes": count, "upvoted": state})


@router.get(
    "/papers/{paper_id:path}",
    response_model=PaperOut,
    summary="One paper",
    openapi_extra=_conditional(api_links.links(200, api_links.paper_links("/id"))),
)
def paper(request: Request, site: SiteDep, paper_id: str) -> Response:
    """One paper by arXiv id (versions and URLs are accepted: `askedVersion` says which)."""
    card = _one(site, paper_id)
    number = version_named(paper_id)
    asked = asked_version(card.paper, number) if number else None

    def build() -> object:
        with site.engine.connect() as conn:
            shown = upvoters(conn, card.paper.id, card.upvotes)
        named = {"upvotedBy": upvoters_json(shown), "keywords": list(keyphrases(card.paper))}
        return paper_json(card) | named | _asked_json(asked)

    return _cached(request, site, build)
