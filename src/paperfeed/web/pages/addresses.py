"""Addresses readers bring from Hugging Face, arXiv and arxiv-sanity-lite, redirected here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.web.citation import version_named
from paperfeed.web.deps import SiteDep
from paperfeed.web.feeds import resolve_id
from paperfeed.web.pages.common import _to_paper
from paperfeed.web.pages.daily import _picked_day
from paperfeed.web.pages.searching import QUERY_READ_MOST
from paperfeed.web.periods import parse_period
from paperfeed.web.render import paper_url, query_string

router = APIRouter(include_in_schema=False)


# Addresses readers bring from other sites: Hugging Face's daily and trending papers
# (/papers?date=2026-07-01, /papers/trending) and arXiv's own, with the host swapped
# (/abs/2401.12345, /pdf/2401.12345v2, as alphaXiv invites).
@router.get("/papers", include_in_schema=False)
@router.get("/papers/", include_in_schema=False)
def papers_index(
    site: SiteDep,
    day: Annotated[str | None, Query(alias="date", max_length=32)] = None,
    q: Annotated[str, Query(max_length=QUERY_READ_MOST)] = "",
) -> Response:
    """Hugging Face's daily-papers address: its search (?q=…), the day asked for (the nearest
    listing day on or before it, as the calendar does), or the newest day."""
    if q.strip():
        return _to_search(q)
    if day:
        return _picked_day(site, parse_period("date", day).start, "votes")
    return RedirectResponse("/daily", status_code=301)


def _to_search(words: str) -> Response:
    """Another site's search address, kept as this site's search for the same words."""
    return RedirectResponse("/search" + query_string(q=words.strip()), status_code=301)


def _arxiv_sanity(request: Request) -> Response | None:
    """arxiv-sanity-lite's addresses, bookmarked before a move here, with this site's host: a
    search (/?q=…), a paper's similar papers (/?rank=pid&pid=…: the paper's page, which lists
    them) and recommendations by one's tags (/?rank=tags: For you); None for other addresses."""
    asked = request.query_params
    words = asked.get("q", "").strip()
    if words:
        return RedirectResponse("/search" + query_string(q=words), status_code=301)
    if asked.get("rank") == "pid" and asked.get("pid"):
        return RedirectResponse(paper_url(resolve_id(asked["pid"].strip())), status_code=301)
    if asked.get("rank") == "tags":
        return RedirectResponse("/for-you", status_code=301)
    return None


@router.get("/inspect", include_in_schema=False)
def arxiv_sanity_inspect(pid: Annotated[str, Query(max_length=200)]) -> Response:
    """arxiv-sanity-lite's page of one paper's words (/inspect?pid=…): the paper's page here."""
    return RedirectResponse(paper_url(resolve_id(pid.strip())), status_code=301)


@router.get("/papers/trending", include_in_schema=False)
def papers_trending(q: Annotated[str, Query(max_length=QUERY_READ_MOST)] = "") -> Response:
    """Hugging Face's trending address, and its search (?q=…)."""
    if q.strip():
        return _to_search(q)
    return RedirectResponse("/trending", status_code=301)


@router.get("/abs/{paper_id:path}", include_in_schema=False)
@router.get("/pdf/{paper_id:path}", include_in_schema=False)
@router.get("/html/{paper_id:path}", include_in_schema=False)
def arxiv_address(request: Request, paper_id: str) -> Response:
    """An arXiv address with this site's host: the paper's page here (saying which version)."""
    text = paper_id.strip("/").removesuffix(".pdf")
    return _to_paper(request, resolve_id(text), version_named(text))
