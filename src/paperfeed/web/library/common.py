"""What the personal pages share: answering a button, a reader's context and mutes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Annotated
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import Connection

from paperfeed.markup import render_markdown
from paperfeed.models import Paper
from paperfeed.recommend.model import Follows
from paperfeed.recommend.service import Recommender, follows_of, has_mutes, hides, mute_reason
from paperfeed.store import library as lib
from paperfeed.store.accounts import User
from paperfeed.store.listings import Hide
from paperfeed.store.reader_state import ReaderState, reader_state
from paperfeed.store.visits import listed_since
from paperfeed.web import bibtex, me_api, views
from paperfeed.web.auth import safe_next
from paperfeed.web.deps import Site
from paperfeed.web.feeds import resolve_id

WINDOWS = me_api.WINDOWS  # the page, the API and the private feed name the same windows
ALL_TIME_FALLBACK = (
    "All time ranks papers near the ones you saved or rated 👍, found by the search's vector "
    "index; it needs both (the index is built by `paperfeed embed`). Showing this month instead."
)
NextField = Annotated[str, Form(max_length=2000)]
TextField = Annotated[str, Form(max_length=500)]
Reply = dict[str, str | int | bool | None]  # what a button's fetch gets back
EXPORTS = {
    "bib": (bibtex.MEDIA_TYPE, "bib"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
}


def markdown_html(text: str) -> Markup:
    """A private note as HTML: Markdown without raw HTML, then sanitised (as comments are)."""
    return render_markdown(text)


def _recommender(request: Request) -> Recommender:
    found: Recommender = request.app.state.recommender
    return found


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _done(request: Request, target: str, data: Reply) -> Response:
    """JSON for fetch, a redirect back for a plain form."""
    if _wants_json(request):
        return JSONResponse(data)
    return RedirectResponse(safe_next(target), status_code=303)


@contextmanager
def _bad_request() -> Iterator[None]:
    """A LibraryError (unknown state, bad name, too long) is the client's mistake: a 400."""
    try:
        yield
    except lib.LibraryError as exc:
        raise HTTPException(400, str(exc)) from exc


def _paper_button(
    request: Request,
    site: Site,
    user: User | None,
    paper_id: str,
    next: str,
    change: Callable[[Connection, int, str], Reply],
) -> Response:
    """Apply a card button's `change` to a stored paper and answer the form or the fetch."""
    pid = resolve_id(paper_id)
    target = next or f"/papers/{pid}"
    if user is None:
        return _signin(target)
    with site.engine.begin() as conn, _bad_request():
        me_api.known_paper(conn, pid)
        data = change(conn, user.id, pid)
    return _done(request, target, data)


def _signin(target: str) -> Response:
    return RedirectResponse("/signin?next=" + quote(safe_next(target), safe="/"), status_code=303)


def personal_context(conn: Connection, user: User | None, ids: list[str]) -> dict[str, object]:
    """What the card buttons show for a signed-in user: saved papers and ratings; and which
    papers are new since their previous visit."""
    if user is None:
        return {"mine": None}
    return {
        "mine": {
            "saved": lib.saved_ids(conn, user.id, ids),
            "ratings": lib.user_ratings(conn, user.id, ids),
            "new": listed_since(conn, ids, user.previous_visit),
        }
    }


def _paper_context(pid: str, state: ReaderState) -> dict[str, object]:
    """What a paper's page shows its signed-in reader, as `personal_context` and the page's
    collection boxes and note name it."""
    return {
        "mine": {
            "saved": {pid} if state.saved else set(),
            "ratings": {} if state.rating is None else {pid: state.rating},
        },
        "my_collections": list(state.collections),
        "shared_with": list(state.shared),
        "holding": state.holding,
        "shared_holding": list(state.shared_holding),
        "my_item": state.item,
        "note_max": lib.NOTE_MAX,
    }


def mark_muted(context: dict[str, object], follows: Follows, papers: Sequence[Paper]) -> None:
    """Say on each of `papers` which mute would hide it (a page showing what mutes hide)."""
    mine = context.get("mine")
    if isinstance(mine, dict):
        found = {p.id: mute_reason(p, follows) for p in papers}
        mine["muted"] = {pid: why for pid, why in found.items() if why}


