"""The HTML pages: daily, trending, search, paper, author, category, submit, about."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import Connection

from paperfeed import categories
from paperfeed.keyphrases import keyphrases
from paperfeed.models import LOCAL_PREFIX, clean_text
from paperfeed.search.query import filter_notes, paper_id_in, parse_query
from paperfeed.store.accounts import User
from paperfeed.store.claim_batches import claim_states, claimed_totals, shown_claims
from paperfeed.store.community import (
    Claim,
    claimed_place,
    claims_as_author,
    claims_for_papers,
    is_claimed_author,
    paper_link_list,
)
from paperfeed.store.enrichment import artifacts
from paperfeed.store.library import has_positives, public_collections
from paperfeed.store.listings import (
    Hide,
    categories_between,
    first_listing_day,
    last_day_within,
    latest_day,
    listing_day_near,
    neighbour_days,
    paper_flags,
    set_flags,
)
from paperfeed.util import site_url, utcnow
from paperfeed.web import community, discussion, views
from paperfeed.web.auth import limit_submitter, safe_next
from paperfeed.web.bibtex import entry
from paperfeed.web.cache import Cached
from paperfeed.web.citation import apa, asked_version, scholarly_article, version_named
from paperfeed.web.deps import (
    ROW_ID_MOST,
    AdminDep,
    FormCsrf,
    Site,
    SiteDep,
    UserDep,
    cache_key,
    cached_page,
    html,
    search_cache_key,
)
from paperfeed.web.feeds import resolve_id
from paperfeed.web.me_api import interest_key
from paperfeed.web.periods import (
    DailyCategory,
    Period,
    day_period,
    month_period,
    parse_period,
    week_period,
)
from paperfeed.web.render import category_url, paper_url, query_string
from paperfeed.web.upvoters import shows_upvotes, upvoters
from paperfeed.web.views import MAX_PAGE
from paperfeed.web.visits import listed_after, new_since

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number")]
# A daily page's order: most upvoted first (Hugging Face's) or newest first (arXiv's).
DailySort = Annotated[
    str, Query(pattern="^(votes|new)$", description="votes: most upvoted first; new: newest")
]
# Only the papers new since the signed-in reader's previous visit (1), or all of them (0).
NewOnly = Annotated[int, Query(ge=0, le=1, description="1: only papers new since your last visit")]
_CATEGORY_RE = re.compile(r"^[A-Za-z][A-Za-z\-]*(\.[A-Za-z\-]+)?$")
SIMILAR = 6


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _page(
    request: Request,
    site: Site,
    user: User | None,
    template: str,
    build: Callable[[], dict[str, object]],
    key_of: Callable[[Request, Site], tuple[str, ...]] = cache_key,
) -> Response:
    """Render a page, from the anonymous cache when the data has not changed.

    `build` opens its own short database connections: none is held while it waits on search,
    which reads the store too (a request holding two pooled connections can starve the pool).
    """
    key = key_of(request, site)
    hit = cached_page(site, key, user)
    if hit is not None:
        return html(site, request, hit.body)
    context = build()
    if user is not None:  # muted papers and the save/rate buttons are personal
        from paperfeed.web.library import personalise

        show_muted = request.query_params.get("show_muted") == "1"
        personalise(site, user, context, show_muted, getattr(request.state, "follows", None))
    body = site.render(template, user=user, here=_here(request), **context)
    if user is None and not context.get("volatile"):
        site.cache.put(key, Cached(body, "text/html; charset=utf-8"))
    return html(site, request, body)


def _hide(request: Request, site: Site, user: User | None) -> Hide | None:
    """What the signed-in reader's mutes leave out of a list (`library.hide_for`)."""
    if user is None:
        return None
    from paperfeed.web.library import hide_for  # the For you stack loads on first use

    return hide_for(request, site, user, request.query_params.get("show_muted") == "1")


