"""Your ratings under /api/me: listing, rating and clearing them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from paperfeed.store import library as lib
from paperfeed.web import api_links, paging, views
from paperfeed.web.api import PageIndex, paper_json, stamp
from paperfeed.web.deps import ApiCsrf, SignedInDep, SiteDep
from paperfeed.web.me_api.common import _json, known_paper
from paperfeed.web.me_api.schemas import REMOVED, RatedOut, RatingClearedOut, RatingIn, RatingOut

router = APIRouter()


_RATINGS = "/api/me/ratings/{paper_id}"


@router.get(
    "/ratings",
    response_model=list[RatingOut],
    summary="List your ratings",
    openapi_extra=paging.documented(
        api_links.links(
            200,
            {
                "Unrate": api_links.link(
                    "DELETE",
                    _RATINGS,
                    "Take the first back",
                    {"paper_id": "$response.body#/0/paper/id"},
                )
            },
        )
    ),
)
def ratings(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    p: PageIndex = 0,
    limit: paging.Limit = paging.DEFAULT_LIMIT,
) -> Response:
    """Your ratings, newest first: each paper with 1 (more like this) or -1 (less like this);
    a page of `limit` at a time (50 unless asked; the Link header's rel="next" is the next
    page, X-Total-Count how many there are in all)."""
    with site.engine.connect() as conn:
        rated, headers = paging.in_pages(
            request, site.settings.public_url, lib.list_ratings(conn, user.id), p, limit
        )
        cards = {c.paper.id: c for c in views.cards(conn, [r.paper_id for r in rated], user)}
    answer = _json(
        [
            {
                "paper": paper_json(cards[r.paper_id]),
                "rating": r.rating,
                "ratedAt": stamp(r.rated_at),
            }
            for r in rated
            if r.paper_id in cards
        ]
    )
    answer.headers.update(headers)
    return answer


@router.put(
    "/ratings/{paper_id:path}",
    dependencies=[ApiCsrf],
    response_model=RatedOut,
    openapi_extra=api_links.links(
        200,
        {
            "Unrate": api_links.link(
                "DELETE", _RATINGS, "Take the rating back", {"paper_id": "$response.body#/id"}
            ),
            "Feed": api_links.link("GET", "/api/me/feed", "The feed it tunes"),
        },
    ),
)
def rate(site: SiteDep, user: SignedInDep, paper_id: str, body: RatingIn) -> Response:
    """Rate a paper: 1 (more like this) or -1 (less like this); private to you."""
    with site.engine.begin() as conn:
        pid = known_paper(conn, paper_id)
        lib.set_rating(conn, user.id, pid, body.rating)
    return _json({"id": pid, "rating": body.rating})


@router.delete(
    "/ratings/{paper_id:path}",
    dependencies=[ApiCsrf],
    response_model=RatingClearedOut,
    description=f"Clear your rating of a paper. {REMOVED}",
)
def unrate(site: SiteDep, user: SignedInDep, paper_id: str) -> Response:
    """Clear your rating of a paper."""
    with site.engine.begin() as conn:
        pid = known_paper(conn, paper_id)
        removed = bool(lib.user_ratings(conn, user.id, [pid]))
        lib.set_rating(conn, user.id, pid, None)
    return _json({"id": pid, "rating": None, "removed": removed})
