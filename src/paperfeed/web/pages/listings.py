"""Trending, most starred, about, an author's and a category's papers."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed import categories
from paperfeed.store.claim_batches import claim_states, claimed_totals, shown_claims
from paperfeed.store.community import claims_as_author
from paperfeed.util import utcnow
from paperfeed.web import views
from paperfeed.web.deps import SiteDep, UserDep
from paperfeed.web.pages.common import PageNo, _hide, _page
from paperfeed.web.render import category_url, query_string

router = APIRouter(include_in_schema=False)
_CATEGORY_RE = re.compile(r"^[A-Za-z][A-Za-z\-]*(\.[A-Za-z\-]+)?$")


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