def _daily_context(
    site: Site,
    conn: Connection,
    user: User | None,
    period: Period,
    page: int,
    hide: Hide | None,
    latest: bool = False,
    sort: str = "votes",
    within: tuple[str, ...] = (),
    only_new: bool = False,
) -> dict[str, object]:
    newest, since = sort == "new", listed_after(user, only_new)
    per_page = site.settings.page_size
    listing = views.daily(conn, period, page, per_page, user, hide, newest, within, since)
    if latest or (period.kind in ("week", "month") and _holds_newest(conn, period)):
        # the newest day's page (or its week's or month's) offers the feed that moves on
        listing = views.following_newest(listing, period.kind)
        listing = replace(listing, feed_query=_with_categories(listing.feed_query, within))
    held = views.category_members(within)
    nav = _day_nav(conn, period, held)
    kept = query_string(
        sort="new" if newest else None, category=",".join(within), new=1 if since else None
    )
    if kept:  # the other days, weeks and months keep the order, categories and new only
        nav |= {k: f"{v}{kept}" for k, v in nav.items() if k.endswith("_path") and v}
    counts = categories_between(conn, period.start, period.end)
    fresh = new_since(conn, user, period, held, since is not None, hide)
    context = {"listing": listing, "sort": sort, "within": within, "day_categories": counts}
    return context | {"new_since": fresh, **nav}


def _with_categories(feed_query: str, within: tuple[str, ...]) -> str:
    """A feed's query with the page's category filter added."""
    return feed_query + views.category_query(within, "&" if feed_query else "?")


def _holds_newest(conn: Connection, period: Period) -> bool:
    newest = latest_day(conn)
    return newest is not None and period.start <= newest <= period.end


def _day_nav(conn: Connection, period: Period, held: tuple[str, ...] = ()) -> dict[str, object]:
    # Day / Week / Month switch around one day: the period's latest day with papers (a week
    # across two months opens the month the reader was in, Day a day with papers), in the
    # categories `held` where the page is filtered.
    anchor = period.start
    if period.kind != "date":
        anchor = last_day_within(conn, period.start, period.end, held) or period.start
    # The nearest periods with papers (in those categories): empty weeks and months are
    # skipped, and the first and last ones lead nowhere further; a run of days (a digest's
    # link) has no neighbours.
    before, after = neighbour_days(conn, period.start, period.end, held)
    of = {"date": day_period, "week": week_period, "month": month_period}.get(period.kind)
    prev, nxt = (of(d) if of and d else None for d in (before, after))
    return {
        "day_path": day_period(anchor).path,
        "week_path": week_period(anchor).path,
        "month_path": month_period(anchor).path,
        "prev_path": prev.path if prev else None,
        "prev_label": prev.heading if prev else "",
        "next_path": nxt.path if nxt else None,
        "next_label": nxt.heading if nxt else "",
        # the calendar's bounds: the days the store holds
        "first_day": first_listing_day(conn),
        "last_day": latest_day(conn),
    }


@router.get("/")
def home(request: Request, site: SiteDep, user: UserDep, page: PageNo = 1) -> Response:
    """For you once the signed-in reader has given something to rank towards (a save, 👍,
    follow, upvote or submission: not a 👎 or a mute alone); otherwise the newest day's
    papers."""
    moved = _arxiv_sanity(request)
    if moved is not None:
        return moved
    if user is not None and page == 1:
        with site.engine.connect() as conn:
            personal = has_positives(conn, user.id)
        if personal:
            from paperfeed.web.library import for_you

            return for_you(request, site, user)
    return daily_home(request, site, user, page)


@router.get("/daily")
def daily_home(
    request: Request,
    site: SiteDep,
    user: UserDep,
    page: PageNo = 1,
    day: Annotated[str | None, Query(alias="date", max_length=32)] = None,
    sort: DailySort = "votes",
    category: DailyCategory = None,
    new: NewOnly = 0,
) -> Response:
    """Daily papers of the newest day in the store (`?date=` goes to that day's page, as
    /papers?date= does; `?new=1`: only those new since the reader's previous visit)."""
    within = views.daily_categories(category or [])
    if day:
        return _picked_day(site, parse_period("date", day).start, sort, within)

    def build() -> dict[str, object]:
        hide = _hide(request, site, user)
        with site.engine.connect() as conn:
            period = day_period(latest_day(conn) or date.today())
            args = (page, hide, True, sort, within, bool(new))
            return _daily_context(site, conn, user, period, *args)

    return _page(request, site, user, "daily.html", build)


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


