"""What every HTML page shares: the page number, rendering with the anonymous cache, mutes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.store.accounts import User
from paperfeed.store.listings import Hide
from paperfeed.web.cache import Cached
from paperfeed.web.deps import Site, cache_key, cached_page, html
from paperfeed.web.render import paper_url, query_string
from paperfeed.web.views import MAX_PAGE

PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number")]


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


def _to_paper(request: Request, pid: str, version: int | None) -> Response:
    """A permanent redirect to a paper's page, its query kept and a version the address named
    carried as ?v= (the page says which version the link meant, its canonical link stays)."""
    params = dict(request.query_params) | ({"v": str(version)} if version else {})
    return RedirectResponse(paper_url(pid) + query_string(**params), status_code=301)
