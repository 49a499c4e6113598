"""Submitting a new arXiv paper."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from paperfeed.web import api_links, community, views
from paperfeed.web.api.common import _json, item_json
from paperfeed.web.api.schemas import ItemOut, SubmitIn
from paperfeed.web.auth import limit_submitter
from paperfeed.web.deps import ApiCsrf, SignedInDep, SiteDep

router = APIRouter()


@router.post(
    "/submit",
    response_model=ItemOut,
    status_code=201,
    dependencies=[ApiCsrf],
    responses={
        502: {"description": "arXiv could not be reached, or its answer was not usable: retry"},
        503: {"description": "other papers are being fetched from arXiv: retry in a minute"},
    },
    openapi_extra=api_links.links(201, api_links.paper_links("/paper/id")),
)
def submit(request: Request, site: SiteDep, user: SignedInDep, body: SubmitIn) -> Response:
    """Submit a new arXiv paper (from the last `submit_window_days` days), credited to you."""
    limit_submitter(site, request, user.id)
    try:
        done = community.submit_paper(site, user, body.id)
    except community.SubmitError as exc:
        raise HTTPException(exc.status, str(exc), headers=exc.headers) from exc
    with site.engine.connect() as conn:
        return _json(item_json(views.cards(conn, [done.paper_id], user)[0]), 201)