def _to_paper(request: Request, pid: str, version: int | None) -> Response:
    """A permanent redirect to a paper's page, its query kept and a version the address named
    carried as ?v= (the page says which version the link meant, its canonical link stays)."""
    params = dict(request.query_params) | ({"v": str(version)} if version else {})
    return RedirectResponse(paper_url(pid) + query_string(**params), status_code=301)


def _picked_day(site: Site, asked: date, sort: str, within: tuple[str, ...] = ()) -> Response:
    """The calendar's day, or the nearest listing day on or before it (the first one before
    the store's first), the page then saying why (the categories chosen kept)."""
    with site.engine.connect() as conn:
        shown = listing_day_near(conn, asked) or asked
    moved = asked.isoformat() if shown != asked else None
    sorted_by = "new" if sort == "new" else None
    params = query_string(sort=sorted_by, category=",".join(within), asked=moved)
    # where an empty day leads changes as papers arrive: not a permanent redirect
    return RedirectResponse(day_period(shown).path + params, status_code=302 if moved else 301)


def _moved_notice(conn: Connection, period: Period, asked: date) -> str | None:
    """Why the calendar's day led to this one (nothing when it did not)."""
    if period.kind != "date" or asked == period.start:
        return None
    if listing_day_near(conn, asked) != period.start:
        return None  # an `asked` this page was not reached from
    day = day_period(asked).subheading
    if asked < period.start:
        return f"Nothing is listed on {day}: the papers here begin on {period.subheading}."
    weekend = " (arXiv announces none at weekends)" if asked.weekday() >= 5 else ""
    return f"No papers were announced on {day}{weekend}: here is the nearest day before it."


@router.get("/papers/{kind}/{value}")
def daily_page(
    request: Request,
    site: SiteDep,
    user: UserDep,
    kind: str,
    value: str,
    page: PageNo = 1,
    sort: DailySort = "votes",
    asked: Annotated[
        str | None, Query(max_length=32, description="the day picked, when it had no papers")
    ] = None,
    category: DailyCategory = None,
    new: NewOnly = 0,
) -> Response:
    """Daily papers of a day (date), an ISO week (week), a month (month) or a run of days
    (days: 2026-06-29..2026-07-03, as a digest's link names them); `?new=1`: only those new
    since the reader's previous visit."""
    if kind not in ("date", "week", "month", "days"):
        return paper_page(request, site, user, f"{kind}/{value}")
    period = parse_period(kind, value)
    picked = parse_period("date", asked).start if asked else None
    within = views.daily_categories(category or [])

    def build() -> dict[str, object]:
        hide = _hide(request, site, user)
        with site.engine.connect() as conn:
            args = (page, hide, False, sort, within, bool(new))
            context = _daily_context(site, conn, user, period, *args)
            moved = _moved_notice(conn, period, picked) if picked else None
            return context | {"moved": moved}

    return _page(request, site, user, "daily.html", build)


@router.get("/trending")
def trending_page(request: Request, site: SiteDep, user: UserDep, page: PageNo = 1) -> Response:
    """Trending papers."""

    def build() -> dict[str, object]:
        per_page, hide = site.settings.page_size, _hide(request, site, user)
        with site.engine.connect() as conn:
            listing = views.trending_listing(conn, site.weights, page, per_page, user, hide)
        return {"listing": listing}

    return _page(request, site, user, "trending.html", build)


@router.get("/trending/stars")
def stars_page(request: Request, site: SiteDep, user: UserDep, page: PageNo = 1) -> Response:
    """Papers whose GitHub repositories gained the most stars in the last seven days."""

    def build() -> dict[str, object]:
        per_page, hide = site.settings.page_size, _hide(request, site, user)
        with site.engine.connect() as conn:
            today = utcnow().date()
            listing = views.stars_listing(conn, today, page, per_page, user, hide)
        return {"listing": listing, "by_stars": True}

    return _page(request, site, user, "trending.html", build)


@router.get("/about")
def about_page(request: Request, site: SiteDep, user: UserDep) -> Response:
    """What the site is and how trending is computed."""
    return _page(request, site, user, "about.html", lambda: {"w": site.weights})


