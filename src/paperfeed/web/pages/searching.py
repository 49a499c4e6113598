"""The search page: one box, a mode, filters and pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from paperfeed import categories
from paperfeed.models import LOCAL_PREFIX, clean_text
from paperfeed.search.query import filter_notes, paper_id_in, parse_query
from paperfeed.store.accounts import User
from paperfeed.store.listings import Hide, paper_flags, venue_counts
from paperfeed.web import views
from paperfeed.web.deps import Site, SiteDep, UserDep, search_cache_key
from paperfeed.web.me_api import interest_key
from paperfeed.web.pages.common import PageNo, _hide, _page
from paperfeed.web.venue_params import read_venue, venues_meant_in

router = APIRouter(include_in_schema=False)
QUERY_MOST = 500  # characters of a query searched (the API's limit too)
QUERY_READ_MOST = 10_000  # a longer query string is refused (a pasted abstract is not)


@router.get("/search")
def search_page(
    request: Request,
    site: SiteDep,
    user: UserDep,
    q: Annotated[str, Query(max_length=QUERY_READ_MOST)] = "",
    mode: Annotated[str, Query(pattern="^(hybrid|keyword|semantic|)$")] = "hybrid",
    category: Annotated[str, Query(max_length=64)] = "",
    author: Annotated[str, Query(max_length=200)] = "",
    since: Annotated[str, Query(max_length=32, description="YYYY-MM-DD; empty: no limit")] = "",
    until: Annotated[str, Query(max_length=32, description="YYYY-MM-DD; empty: no limit")] = "",
    sort: Annotated[str, Query(pattern="^(relevance|date|)$")] = "relevance",
    venue: Annotated[str, Query(max_length=64)] = "",
    page: PageNo = 1,
) -> Response:
    """Search with one box, a mode, filters and pages (an empty filter field means no filter;
    `venue`: within one conference's papers)."""
    cat, who = clean_text(category), clean_text(author)
    cat = categories.canonical(cat) or cat  # cs.ro is cs.RO
    dates = _form_date("since", since), _form_date("until", until)
    text, cut = _cut_query(clean_text(q))
    params = views.SearchParams(text, mode or "hybrid", cat or None, who or None, *dates)
    # a notice on the page, as a bad category's, naming the Filters' field
    conference, problem = read_venue(clean_text(venue), "Conference")
    params = replace(params, sort=sort or "relevance", venue=conference)
    bad = (clean_text(venue), problem) if problem else None
    return _search(request, site, user, params, page, cut, bad)


def _cut_query(text: str) -> tuple[str, bool]:
    """The query as searched: a pasted abstract is cut to its first `QUERY_MOST` characters
    (at a word's end), and whether it was cut."""
    if len(text) <= QUERY_MOST:
        return text, False
    head = text[:QUERY_MOST]
    return (head.rsplit(" ", 1)[0] if " " in head else head).rstrip(), True


def _form_date(name: str, text: str) -> date | None:
    """A date typed in a filter field; None when the field is empty."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise HTTPException(400, f"{name}: give a date as YYYY-MM-DD, not {text!r}") from None


def _search(
    request: Request,
    site: Site,
    user: User | None,
    params: views.SearchParams,
    page: int,
    cut: bool = False,
    bad_venue: tuple[str, str] | None = None,
) -> Response:
    q, mode, sort = params.q, params.mode, params.sort
    category, author = params.category or "", params.author or ""
    since, until = params.since, params.until

    def build() -> dict[str, object]:
        ctx: dict[str, object] = {"q": q, "mode": mode, "sort": sort, "params": params.as_query()}
        ctx["venue"] = params.venue  # searched within this conference's papers, or everywhere:
        ctx["everywhere"] = replace(params, venue=None).as_query()
        ctx |= {"category": category, "author": author, "since": since, "until": until}
        used = category or author or since or until or params.venue or bad_venue
        ctx["filters_used"] = bool(used or sort != "relevance")
        ctx["search_key"] = interest_key("search", q)[0]  # as a followed search is kept
        ctx["cut"] = QUERY_MOST if cut else None
        notes = filter_notes(category, since, until, q)
        ctx["notes"] = notes + [bad_venue[1]] if bad_venue else notes
        ctx["venue_typed"] = bad_venue[0] if bad_venue else ""
        ctx["venue_names"] = site.venue_names.current()
        if bad_venue:  # no paper can match it: said, with the conferences it may have meant
            return ctx | {"listing": None, "venue_meant": _meant(site, params, bad_venue[0])}
        if not q:
            return ctx | {"listing": None}
        if parse_query(q).empty:  # only punctuation: nothing to look for
            return ctx | {"listing": None, "wordless": True}
        per_page, hide = site.settings.page_size, _hide(request, site, user)
        # a visitor's whole page is kept instead (`_page`)
        kept = (site.results, _result_key(request, site, hide)) if user else None
        outcome = views.search(site.search(), site.engine, params, page, per_page, user, hide, kept)
        return ctx | {
            "listing": outcome.listing,
            "used_mode": outcome.mode,
            "fallback": outcome.fallback,
            "counted": outcome.counted,
            "suggestion": outcome.suggestion,
            "limited": outcome.limited,
            # The model may only be busy for now; a build from scratch grows with every refresh.
            "volatile": outcome.fallback is not None or outcome.limited is not None,
            "missing_id": _missing_arxiv_id(site, q),
            "venue_meant": _meant_instead(site, params, outcome.listing),
        }

    return _page(request, site, user, "search.html", build, search_cache_key)


def _meant(site: Site, params: views.SearchParams, typed: str) -> list[tuple[str, dict[str, str]]]:
    """Each conference here that text naming none (or one no paper names) may have meant,
    and the same search within it."""
    return [
        (v.label, replace(params, venue=v).as_query()) for v in venues_meant_in(site.engine, typed)
    ]


def _meant_instead(
    site: Site, params: views.SearchParams, listing: views.Listing | None
) -> list[tuple[str, dict[str, str]]] | None:
    """When no paper here names the conference searched within ("ICML 2019"): the ones it may
    have meant (None: it has papers, or none was named)."""
    venue = params.venue
    if venue is None or listing is None or listing.total or listing.cards:
        return None
    with site.engine.connect() as conn:
        if venue_counts(conn, [venue.label]):
            return None
    return _meant(site, params, venue.label)


def _result_key(request: Request, site: Site, hide: Hide | None) -> tuple[object, ...]:
    """What a search's answer depends on: the anonymous page's key (URL, data version, index
    generation) and the reader's mutes, when they hide papers (`_hide` read them just now)."""
    key = search_cache_key(request, site)
    if hide is None:
        return key
    follows = request.state.follows
    return (*key, follows.muted_keywords, follows.muted_authors, follows.muted_categories)


def _missing_arxiv_id(site: Site, q: str) -> str | None:
    """The arXiv id the whole query is, when no such paper is stored (to offer it)."""
    pid = paper_id_in(q)
    if pid is None or pid.startswith(LOCAL_PREFIX):
        return None
    with site.engine.connect() as conn:
        return None if paper_flags(conn, [pid]) else pid