def hide_for(request: Request, site: Site, user: User, show_muted: bool) -> Hide | None:
    """What a signed-in reader's mutes leave out of a list, unless they asked to see all (read
    before the list's own connection is opened: a request holds one pooled connection at a
    time). Their follows are kept in `request.state.follows` for the page's own buttons."""
    with site.engine.connect() as conn:
        request.state.follows = follows = follows_of(conn, user.id)
    return reader_hide(follows, show_muted)


def reader_hide(follows: Follows, show_muted: bool) -> Hide | None:
    """What a reader's mutes leave out of the site's lists (before paging, so their pages stay
    full); None for a reader without mutes, or one who asked to see all."""
    if show_muted or not has_mutes(follows):
        return None

    def hide(conn: Connection, ids: Sequence[str]) -> set[str]:
        found = views.current_papers(conn, ids)  # mostly cards' papers, kept in this process
        return {pid for pid, paper in found.items() if hides(paper, follows)}

    return hide


@dataclass(frozen=True)
class Muted:
    """What a list page says of the reader's mutes: how many they hide, of the whole list or
    of this page, and whether the count is an estimate."""

    count: int
    scope: str  # "list" or "page"
    about: bool = False


def personalise(
    site: Site,
    user: User | None,
    context: dict[str, object],
    show_muted: bool,
    follows: Follows | None = None,
) -> None:
    """Add the user's card state to a page; hide muted papers from its listing unless asked
    (`follows`: the user's, when the page has read them already)."""
    if user is None:
        return
    listing, card = context.get("listing"), context.get("c")
    with site.engine.connect() as conn:
        if isinstance(card, views.Card):  # a paper's page: its collections and your note too
            pid = card.paper.id
            context.update(_paper_context(pid, reader_state(conn, user.id, pid)))
        if not isinstance(listing, views.Listing):
            return
        follows = follows if follows is not None else follows_of(conn, user.id)
        context.update(personal_context(conn, user, [c.paper.id for c in listing.cards]))
    context["interests"] = follows  # what the page's follow and mute buttons show
    why = {
        c.paper.id: reason
        for c in listing.cards
        if c.paper.id not in listing.named and (reason := mute_reason(c.paper, follows))
    }
    muted = [c for c in listing.cards if c.paper.id in why]
    mine = context.get("mine")
    if show_muted and isinstance(mine, dict):  # each card a mute would hide says which
        mine["muted"] = why
    context["show_muted"] = show_muted
    if listing.hidden:  # the whole list's count, left out before paging
        context["muted"] = Muted(listing.hidden, "list", listing.estimated)
    elif muted or (show_muted and has_mutes(follows)):  # this page's: shown on request, or
        context["muted"] = Muted(len(muted), "page")  # past the papers read before paging
    if muted and not show_muted:
        kept = [c for c in listing.cards if c not in muted]
        context["listing"] = replace(listing, cards=kept)


def _here(request: Request, drop: Sequence[str] = ()) -> str:
    """This page's path and query (less the `drop` keys): where a form on it comes back to."""
    query = request.url.query
    if drop:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, v) for k, v in pairs if k not in drop])
    return str(request.url.path) + (f"?{query}" if query else "")


def _exists(chosen: lib.Collection | None) -> str | None:
    if chosen is None:
        return None
    return f"You already have a collection named “{chosen.name}”: here it is, unchanged."


def _said(
    did: str | None, n: int, into: lib.Collection | None, chosen: lib.Collection | None
) -> str | None:
    """The library page's line after a bulk change: what was done to how many papers."""
    if did is None:
        return None
    papers = f"{n:,} paper{'' if n == 1 else 's'}"
    here = chosen.name if chosen else "the collection"
    there = into.name if into else "the collection"
    return {
        "read": f"{papers} marked read.",
        "to_read": f"{papers} marked to read.",
        "add": f"{papers} added to {there}.",
        "move": f"{papers} moved to {there}.",
        "take_out": f"{papers} taken out of {here}.",
        "remove": f"{papers} removed from your library.",
    }[did]


NOINDEX = "noindex, nofollow"


def _unlisted(response: Response, visibility: str = "unlisted") -> Response:
    """An unlisted page (a collection shared by link, a private feed): only those given the
    link should find it, so search engines are asked not to list it, and only its reader's
    browser may keep it (a shared cache would hand it to whoever asks). Public pages pass as
    they are."""
    if visibility == "unlisted":
        response.headers["X-Robots-Tag"] = NOINDEX
        said = response.headers.get("cache-control", "")
        kept = said.replace("public", "private") if "public" in said else said
        response.headers["Cache-Control"] = kept or "private, no-cache"
    return response