@router.get("/authors/{slug}")
def author_page(
    request: Request, site: SiteDep, user: UserDep, slug: str, page: PageNo = 1
) -> Response:
    """An author's papers, newest first."""
    from paperfeed.text import name_parts_joined
    from paperfeed.web.render import author_slug, author_url

    # A name key with dashes: ASCII for Latin-script names, a script's own letters for others.
    canonical = author_slug(slug.replace("-", " ")) if slug else ""
    joined = name_parts_joined(slug.replace("-", " ")).replace(" ", "-")
    if canonical and canonical != slug and canonical == joined:
        # a link made before 山田 太郎 (or 김 민수) was one author (/authors/山田-太郎)
        where = author_url(canonical) or ""
        return RedirectResponse(where + (f"?page={page}" if page > 1 else ""), status_code=301)
    if not slug or canonical != slug:
        raise HTTPException(404, f"{slug!r} is not an author link")

    def build() -> dict[str, object]:
        hide = _hide(request, site, user)
        with site.engine.connect() as conn:
            key, per_page = slug.replace("-", " "), site.settings.page_size
            listing = views.by_author(conn, key, page, per_page, user, hide)
            claims = shown_claims(conn, claims_as_author(conn, key)) if listing else {}
            shown = [c.paper.id for c in listing.cards] if listing and user else []
            states = claim_states(conn, user.id, key, shown) if user else {}
            totals = claimed_totals(conn, list(claims))
        if listing is None:
            raise HTTPException(404, f"no papers by an author {slug!r} here")
        # A claim is of one paper: the page names who claimed which, not the whole page.
        claimed = {pid: name for name, pids in claims.items() for pid in pids}
        return {
            "listing": listing,
            "kicker": "Author",
            "base": listing.page_path,
            "members": sorted((name, len(pids)) for name, pids in claims.items()),
            "claimed": claimed,
            "claim_states": states,  # the signed-in reader's, to claim several at once
            "claimed_totals": totals,  # each member's papers, under every spelling
            "author_key": key,  # as follows and mutes keep it
            "canonical_url": site.settings.public_url
            + (author_url(key) or "")
            + query_string(page=page if page > 1 else None),
        }

    return _page(request, site, user, "listing.html", build)


@router.get("/categories/{category}")
def category_page(
    request: Request, site: SiteDep, user: UserDep, category: str, page: PageNo = 1
) -> Response:
    """A category's papers, newest first."""
    if not _CATEGORY_RE.match(category):
        raise HTTPException(404, f"{category!r} is not a category name")
    known = categories.canonical(category) or categories.archive(category)
    if known and known != category:  # /categories/cs.cv is cs.CV's page
        where = category_url(known) + (f"?page={page}" if page > 1 else "")
        return RedirectResponse(where, status_code=301)

    def build() -> dict[str, object]:
        per_page, hide = site.settings.page_size, _hide(request, site, user)
        with site.engine.connect() as conn:
            listing = views.by_category(conn, category, page, per_page, user, hide)
        if listing is None:
            raise HTTPException(404, f"no papers in category {category} here")
        return {"listing": listing, "kicker": "Category", "base": listing.page_path}

    return _page(request, site, user, "listing.html", build)


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
    page: PageNo = 1,
) -> Response:
    """Search with one box, a mode, filters and pages (an empty filter field means no filter)."""
    cat, who = clean_text(category), clean_text(author)
    cat = categories.canonical(cat) or cat  # cs.ro is cs.RO
    dates = _form_date("since", since), _form_date("until", until)
    text, cut = _cut_query(clean_text(q))
    params = views.SearchParams(text, mode or "hybrid", cat or None, who or None, *dates)
    return _search(request, site, user, replace(params, sort=sort or "relevance"), page, cut)


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
) -> Response:
    q, mode, sort = params.q, params.mode, params.sort
    category, author = params.category or "", params.author or ""
    since, until = params.since, params.until

    def build() -> dict[str, object]:
        ctx: dict[str, object] = {"q": q, "mode": mode, "sort": sort, "params": params.as_query()}
        ctx |= {"category": category, "author": author, "since": since, "until": until}
        ctx["filters_used"] = bool(category or author or since or until or sort != "relevance")
        ctx["search_key"] = interest_key("search", q)[0]  # as a followed search is kept
        ctx["cut"] = QUERY_MOST if cut else None
        ctx["notes"] = filter_notes(category, since, until, q)
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
        }

    return _page(request, site, user, "search.html", build, search_cache_key)


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


