"""A digest's 👍 / 👎 links: the page that asks first, and rating by the link's token."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from paperfeed.digest.render import RATE_PATH
from paperfeed.digest.subscribe import subscriber_by_rate_token
from paperfeed.digest.tokens import TokenError
from paperfeed.digest.web.common import (
    DigestSite,
    _cross_site,
    _ctx,
    _message,
    _page,
    digest_router,
    same_origin,
)
from paperfeed.latex import plain
from paperfeed.store.accounts import user_by_id
from paperfeed.store.library import set_rating, user_ratings
from paperfeed.store.papers import get_paper

router = digest_router()


RATINGS = {"1": 1, "-1": -1, "0": 0}
_HEADINGS = {
    (False, 1): "👍 More like this?",
    (False, -1): "👎 Less like this?",
    (True, 1): "Noted: more like this",
    (True, -1): "Noted: less like this",
    (True, 0): "Rating taken back",
}


@dataclass(frozen=True)
class _Rating:
    """What a digest's rating link asks for: whose account, which paper, which rating."""

    user_id: int
    username: str
    paper_id: str
    title: str
    rating: int
    current: int = 0  # the rating the reader gave the paper already (0: none)


class _NotRated(ValueError):
    """A rating link that cannot be followed (its status code and message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _rating_of(ctx: DigestSite, token: str, paper: str, r: str) -> _Rating:
    if r not in RATINGS:
        raise _NotRated(400, "A rating is 1 (more like this), -1 (less like this) or 0.")
    sub = subscriber_by_rate_token(ctx.engine, ctx.settings, token)  # TokenError: a bad link
    with ctx.engine.connect() as conn:
        user = user_by_id(conn, sub.user_id) if sub.user_id is not None else None
        found = get_paper(conn, paper) if paper else None
        given = user_ratings(conn, user.id, [found.id]) if user and found else {}
    if user is None:
        raise _NotRated(400, "This subscription has no account, so it keeps no ratings.")
    if found is None:
        raise _NotRated(404, f"There is no paper {paper[:80]!r} here.")
    title = plain(found.title)
    return _Rating(user.id, user.username, found.id, title, RATINGS[r], given.get(found.id, 0))


def _rate_page(ctx: DigestSite, token: str, paper: str, r: str) -> Response | _Rating:
    try:
        return _rating_of(ctx, token, paper, r)
    except TokenError as exc:
        return _message(ctx, "Link not valid", str(exc), status=400)
    except _NotRated as exc:
        return _message(ctx, "Not rated", str(exc), status=exc.status)


def _rated(ctx: DigestSite, token: str, asked: _Rating, done: bool) -> Response:
    def action(r: int) -> str:
        return f"{RATE_PATH}?" + urlencode({"token": token, "paper": asked.paper_id, "r": r})

    word = {1: "More like this", -1: "Less like this"}.get(asked.rating, "Take back")
    return _page(
        ctx,
        "rate",
        heading=_HEADINGS.get((done, asked.rating), word),
        title=asked.title,
        paper_url=f"/papers/{asked.paper_id}",
        username=asked.username,
        rating=asked.rating,
        done=done,
        button=word,
        action=action(asked.rating),
        undo=action(0),
    )


@router.get(RATE_PATH, response_class=HTMLResponse, include_in_schema=False)
async def rate_page(request: Request, token: str = "", paper: str = "", r: str = "") -> Response:
    """A digest's 👍 / 👎 link: asks first (link scanners follow GET links, only a POST rates)."""
    ctx = _ctx(request)
    asked = await run_in_threadpool(_rate_page, ctx, token, paper, r)
    if isinstance(asked, Response):
        return asked
    # A link used already (or a rating given on the site) says so, with its undo; not again.
    return _rated(ctx, token, asked, asked.rating != 0 and asked.current == asked.rating)


@router.post(RATE_PATH, response_class=HTMLResponse, include_in_schema=False)
async def rate_now(request: Request, token: str = "", paper: str = "", r: str = "") -> Response:
    """Rate the paper for the subscription's account, by the link's token alone (no login)."""
    ctx = _ctx(request)
    if not same_origin(request, ctx.settings):
        return _cross_site(ctx)
    asked = await run_in_threadpool(_rate_page, ctx, token, paper, r)
    if isinstance(asked, Response):
        return asked

    def store() -> None:
        with ctx.engine.begin() as conn:
            set_rating(conn, asked.user_id, asked.paper_id, asked.rating or None)

    await run_in_threadpool(store)
    return _rated(ctx, token, asked, True)