def _similar(site: Site, pid: str, user: User | None) -> tuple[list[views.Card], bool]:
    """Similar papers, and whether they could be looked up at all."""
    try:
        return views.similar(site.search(), site.engine, pid, SIMILAR, user), True
    except Exception:  # similar papers are an extra: a broken index must not break the page
        log.exception("similar papers failed for %s", pid)
        return [], False


def _discussion(
    site: Site,
    pid: str,
    user: User | None,
    sort: str,
    page: int,
    focus: int | None,
    authors: Sequence[str],
) -> dict[str, object]:
    with site.engine.connect() as conn:
        claims = claims_for_papers(conn, [pid])
        shown = discussion.thread_page(conn, pid, user, sort, page, focus)
        return {
            "thread": shown.threads,
            "thread_page": shown,
            "sort": sort,
            "claims": _by_place(authors, [c for c in claims if c.status == "approved"]),
            # where each claim stands in this version (None: it lists that name no more)
            "claim_places": {c.id: claimed_place(authors, c.author, c.position) for c in claims},
            "claimed_users": {c.username for c in claims if c.status == "approved"},
            # The reader's claims, the newest per author (a rejection then a new claim: one).
            "my_claims": list(
                {
                    (c.author, c.position): c
                    for c in sorted(claims, key=lambda c: c.id)
                    if user and c.user_id == user.id
                }.values()
            ),  # fmt: skip
            "links": paper_link_list(conn, pid),
            "artifacts": artifacts(conn, pid),
            "may_edit_links": bool(
                user and (user.is_admin or is_claimed_author(conn, user.id, pid))
            ),
        }


def _by_place(authors: Sequence[str], claims: list[Claim]) -> dict[int, Claim]:
    """Approved claims by the place of their author in the paper's list (a namesake co-author
    is not claimed with them); a claim whose name a new version moved or respelled finds it."""
    found: dict[int, Claim] = {}
    for claim in claims:
        at = claimed_place(authors, claim.author, claim.position)
        if at is not None:
            found.setdefault(at, claim)
    return found


def _paragraphs(abstract: str) -> list[str]:
    # arXiv marks paragraph breaks in abstracts with a newline and an indent.
    parts = re.split(r"\n\s*\n|\n(?=\s{2,})", abstract)
    return [clean_text(p) for p in parts if p.strip()]


@router.get("/submit")
def submit_page(
    request: Request,
    site: SiteDep,
    user: UserDep,
    paper: Annotated[str, Query(max_length=200, description="an arXiv id to fill in")] = "",
) -> Response:
    """The form to submit a paper by arXiv id or URL."""
    days = site.settings.submit_window_days
    return html(site, request, site.render("submit.html", user=user, window=days, paper=paper))


@router.post("/submit", dependencies=[FormCsrf])
def submit(
    request: Request,
    site: SiteDep,
    user: UserDep,
    paper: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Fetch a new paper through the arXiv API, credited to the user; show its page."""
    if user is None:
        return RedirectResponse("/signin?next=/submit", status_code=303)
    limit_submitter(site, request, user.id)
    try:
        done = community.submit_paper(site, user, paper)
    except community.SubmitError as exc:
        body = site.render(
            "submit.html",
            user=user,
            error=str(exc),
            here=exc.paper_id,
            paper=paper,
            window=site.settings.submit_window_days,
        )
        response = html(site, request, body, exc.status)
        response.headers.update(exc.headers)
        return response
    return RedirectResponse(f"/papers/{done.paper_id}", status_code=303)


@router.post("/papers/{paper_id:path}/upvote", dependencies=[FormCsrf])
def upvote(
    request: Request,
    site: SiteDep,
    user: UserDep,
    paper_id: str,
    up: Annotated[int, Form(ge=0, le=1)] = 1,
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Add (up=1) or undo (up=0) the user's upvote, then go back (or answer the page's script).

    A visitor is sent to sign in with the vote pending: it is counted once they are in.
    """
    pid = resolve_id(paper_id)
    target = safe_next(next or f"/papers/{pid}")
    in_place = "application/json" in request.headers.get("accept", "")
    if user is None:
        signin = "/signin" + query_string(next=target, vote=pid)
        if in_place:
            there = site_url(site.settings.root_path, signin)  # the page's script links to it
            return JSONResponse({"detail": "sign in to upvote", "signin": there}, 401)
        return RedirectResponse(signin, status_code=303)
    count, state = community.vote(site, user, pid, bool(up))
    if in_place:
        answer: dict[str, object] = {"id": pid, "upvotes": count, "upvoted": state}
        with site.engine.connect() as conn:
            shown = upvoters(conn, pid, count)
            changed = bool(shown.named) or shows_upvotes(conn, user.id)
        if changed:  # the paper page's "Upvoted by …" line as it now reads, for its script
            answer["upvotersHtml"] = site.render("_upvoters.html", upvoters=shown)
        return JSONResponse(answer)
    return RedirectResponse(target, status_code=303)


@router.post("/papers/{paper_id:path}/moderate", dependencies=[FormCsrf])
def moderate(
    site: SiteDep,
    admin: AdminDep,
    paper_id: str,
    hidden: Annotated[int, Form(ge=0, le=1)],
    featured: Annotated[int, Form(ge=0, le=1)],
) -> Response:
    """Hide or feature a paper (admins only)."""
    pid = resolve_id(paper_id)
    with site.writing() as conn:
        if not set_flags(conn, pid, bool(hidden), bool(featured)):
            raise HTTPException(404, f"no paper {pid} here")
    return RedirectResponse(f"/papers/{pid}", status_code=303)


PAPER_COLLECTIONS = 10  # public collections a paper's page names
VERSION_MOST = 999_999  # arXiv ids of longer versions are refused (`parse_arxiv_id`)


@router.get("/papers/{paper_id:path}")
def paper_page(
    request: Request,
    site: SiteDep,
    user: UserDep,
    paper_id: str,
    sort: Annotated[str, Query(pattern="^(top|new)$")] = "top",
    reported: Annotated[int, Query(ge=0, le=ROW_ID_MOST)] = 0,
    cpage: Annotated[int, Query(ge=1, le=ROW_ID_MOST, description="page of the discussion")] = 1,
    comment: Annotated[
        int, Query(ge=0, le=ROW_ID_MOST, description="a comment to show: its page, not cpage")
    ] = 0,
    v: Annotated[
        int | None,
        Query(ge=1, le=VERSION_MOST, description="the arXiv version a link named (a notice)"),
    ] = None,
) -> Response:
    """One paper: abstract with math, links, upvote, discussion, similar papers and BibTeX."""
    pid = resolve_id(paper_id.rstrip("/"))  # a trailing slash too: /papers/2401.12345/
    if pid != paper_id:  # /papers/2401.12345v1, as a citation names it: ?v=1
        return _to_paper(request, pid, version_named(paper_id.rstrip("/")))

    def build() -> dict[str, object]:
        with site.engine.connect() as conn:
            found = views.cards(conn, [pid], user)
            held = public_collections(conn, None, PAPER_COLLECTIONS, holding=pid)
            voters = upvoters(conn, pid, found[0].upvotes) if found else None
        if found and found[0].flags.hidden and not (user and user.is_admin):
            raise HTTPException(404, f"paper {pid} is not shown here (a moderator took it down)")
        if not found:
            raise HTTPException(404, f"no paper {pid} here (submit it from arXiv at /submit)")
        card = found[0]
        similar, available = _similar(site, pid, user)
        return {
            "c": card,
            **_discussion(
                site, pid, user, sort, cpage, comment or reported or None, card.paper.authors
            ),
            "paragraphs": _paragraphs(card.paper.abstract),
            "keywords": () if card.flags.hidden else keyphrases(card.paper),
            "bibtex": entry(card.paper),
            "apa": apa(card.paper),
            "json_ld": scholarly_article(card.paper, site.settings.public_url + paper_url(pid)),
            "similar": similar,
            "similar_available": available,
            "in_public": held,
            "upvoters": voters,
            "volatile": not available,
            "reported": reported,  # the comment this reader just reported, to say it was sent
            "asked": asked_version(card.paper, v) if v else None,
        }

    return _page(request, site, user, "paper.html", build)
