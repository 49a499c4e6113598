"""Personal pages: save, rate, follow, mute; the library; For you; collections; import/export.

Every button is a plain form that works without JavaScript; static/library.js sends the same
forms with fetch (Accept: application/json) so the page does not reload.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from math import ceil
from typing import Annotated, Literal, cast
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import Connection

from paperfeed import references
from paperfeed.markup import render_markdown
from paperfeed.models import Paper
from paperfeed.recommend import namesakes
from paperfeed.recommend.model import Follows, Recommendation
from paperfeed.recommend.service import (
    Recommender,
    follows_of,
    has_mutes,
    hides,
    mute_reason,
    shared_recommender,
)
from paperfeed.store import collection_editors as editors
from paperfeed.store import collection_sections as headings_store
from paperfeed.store import get_paper, revisions
from paperfeed.store import library as lib
from paperfeed.store.accounts import User
from paperfeed.store.listings import Hide, author_name, latest_day, top_categories
from paperfeed.store.reader_state import ReaderState, reader_state
from paperfeed.store.shared_lists import ITEM_NOTE_MAX, item_notes
from paperfeed.web import (
    bibtex,
    collection_editors,
    collection_handover,
    collection_sections,
    feeds,
    library_import,
    me_api,
    shared_lists,
    views,
)
from paperfeed.web.auth import safe_next
from paperfeed.web.cache import Cached
from paperfeed.web.confirm import Confirmed, ask
from paperfeed.web.deps import (
    FormCsrf,
    RowId,
    RowIdForm,
    RowIdQuery,
    SignedInDep,
    Site,
    SiteDep,
    UserDep,
    html,
    say_next,
)
from paperfeed.web.feeds import resolve_id
from paperfeed.web.limits import allow_body
from paperfeed.web.render import query_string
from paperfeed.web.shared_lists import note_context

router = APIRouter(include_in_schema=False)
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


def install(app: FastAPI) -> None:
    """Add the personal pages and API to the app, with one recommender for the process."""
    site: Site = app.state.site
    # All-time feeds take their candidates from the search's vector index (recommend does not
    # import search: the app hands it in).
    app.state.recommender = shared_recommender(
        site.engine,
        lambda queries, k: site.search().neighbours(queries, k),
        site.settings.index_dir / "vocabulary",  # beside the search's index caches
    )
    app.state.site.env.filters["markdown"] = markdown_html
    for path in ("/api/me/library/import", "/library/import"):  # uploads, checked again inside
        allow_body(app, path, 2 * references.MAX_IMPORT_BYTES)
    app.include_router(me_api.router)
    app.include_router(collection_editors.api)
    app.include_router(collection_handover.api)
    app.include_router(router)
    app.include_router(collection_editors.router)
    app.include_router(collection_handover.router)


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
    """What the card buttons show for a signed-in user: saved papers and ratings."""
    if user is None:
        return {"mine": None}
    return {
        "mine": {
            "saved": lib.saved_ids(conn, user.id, ids),
            "ratings": lib.user_ratings(conn, user.id, ids),
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


# --- save, rate, follow, mute -----------------------------------------------------------------


@router.post("/papers/{paper_id:path}/save", dependencies=[FormCsrf])
def save(
    request: Request,
    site: SiteDep,
    user: UserDep,
    paper_id: str,
    saved: Annotated[int, Form(ge=0, le=1)] = 1,
    collection: Annotated[str, Form(max_length=200)] = "",
    next: NextField = "",
    confirm: Annotated[int, Form(ge=0, le=1)] = 0,
    into: RowIdForm = None,
) -> Response:
    """Save (saved=1) or unsave (saved=0) a paper, optionally into a collection (by name, or
    by id `into`: one of the reader's or one they edit). Unsaving a paper the reader wrote a
    note on or filed in collections asks first (`confirm=1` answers): one click on a card's
    "Saved" must not lose them."""
    if not saved and not confirm and user is not None:
        asked = _ask_before_unsaving(request, site, user, resolve_id(paper_id), next)
        if asked is not None:
            return asked

    def change(conn: Connection, user_id: int, pid: str) -> Reply:
        if saved and into is not None:
            editors.put_in(conn, user_id, me_api.editable_collection(conn, user_id, into), pid)
        elif saved:
            lib.save_paper(conn, user_id, pid, collection or None)
        else:
            lib.unsave_paper(conn, user_id, pid)
        return {"id": pid, "saved": bool(saved)}

    return _paper_button(request, site, user, paper_id, next, change)


def _ask_before_unsaving(
    request: Request, site: Site, user: User, pid: str, next: str
) -> Response | None:
    """The question to ask before unsaving a paper with a note or collections; None when
    nothing of the reader's would go with it."""
    with site.engine.connect() as conn:
        item = lib.library_item(conn, user.id, pid)
        paper = get_paper(conn, pid)
    if item is None or not (item.note.strip() or item.collections):
        return None
    lost = ["your note"] if item.note.strip() else []
    if item.collections:
        names = ", ".join(f"“{n}”" for n in item.collections)
        lost.append(f"its place in {names}" if len(item.collections) <= 3 else
                    f"its place in {len(item.collections)} collections")  # fmt: skip
    said = " and ".join(lost)
    verb = "go" if len(lost) > 1 else "goes"
    question = f"Remove this paper from your library? {said[:1].upper()}{said[1:]} {verb} with it."
    if _wants_json(request):  # nothing changed: the card asks and sends again with confirm=1
        return JSONResponse({"id": pid, "saved": True, "confirm": question})
    target = safe_next(next or f"/papers/{pid}")
    body = site.render(
        "unsave.html", user=user, question=question, paper=paper, pid=pid, back=target
    )
    return html(site, request, body)  # a question, answered by its form


@router.post("/papers/{paper_id:path}/rate", dependencies=[FormCsrf])
def rate(
    request: Request,
    site: SiteDep,
    user: UserDep,
    paper_id: str,
    rating: Annotated[int, Form(ge=-1, le=1)],
    next: NextField = "",
) -> Response:
    """More like this (1), less like this (-1), or clear (0)."""

    def change(conn: Connection, user_id: int, pid: str) -> Reply:
        lib.set_rating(conn, user_id, pid, rating or None)
        return {"id": pid, "rating": rating or None}

    return _paper_button(request, site, user, paper_id, next, change)


@router.post("/me/{what}", dependencies=[FormCsrf])
def follow_or_mute(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    what: str,
    kind: Annotated[str, Form(max_length=16)],
    value: TextField,
    undo: Annotated[int, Form(ge=0, le=1)] = 0,
    next: NextField = "/library",
    box: Annotated[int, Form(ge=0, le=1)] = 0,
) -> Response:
    """Follow, unfollow, mute or unmute an author, category, saved search or keyword. A
    problem with what was typed in the library's box shows the library again, saying what,
    with the input kept."""
    if what not in ("follow", "mute"):
        raise HTTPException(404, f"there is nothing at /me/{what}")
    try:
        key, label = me_api.interest_key(kind, value)
        if not undo:
            me_api.check_new_interest(kind, label)
        with site.engine.begin() as conn, _bad_request():
            if undo:
                lib.remove_interest(conn, user.id, what, kind, key)
            else:
                lib.add_interest(conn, user.id, what, kind, key, label)
    except HTTPException as exc:
        if not box or exc.status_code != 400 or _wants_json(request):
            raise
        kept = {what: {"kind": kind, "value": value}}
        done = "followed" if what == "follow" else "muted"
        said = Said(problem=_sentence(f"Not {done}: {exc.detail}"), kept=kept)
        return _library(request, site, user, _shelf_of(next), said, 400)
    if what == "mute" and not undo:
        next = _first_page(next)  # what it hides may have been all of the page it came from
    answer = _done(request, next, {"what": what, "kind": kind, "value": key, "on": not undo})
    if _wants_json(request):
        return answer
    verb = {"follow": "Followed", "mute": "Muted"}[what]
    return say_next(
        answer, f"{'Un' + verb.lower() if undo else verb} {_KINDS.get(kind, kind)} “{label}”."
    )


_KINDS = {"author": "author", "category": "category", "search": "search", "keyword": "keyword"}


def _first_page(target: str) -> str:
    """`target` without its page number."""
    parts = urlsplit(target)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    return urlunsplit(parts._replace(query=urlencode(kept)))


@router.get("/follow/author/{slug}")
def follow_author_page(request: Request, site: SiteDep, user: SignedInDep, slug: str) -> Response:
    """Before following an author: their papers and co-authors, to tell namesakes apart; when
    the papers fall into groups that share no co-author, each group can be followed alone."""
    key = slug.replace("-", " ")
    with site.engine.connect() as conn:
        name = _author_named(conn, key, slug)
        listing = views.by_author(conn, key, 1, 10, user)
        followed = [i.value for i in lib.interests(conn, user.id, "follow") if i.kind == "author"]
        found = namesakes.groups(lib.papers_under_name(conn, key), key)
        context = {
            "name": name,
            "key": key,
            "slug": slug,
            "listing": listing,
            "following": key in followed,
            "coauthors": lib.coauthors(conn, key),
            "groups": _shown_groups(conn, key, found, followed),
            "more_groups": max(len(found) - namesakes.MAX_GROUPS, 0),
        }
    return html(
        site,
        request,
        site.render("follow_author.html", user=user, here=request.url.path, **context),
    )


def _author_named(conn: Connection, key: str, slug: str) -> str:
    name = author_name(conn, key)
    if name is None:
        raise HTTPException(404, f"no papers by an author {slug!r} here")
    return name


@dataclass(frozen=True)
class ShownGroup:
    """A group of a name's papers on the follow page, and the value of the reader's follow of
    that namesake (None when they do not follow it)."""

    group: namesakes.Group
    followed: str | None


def _shown_groups(
    conn: Connection, key: str, found: Sequence[namesakes.Group], followed: Sequence[str]
) -> list[ShownGroup]:
    """The biggest groups when there are several, or when the reader follows one (one group,
    not followed: nothing to choose between), each with the reader's follow of it: one whose
    co-authors, grown since, meet the group's."""
    papers = [p for g in found for p in g.papers]
    circles = {}
    for value in followed:
        name_key, anchors = lib.author_follow(value)
        if name_key == key and anchors:
            circles[value] = namesakes.circle(papers, key, anchors - {key})
    if len(found) < 2 and not circles:
        return []
    return [
        ShownGroup(g, next((v for v, c in circles.items() if not c.isdisjoint(g.keys)), None))
        for g in found[: namesakes.MAX_GROUPS]
    ]


def _group_with(found: Sequence[namesakes.Group], anchor: str) -> namesakes.Group | None:
    """The group with this co-author (None: no paper under the name has them)."""
    return next((g for g in found if anchor in g.keys), None)


@router.post("/follow/author/{slug}/namesake", dependencies=[FormCsrf])
def follow_namesake(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    slug: str,
    anchor: TextField,
    next: NextField = "",
) -> Response:
    """Follow one of the authors of a name: the group of their papers with the co-author
    `anchor` (a name key, as the follow page's button sends it). Unfollowing is /me/follow's."""
    key = slug.replace("-", " ")
    with site.engine.begin() as conn, _bad_request():
        name = _author_named(conn, key, slug)
        found = namesakes.groups(lib.papers_under_name(conn, key), key)
        group = _group_with(found, anchor)
        if group is None:
            raise HTTPException(400, f"no paper by {name} here has the co-author {anchor!r:.80}")
        value = lib.namesake_value(key, [k for _n, k, _c in group.coauthors])
        label = namesakes.label(name, group)[: lib.INTEREST_MAX]
        lib.add_interest(conn, user.id, "follow", "author", value, label)
    target = next or f"/follow/author/{slug}"
    return _done(request, target, {"what": "follow", "kind": "author", "value": value, "on": True})


# --- library ----------------------------------------------------------------------------------


LibraryOrder = Literal["added", "published", "title", "list"]  # "list": a collection's own
ReadingState = Literal["to_read", "read"]


@router.get("/library")
def library_page(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    collection: RowIdQuery = None,
    state: Annotated[ReadingState | None, Query()] = None,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    order: Annotated[LibraryOrder, Query()] = "added",
    did: Annotated[BulkAction | None, Query()] = None,
    n: Annotated[int, Query(ge=0, le=lib.BULK_MAX)] = 0,
    into: RowIdQuery = None,
    exists: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    """Your saved papers with reading state and notes, a page at a time (those to read or
    read, those matching words of their title, authors or note; newest saved, newest
    published or by title), your collections, follows and mutes."""
    shelf = Shelf(collection, state, q, page, order)
    return _library(request, site, user, shelf, Said(did, n, into, bool(exists)))


@dataclass(frozen=True)
class Shelf:
    """Which part of the library a page shows."""

    collection: int | None = None
    state: ReadingState | None = None
    q: str = ""
    page: int = 1
    order: LibraryOrder = "added"


@dataclass(frozen=True)
class Said:
    """What the library page says above its list: a bulk change done, a collection that
    already existed, or a form's problem (shown with the form's input kept)."""

    did: str | None = None
    n: int = 0
    into: int | None = None
    exists: bool = False
    problem: str | None = None
    kept: Mapping[str, object] | None = None


def _library(
    request: Request, site: Site, user: User, shelf: Shelf, said: Said, status: int = 200
) -> Response:
    """The library page showing `shelf`, saying `said`."""
    if shelf.order == "list" and shelf.collection is None:
        raise HTTPException(400, "the list's order is a collection's: choose a collection")
    with site.engine.connect() as conn:
        chosen = (
            me_api.editable_collection(conn, user.id, shelf.collection)
            if shelf.collection is not None
            else None
        )
        found = lib.library(conn, user.id, chosen.id if chosen else None, shelf.q, shelf.order)
        if chosen is not None and chosen.user_id != user.id:
            found = editors.editor_shelf(conn, user.id, chosen, found, shelf.q, shelf.order)
        shown = [i for i in found if shelf.state is None or i.state == shelf.state]
        per = site.settings.page_size
        pages = max(ceil(len(shown) / per), 1)
        page = min(shelf.page, pages)  # past the end (the last paper of a page removed): the last
        items = shown[(page - 1) * per : page * per]
        cards = {c.paper.id: c for c in views.cards(conn, [i.paper_id for i in items], user)}
        mine = lib.user_collections(conn, user.id)
        into = next((c for c in mine if c.id == said.into), None)
        context = {
            "items": [(i, cards[i.paper_id]) for i in items if i.paper_id in cards],
            "counts": {"all": len(found)} | Counter(i.state for i in found),
            "shown": len(shown),
            "state": shelf.state,
            "q": shelf.q.strip(),
            "order": shelf.order,
            "paging": {"page": page, "pages": pages, "first": (page - 1) * per + 1},
            "note_max": lib.NOTE_MAX,
            "back": _shelf_url(shelf) if status != 200 else _here(request, DONE_KEYS),
            "collections": mine,
            "chosen": chosen,
            "done": _said(said.did, said.n, into, chosen)
            or (_exists(chosen) if said.exists else None),
            "problem": said.problem,
            "kept": said.kept or {},
            "follows": lib.interests(conn, user.id, "follow"),
            "mutes": lib.interests(conn, user.id, "mute"),
            "feed_token": lib.has_feed_token(conn, user.id),
            **_group_context(conn, user, chosen, [i.paper_id for i in items]),
            "places": _places(conn, chosen) if shelf.order == "list" else {},
        }
    body = site.render("library.html", user=user, here="/library", **context)
    return html(site, request, body, status)


def _group_context(
    conn: Connection, user: User, chosen: lib.Collection | None, ids: list[str]
) -> dict[str, object]:
    """What the library shows of collections shared between readers: those the reader edits,
    the chosen one's owner or editors, and the notes on its papers shown."""
    context: dict[str, object] = {"shared_with": editors.shared_with(conn, user.id)}
    context["offered"] = editors.offered_to(conn, user.id)  # theirs to accept or decline
    if chosen is None:
        return context
    owned = chosen.user_id == user.id
    context["owned"] = owned
    context["owner_name"] = None if owned else lib.owner_name(conn, chosen)
    context["editors"] = editors.editor_names(conn, chosen.id) if owned else []
    context["heirs"] = editors.heirs(conn, chosen.id) if owned else []  # suspended ones left out
    context["offer"] = editors.pending_offer(conn, chosen.id) if owned else None
    context["item_notes"] = item_notes(conn, chosen.id, ids)
    context |= note_context(conn, chosen.id, ids)  # the reader owns or edits it
    context["list_note_max"] = ITEM_NOTE_MAX
    return context


def _places(conn: Connection, chosen: lib.Collection | None) -> dict[str, int]:
    """Each paper's place in the chosen collection's own order, from 1 (what its Move up, Move
    down and 'Move to place' forms say and send, whatever part of it the page shows)."""
    if chosen is None:
        return {}
    return {pid: n for n, pid in enumerate(lib.collection_paper_ids(conn, chosen.id, "list"), 1)}


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _shelf_url(shelf: Shelf) -> str:
    """The library page's address for `shelf` (where its forms come back to)."""
    pairs = {
        "collection": shelf.collection,
        "state": shelf.state,
        "q": shelf.q or None,
        "page": shelf.page if shelf.page > 1 else None,
        "order": shelf.order if shelf.order != "added" else None,
    }
    kept = [(k, str(v)) for k, v in pairs.items() if v is not None]
    return "/library" + (f"?{urlencode(kept)}" if kept else "")


def _shelf_of(target: str) -> Shelf:
    """The part of the library a form's `next` address shows (what is unreadable in it: the
    default), to show that page again with the form's problem."""
    parts = urlsplit(safe_next(target))
    if parts.path != "/library":
        return Shelf()
    got = dict(parse_qsl(parts.query))
    number = {k: int(v) for k, v in got.items() if k in ("collection", "page") and v.isdigit()}
    state = got.get("state")
    order = got.get("order")
    orders = lib.COLLECTION_ORDERS if "collection" in number else lib.LIBRARY_ORDERS
    return Shelf(
        collection=number.get("collection"),
        state=cast(ReadingState, state) if state in ("to_read", "read") else None,
        q=got.get("q", "")[:200],
        page=max(min(number.get("page", 1), 1_000_000), 1),
        order=cast(LibraryOrder, order) if order in orders else "added",
    )


@router.post("/library/{paper_id:path}/edit", dependencies=[FormCsrf])
def edit_item(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    paper_id: str,
    state: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str | None, Form(max_length=lib.NOTE_MAX)] = None,
    next: NextField = "/library",
) -> Response:
    """Change a saved paper's reading state or note."""
    pid = resolve_id(paper_id)
    with site.engine.begin() as conn, _bad_request():
        found = lib.update_item(conn, user.id, pid, state or None, note)
    if not found:
        raise HTTPException(404, f"{pid} is not in your library")
    return _done(request, next, {"id": pid, "state": state, "note": note})


BulkAction = me_api.BulkAction
DONE_KEYS = ("did", "n", "into", "exists")  # what the library page says after a bulk change


@router.post("/library/bulk", dependencies=[FormCsrf])
def bulk(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    action: Annotated[BulkAction, Form()],
    paper_id: Annotated[list[str], Form(max_length=lib.BULK_MAX)] = [],  # noqa: B006
    collection: Annotated[str, Form(max_length=200)] = "",
    from_collection: RowIdForm = None,
    next: NextField = "/library",
    confirmed: Confirmed = 0,
) -> Response:
    """The library's ticked papers at once: mark read or to read, add to a collection, move
    there from this one, take out of this one, or remove from the library (after a question).
    The page comes back saying what was done."""
    ids = [resolve_id(pid) for pid in paper_id]
    if action == "remove" and ids and not confirmed and not _wants_json(request):
        n = f"{len(ids):,} paper{'' if len(ids) == 1 else 's'}"
        fields = [("action", action), ("next", next), *(("paper_id", pid) for pid in ids)]
        fields += [("from_collection", str(from_collection))] if from_collection else []
        question = f"Remove {n} from your library, with their notes and collections?"
        return ask(request, site, user, question, next, fields, f"Remove {n}")
    try:
        with site.engine.begin() as conn, _bad_request():
            if from_collection is not None:
                me_api.editable_collection(conn, user.id, from_collection)
            done = lib.bulk_change(conn, user.id, ids, action, collection, from_collection)
    except HTTPException as exc:
        if exc.status_code != 400 or _wants_json(request):
            raise
        kept = {"bulk": {"action": action, "collection": collection, "ticked": ids}}
        said = Said(problem=_sentence(f"Nothing changed: {exc.detail}"), kept=kept)
        return _library(request, site, user, _shelf_of(next), said, 400)
    into = done.into.id if done.into else None
    data: Reply = {"action": action, "changed": done.changed, "collection": into}
    return _done(request, _with_done(next, action, done.changed, into), data)


def _with_done(target: str, action: str, changed: int, into: int | None) -> str:
    """`target` (a library page) with what a bulk change did, for the page to say."""
    parts = urlsplit(safe_next(target))
    kept = [(k, v) for k, v in parse_qsl(parts.query) if k not in DONE_KEYS]
    said = [("did", action), ("n", str(changed))] + ([("into", str(into))] if into else [])
    return urlunsplit(parts._replace(query=urlencode(kept + said)))


@router.post("/collections", dependencies=[FormCsrf])
def create_collection(
    site: SiteDep,
    user: SignedInDep,
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=5000)] = "",
    visibility: Annotated[str, Form(max_length=16)] = "private",
) -> Response:
    """Create a collection; a name the reader already uses leads to that collection, unchanged
    (its description, visibility and link are not overwritten), and says so."""
    with site.engine.begin() as conn, _bad_request():
        existing = lib.find_collection(conn, user.id, name)
        if existing is not None:
            return RedirectResponse(f"/library?collection={existing.id}&exists=1", status_code=303)
        found = lib.ensure_collection(conn, user.id, name, description, visibility)
    return RedirectResponse(f"/library?collection={found.id}", status_code=303)


@router.post("/collections/{collection_id}/edit", dependencies=[FormCsrf])
def edit_collection(
    site: SiteDep,
    user: SignedInDep,
    collection_id: RowId,
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=5000)] = "",
    visibility: Annotated[str, Form(max_length=16)] = "private",
) -> Response:
    """Rename a collection, or change its description or visibility (its link stays)."""
    with site.engine.begin() as conn, _bad_request():
        if not lib.edit_collection(conn, user.id, collection_id, description, visibility, name):
            raise HTTPException(404, "no such collection of yours")
    return RedirectResponse(f"/library?collection={collection_id}", status_code=303)


@router.post("/collections/{collection_id}/new-link", dependencies=[FormCsrf])
def new_link(site: SiteDep, user: SignedInDep, collection_id: RowId) -> Response:
    """A new shared link for a collection: whoever had the old one loses it."""
    with site.engine.begin() as conn:
        if not lib.new_share_key(conn, user.id, collection_id):
            raise HTTPException(404, "no such collection of yours")
    return RedirectResponse(f"/library?collection={collection_id}", status_code=303)


@router.post("/collections/{collection_id}/delete", dependencies=[FormCsrf])
def delete_collection(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    collection_id: RowId,
    confirmed: Confirmed = 0,
) -> Response:
    """Delete a collection (after a question); its papers stay in the library."""
    if not confirmed:
        with site.engine.connect() as conn:
            chosen = me_api.own_collection(conn, user.id, collection_id)
        question = f"Delete the collection “{chosen.name}”? Its papers stay in your library."
        back = f"/library?collection={collection_id}"
        return ask(request, site, user, question, back, yes="Delete the collection")
    with site.engine.begin() as conn:
        if not lib.delete_collection(conn, user.id, collection_id):
            raise HTTPException(404, "no such collection of yours")
    return RedirectResponse("/library", status_code=303)


@router.post("/collections/{collection_id}/remove", dependencies=[FormCsrf])
def remove_from_collection(
    site: SiteDep,
    user: SignedInDep,
    collection_id: RowId,
    paper_id: Annotated[str, Form(max_length=200)],
    next: NextField = "",
) -> Response:
    """Take a paper out of one of your collections, or one you edit (it stays in the
    library)."""
    with site.engine.begin() as conn:
        me_api.editable_collection(conn, user.id, collection_id)
        lib.remove_from_collection(conn, collection_id, resolve_id(paper_id))
    return RedirectResponse(safe_next(next or f"/library?collection={collection_id}"), 303)


@router.get("/c/{share_key}")
def collection_page(
    request: Request,
    site: SiteDep,
    user: UserDep,
    share_key: str,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    order: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """A public or unlisted collection, a page at a time (in its owner's order where they
    set one, else newest added first; or newest papers or titles first), with its feeds and
    exports."""
    if order and order not in lib.COLLECTION_ORDERS:
        raise HTTPException(400, f"order is one of {', '.join(lib.COLLECTION_ORDERS)}")
    with site.engine.connect() as conn:
        found = lib.shared_collection(conn, share_key)
        if found is None:
            raise HTTPException(404, "no such collection (it may be private)")
        order = order or found.order
        ids, per = lib.collection_paper_ids(conn, found.id, order), site.settings.page_size
        ids, sectioned = collection_sections.in_sections(conn, found.id, ids)
        views.check_page(page, len(ids), per)
        shown = views.cards(conn, ids[views.offset_of(page, per) :][:per], user)
        first = views.offset_of(page, per) + 1
        listing = views.Listing(
            found.name, shown, len(ids), page, per, f"/c/{share_key}", f"/c/{share_key}/feed"
        )
        context = {
            "collection": found,
            "canonical_url": site.settings.public_url
            + listing.page_path
            + query_string(
                page=page if page > 1 else None, order=order if order != found.order else None
            ),
            "owner": lib.owner_name(conn, found),
            "listing": listing,
            "order": order,
            **sectioned,
            "groups": collection_sections.groups(shown, sectioned["paper_sections"], first),
            **personal_context(conn, user, [c.paper.id for c in shown]),
            **shared_lists.list_context(conn, user, found, [c.paper.id for c in shown]),
        }
    body = site.render("collection.html", user=user, here=_here(request), **context)
    return _unlisted(html(site, request, body), found.visibility)


@router.get("/collections")
def public_collections_page(
    request: Request,
    site: SiteDep,
    user: UserDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """Readers' public collections, the most recently added to first, a page at a time."""
    per = site.settings.page_size
    with site.engine.connect() as conn:
        total = lib.count_public_collections(conn)
        views.check_page(page, total, per)
        shown = lib.public_collections(conn, None, per, views.offset_of(page, per))
    paging = {"page": page, "pages": max(ceil(total / per), 1)}
    body = site.render(
        "collections.html", user=user, here="/collections", shown=shown, total=total, paging=paging
    )
    return html(site, request, body)


@router.post("/c/{share_key}/copy", dependencies=[FormCsrf])
def copy_collection(
    site: SiteDep,
    user: SignedInDep,
    share_key: str,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Copy a shared collection into your library, as a collection of yours (its name, or
    `name`); the library page then says how many papers it took in."""
    with site.engine.begin() as conn, _bad_request():
        found = lib.shared_collection(conn, share_key)
        if found is None:
            raise HTTPException(404, "no such collection (it may be private)")
        target, _saved, added = lib.copy_collection(conn, user.id, found, name or found.name)
        headings_store.copy_sections(conn, found.id, target.id)  # its sections too
    back = f"/library?collection={target.id}"
    return RedirectResponse(_with_done(back, "add", added, target.id), status_code=303)


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


@router.get("/c/{share_key}/feed.{fmt}")
def collection_feed(request: Request, site: SiteDep, share_key: str, fmt: str) -> Response:
    """A shared collection as Atom, RSS (entries dated when they were added, with validators
    for feed readers), BibTeX, RIS or CSL-JSON."""
    with site.engine.connect() as conn:
        found = lib.shared_collection(conn, share_key)
        if found is None:
            raise HTTPException(404, "no such collection (it may be private)")
        ids = lib.collection_paper_ids(conn, found.id, found.order)
        ids, sectioned = collection_sections.in_sections(conn, found.id, ids)  # as its page
        headings = {pid: s.title for pid, s in sectioned["paper_sections"].items()}
        if fmt in ("atom", "rss"):  # a feed reader polls: the newest additions, as other feeds
            newest = set(lib.collection_paper_ids(conn, found.id)[: feeds.FEED_SIZE])
            ids = [pid for pid in ids if pid in newest]  # in the list's order where it has one
        shown = views.cards(conn, ids, None)
        added = {s.paper_id: s.at for s in lib.collection_signals(conn, found.id)}
        notes = item_notes(conn, found.id, ids)  # its owner's, public as on its page
        revised = revisions.read_in_since_added(conn, found.id, ids)
    listing = views.Listing(
        found.name,
        shown,
        len(shown),
        1,
        max(len(shown), 1),
        f"/c/{share_key}",
        f"/c/{share_key}/feed",
    )
    if fmt in ("atom", "rss"):
        base, token = site.settings.public_url.rstrip("/"), feeds.reader_token(request, site)
        body = feeds.render_listing(
            listing,
            fmt,
            base,
            added=added,
            token=token,
            notes=notes,
            sections=headings,
            revised=revised,
        )
        private = found.visibility != "public"
        exported = feeds.feed_response(request, body, feeds.MEDIA[fmt], private=private)
    else:  # as a reader's notes are in their export: what Zotero and JabRef read as notes,
        # and its section as a keyword (the tag a reader's collections are written as)
        noted = {
            pid: references.Annotations(notes.get(pid, ""), _tagged(headings.get(pid)))
            for pid in set(notes) | set(headings)
        }
        exported = _export(site, listing, fmt, found.slug, noted)
    return _unlisted(exported, found.visibility)


def _tagged(heading: str | None) -> tuple[str, ...]:
    return (heading,) if heading else ()


def _export(
    site: Site,
    listing: views.Listing,
    fmt: str,
    name: str,
    annotated: references.AnnotationsById | None = None,
) -> Response:
    papers = [c.paper for c in listing.cards]
    if fmt in ("atom", "rss"):
        body = feeds.render_listing(listing, fmt, site.settings.public_url.rstrip("/"))
        return Response(body, media_type=feeds.MEDIA[fmt])
    if fmt not in EXPORTS:
        raise HTTPException(404, "formats: atom, rss, bib, ris, json")
    return _written(papers, fmt, name, listing.title, annotated)


def _written(
    papers: list[Paper],
    fmt: str,
    name: str,
    title: str,
    annotated: references.AnnotationsById | None,
) -> Response:
    """Papers as a BibTeX, RIS or CSL-JSON download."""
    write = {"bib": bibtex.entries, "ris": references.ris, "json": references.csl_json}[fmt]
    media, ext = EXPORTS[fmt]
    return Response(
        write(papers, annotated), media_type=media, headers=_attachment(name, title, ext)
    )


def _attachment(slug: str, title: str, ext: str) -> dict[str, str]:
    """The download's file name: the slug, and (RFC 6266) the collection's own name where the
    slug lost some of it ("日本語の論文" is no "ri-ben-yu-nolun-wen")."""
    disposition = f'attachment; filename="{slug}.{ext}"'
    if not title.isascii():
        safe = "".join(ch for ch in title if ch.isprintable() and ch not in '/\\"')
        disposition += f"; filename*=UTF-8''{quote(f'{safe.strip()}.{ext}', safe='')}"
    return {"Content-Disposition": disposition}


@router.get("/library/export.{fmt}")
def export_library(
    site: SiteDep, user: SignedInDep, fmt: str, collection: RowIdQuery = None
) -> Response:
    """Your library (or one collection, yours or one you edit) as BibTeX, RIS or CSL-JSON."""
    with site.engine.connect() as conn:
        chosen = me_api.editable_collection(conn, user.id, collection) if collection else None
        items = lib.library(conn, user.id, chosen.id if chosen else None)
        if chosen is not None and chosen.user_id != user.id:
            items = editors.editor_shelf(conn, user.id, chosen, items)
        return _export_items(site, conn, user, items, fmt, chosen.slug if chosen else "library")


def _export_items(
    site: Site, conn: Connection, user: User, items: list[lib.LibraryItem], fmt: str, name: str
) -> Response:
    """Saved papers as an export of yours: with your notes, and your collections, reading
    state and 👍 / 👎 as tags."""
    ids = [i.paper_id for i in items]
    rated = lib.user_ratings(conn, user.id, ids)
    annotated = {i.paper_id: _annotations(i, rated.get(i.paper_id)) for i in items}
    if fmt in EXPORTS:  # the papers alone: no card's votes and comments counted for each
        found = views.current_papers(conn, ids)
        papers = [found[pid] for pid in ids if pid in found]
        return _written(papers, fmt, name, "Library", annotated)
    shown = views.cards(conn, ids, user)
    listing = views.Listing("Library", shown, len(shown), 1, 1, "/library", "/library/export")
    return _export(site, listing, fmt, name, annotated)


@router.post("/library/export-ticked", dependencies=[FormCsrf])
def export_ticked(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    fmt: Annotated[Literal["bib", "ris", "json"], Form()],
    paper_id: Annotated[list[str], Form(max_length=lib.BULK_MAX)] = [],  # noqa: B006
    next: NextField = "/library",
) -> Response:
    """The library's ticked papers as BibTeX, RIS or CSL-JSON, with your notes and tags, as a
    download (papers not saved are left out). None ticked: the library again, saying so."""
    ticked = {resolve_id(pid) for pid in paper_id}
    if not ticked:
        if _wants_json(request):
            raise HTTPException(400, "tick at least one paper")
        said = Said(problem="Nothing exported: tick at least one paper.", kept={"bulk": {}})
        return _library(request, site, user, _shelf_of(next), said, 400)
    with site.engine.connect() as conn:
        items = [i for i in lib.library(conn, user.id) if i.paper_id in ticked]
        answer = _export_items(site, conn, user, items, fmt, "library-selection")
    answer.headers["Content-Disposition"] = f'attachment; filename="library-selection.{fmt}"'
    return answer


def _annotations(item: lib.LibraryItem, rating: int | None) -> references.Annotations:
    return references.Annotations(item.note.strip(), tuple(item.collections), item.state, rating)


@router.get("/library/import")
def import_page(request: Request, site: SiteDep, user: SignedInDep) -> Response:
    """The form to import a BibTeX, RIS or CSL-JSON export."""
    body = site.render(
        "import.html", user=user, report=None, fetch_max=site.settings.import_fetch_max
    )
    return html(site, request, body)


PASTE_MAX = 1_000_000  # a page of a thousand papers' titles and authors is a fifth of this


@router.post("/library/import", dependencies=[FormCsrf])
async def import_upload(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    file: Annotated[UploadFile | None, File()] = None,
    text: Annotated[str, Form(max_length=PASTE_MAX)] = "",
    collection: Annotated[str, Form(max_length=200)] = "",
    tags_as_collections: Annotated[bool, Form()] = False,
) -> Response:
    """Import an export (a file, or text pasted from a page listing papers) into the library
    and show what matched."""
    from starlette.concurrency import run_in_threadpool

    try:
        data = await library_import.read_upload_or_text(file, text)
        report = await run_in_threadpool(
            library_import.import_references,
            site,
            user,
            data,
            collection or None,
            tags_as_collections,
        )
    except HTTPException as exc:  # a file that cannot be read: said on the form, to try again
        page = site.render(
            "import.html", user=user, error=exc.detail, fetch_max=site.settings.import_fetch_max
        )
        return html(site, request, page, exc.status_code)
    body = site.render(
        "import.html", user=user, report=report, fetch_max=site.settings.import_fetch_max
    )
    return html(site, request, body)


# --- For you ----------------------------------------------------------------------------------


@router.get("/for-you")
def for_you(
    request: Request,
    site: SiteDep,
    user: UserDep,
    window: str = "week",
    show_muted: Annotated[int, Query(ge=0, le=1)] = 0,
    collection: CollectionParam = "",
    page: Annotated[int, Query(ge=1, le=FOR_YOU_PAGES)] = 1,
    pick: Annotated[int, Query(ge=0, le=1)] = 0,
    acted: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Papers of today, this week or this month ranked by your model, each with why; ranked by
    one of your collections alone when `collection` names it (empty, as the page's "Rank by"
    form sends "everything": by all your signals); `page` reads further down the ranking.
    `pick=1`: the starting categories were sent with none ticked (the page says so).
    `acted`: the paper whose card's button (a plain form) came back here."""
    if user is None:
        return _signin("/for-you")
    collection_id = _collection_id(collection)
    if window not in WINDOWS:
        raise HTTPException(400, f"window is one of {', '.join(WINDOWS)}")
    recommender, size = _recommender(request), site.settings.page_size
    with site.engine.connect() as conn:
        chosen = (
            me_api.own_collection(conn, user.id, collection_id)
            if collection_id is not None
            else None
        )
        ranked, notice = ranked_feed(
            recommender, conn, user.id, window, size * page + 1, bool(show_muted), collection_id
        )
        recs, more = ranked[size * (page - 1) : size * page], len(ranked) > size * page
        if page > 1 and not recs:
            raise views.PageOutOfRange(f"page {page} is past the end of this window's ranking")
        shown = {c.paper.id: c for c in views.cards(conn, [r.id for r in recs], user)}
        items = [(shown[r.id], r.why) for r in recs if r.id in shown]
        muted = _muted_in_feed(
            conn, recommender, user.id, window, size, bool(show_muted), collection_id, page
        )
        context = {
            "items": items,
            "window": window,
            "windows": list(WINDOWS),
            "notice": notice,
            "show_muted": bool(show_muted),
            "chosen": chosen,
            "page": page,
            "more": more and page < FOR_YOU_PAGES,
            "collections": lib.user_collections(conn, user.id),
            "list_news": shared_lists.news(conn, user) if page == 1 else [],
            **muted,
            **personal_context(conn, user, list(shown)),
            **(_starting(conn, user.id) if not items and chosen is None else {}),
            "pick_problem": bool(pick),
            "span": window_span(conn, window),
            "left_out": _left_out(conn, user.id, acted) if acted not in shown else None,
        }
        if show_muted:
            follows = follows_of(conn, user.id)
            mark_muted(context, follows, [c.paper for c in shown.values()])
    here = "/for-you" + query_string(  # show_muted last: the mutes note drops it from here
        window=window,
        collection=collection_id,
        page=page if page > 1 else None,
        show_muted=show_muted or None,
    )
    return html(site, request, site.render("for_you.html", user=user, here=here, **context))


def _left_out(conn: Connection, user_id: int, pid: str) -> tuple[Paper, str] | None:
    """A paper whose card left For you when saved or rated there, and what was done to it."""
    paper = get_paper(conn, pid) if pid else None
    if paper is None:
        return None
    rating = lib.user_ratings(conn, user_id, [pid]).get(pid)
    done = ["saved to your library"] if lib.library_item(conn, user_id, pid) else []
    done += {1: ["rated 👍 more like this"], -1: ["rated 👎 less like this"]}.get(rating or 0, [])
    return (paper, " and ".join(done)) if done else None


def _muted_in_feed(
    conn: Connection,
    recommender: Recommender,
    user_id: int,
    window: str,
    size: int,
    shown: bool,
    collection: int | None = None,
    page: int = 1,
) -> dict[str, object]:
    """How many papers the reader's mutes hide from the `page`th page of the ranking without
    mutes (kept beside the page's own; nothing for a reader without mutes)."""
    follows = follows_of(conn, user_id)
    if not has_mutes(follows):
        return {}
    every, _notice = ranked_feed(recommender, conn, user_id, window, size * page, True, collection)
    papers = views.current_papers(conn, [r.id for r in every[size * (page - 1) :]])
    count = sum(hides(p, follows) for p in papers.values())
    return {"muted": Muted(count, "page")} if count or shown else {}


RATINGS_SHOWN = 500  # the newest 👍 and 👎 the learned page lists, each to take back
FOR_YOU_PAGES = 20  # pages of For you one can read down (600 papers at the default page size)
START_DAYS = 30  # a new reader is offered the categories of the last month's papers
START_OFFERED = 16


def _starting(conn: Connection, user_id: int) -> dict[str, object]:
    """What an empty For you page offers a reader who follows no category yet: the store's
    common categories of the last month, to follow at once."""
    newest = latest_day(conn)
    if newest is None or follows_of(conn, user_id).categories:
        return {}
    since = newest - timedelta(days=START_DAYS - 1)
    return {"start_categories": top_categories(conn, since, START_OFFERED)}


@router.post("/for-you/start", dependencies=[FormCsrf])
def start(
    site: SiteDep,
    user: SignedInDep,
    category: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006  (FastAPI copies it)
) -> Response:
    """Follow the categories a new reader ticked, then show what For you ranks with them
    (at most 100 at once: `max_length` bounds the list; each name must be a known category)."""
    chosen = [me_api.interest_key("category", name)[0] for name in category]
    if not chosen:  # back to the picker, which says so
        return RedirectResponse("/for-you?window=month&pick=1", status_code=303)
    with site.engine.begin() as conn:
        for name in dict.fromkeys(chosen):
            key, label = me_api.interest_key("category", name)
            lib.add_interest(conn, user.id, "follow", "category", key, label)
    return RedirectResponse("/for-you?window=month", status_code=303)


def ranked_feed(
    recommender: Recommender,
    conn: Connection,
    user_id: int,
    window: str,
    limit: int,
    show_muted: bool = False,
    collection: int | None = None,
) -> tuple[list[Recommendation], str | None]:
    """The user's feed for a named window (ranked by one collection when given), and a notice
    when all time fell back to the month."""
    if window == "all":
        found = recommender.feed_all(conn, user_id, limit, show_muted, collection)
        if found is not None:
            return found, None
    newest = latest_day(conn)
    if newest is None:
        return [], None
    start, end = me_api.feed_window(conn, None, newest, WINDOWS[window] or WINDOWS["month"])
    recs = recommender.feed(conn, user_id, start, end, limit, show_muted, collection)
    return recs, ALL_TIME_FALLBACK if window == "all" else None


WINDOW_NAMES = {"today": "today", "week": "this week", "month": "this month", "all": "all time"}


def window_span(conn: Connection, window: str) -> str:
    """The days a window covers, in words ("listed 25 June – 1 July 2026"): its "today" is
    the newest listing day stored, which need not be the calendar's."""
    newest = latest_day(conn)
    if newest is None or window == "all":
        return "every paper stored" if newest else ""
    start, end = me_api.feed_window(conn, None, newest, WINDOWS[window] or WINDOWS["month"])
    last = f"{end.day} {end:%B %Y}"
    if start == end:
        return f"listed {last}"
    first = f"{start.day} {start:%B}" + (f" {start:%Y}" if start.year != end.year else "")
    return f"listed {first} – {last}"


CollectionParam = Annotated[str, Query(max_length=18, pattern=r"^\d*$")]


def _collection_id(value: str) -> int | None:
    """A `collection` query value as an id; empty (a form's "everything") is None."""
    return int(value) if value else None


@router.get("/for-you/learned")
def learned(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    collection: CollectionParam = "",
    reset: Annotated[int | None, Query(ge=0, le=10**9)] = None,
) -> Response:
    """What your model learned (or one collection's): strongest terms, each to follow as a
    saved search or to mute, and the papers it leans on."""
    collection_id = _collection_id(collection)
    with site.engine.connect() as conn:
        chosen = (
            me_api.own_collection(conn, user.id, collection_id)
            if collection_id is not None
            else None
        )
        end = latest_day(conn)
        found = None
        if end is not None:
            start = end - timedelta(days=6)
            found = _recommender(request).learned(conn, user.id, start, end, collection_id)
        followed = {i.value for i in lib.interests(conn, user.id, "follow") if i.kind == "search"}
        muted = {i.value for i in lib.interests(conn, user.id, "mute") if i.kind == "keyword"}
        rated = lib.list_ratings(conn, user.id, RATINGS_SHOWN) if chosen is None else []
        papers = views.current_papers(conn, [r.paper_id for r in rated])
    body = site.render(
        "learned.html",
        ratings=[(r, papers[r.paper_id]) for r in rated if r.paper_id in papers],
        user=user,
        learned=found,
        chosen=chosen,
        here=_here(request, ("reset",)),
        followed=followed,  # the terms' keys (lower case) the reader follows as searches
        muted=muted,  # ... and mutes as keywords
        reset=reset,  # how many ratings a reset just forgot
    )
    return html(site, request, body)


@router.post("/for-you/reset", dependencies=[FormCsrf])
def reset(request: Request, site: SiteDep, user: SignedInDep, confirmed: Confirmed = 0) -> Response:
    """Forget your ratings (after a question): the model starts again from your library and
    follows."""
    if not confirmed:
        question = "Forget all your 👍 and 👎 ratings? Your library and follows stay."
        return ask(request, site, user, question, "/for-you/learned", yes="Forget my ratings")
    with site.engine.begin() as conn:
        forgotten = lib.clear_ratings(conn, user.id)
    return RedirectResponse(f"/for-you/learned?reset={forgotten}", status_code=303)


FEED_URL_COOKIE = "feed_url_once"  # the URL just made, for the page it leads to
FEED_URL_SHOWN_SECONDS = 600


@router.get("/for-you/feed-url", include_in_schema=False)
def feed_url_page(request: Request, site: SiteDep, user: SignedInDep) -> Response:
    """The URL just made, for ten minutes in this browser (a reload shows it again; only its
    fingerprint is stored); otherwise the library's section, which says whether one exists."""
    token = request.cookies.get(FEED_URL_COOKIE, "")
    with site.engine.connect() as conn:
        if not token or lib.feed_token_user(conn, token) != user.id:
            return RedirectResponse("/library#private-feed", status_code=303)
        collections = lib.user_collections(conn, user.id)
    base = site.settings.public_url.rstrip("/")
    url = f"{base}/feeds/for-you/{token}.atom"
    private = {"base": base, "token": token} if site.settings.private else None
    body = site.render(
        "feed_url.html", user=user, url=url, collections=collections, private=private
    )
    answer = html(site, request, body)
    answer.headers["Cache-Control"] = "no-store"
    return answer


@router.post("/for-you/feed-url", dependencies=[FormCsrf])
def feed_url(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    revoke: Annotated[int, Form(ge=0, le=1)] = 0,
    confirmed: Confirmed = 0,
) -> Response:
    """Make a new private feed URL (the old one stops working) and show it, or revoke it;
    either asks first when a URL is in use."""
    if not confirmed:
        with site.engine.connect() as conn:
            in_use = lib.has_feed_token(conn, user.id)
        if in_use:
            question = (
                "Revoke your private feed URL? Feed readers using it stop getting papers."
                if revoke
                else "Make a new private feed URL? The one in your feed reader stops working."
            )
            fields = [("revoke", "1")] if revoke else []
            yes = "Revoke it" if revoke else "Make a new one"
            return ask(request, site, user, question, "/library#private-feed", fields, yes)
    with site.engine.begin() as conn:
        if revoke:
            lib.revoke_feed_tokens(conn, user.id)
        else:
            token = lib.new_feed_token(conn, user.id)
    if revoke:
        body = site.render("feed_url.html", user=user, url=None, collections=[])
        answer = html(site, request, body)
        answer.delete_cookie(
            FEED_URL_COOKIE, path="/for-you/feed-url", httponly=True, samesite="strict"
        )
        return answer
    shown = RedirectResponse("/for-you/feed-url", status_code=303)  # a reload makes no new one
    shown.set_cookie(
        FEED_URL_COOKIE,
        token,
        max_age=FEED_URL_SHOWN_SECONDS,
        path="/for-you/feed-url",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https" or site.settings.public_url.startswith("https://"),
    )
    return shown


@router.get("/feeds/for-you/{token}.{fmt}")
def private_feed(
    request: Request,
    site: SiteDep,
    token: str,
    fmt: str,
    window: str = "week",
    collection: CollectionParam = "",
) -> Response:
    """Your For you feed for feed readers, behind a private, revocable URL (`?window=all`: the
    whole store, or the month when it cannot be ranked yet; `?collection=ID`: ranked by that
    collection of yours alone)."""
    if fmt not in ("atom", "rss"):
        raise HTTPException(404, "formats: atom, rss")
    if window not in WINDOWS:
        raise HTTPException(400, f"window is one of {', '.join(WINDOWS)}")
    collection_id = _collection_id(collection)
    with site.engine.connect() as conn:
        user_id = lib.feed_token_user(conn, token)
        if user_id is None:
            raise HTTPException(404, "this feed URL was revoked or never existed")
        chosen = (
            me_api.own_collection(conn, user_id, collection_id)
            if collection_id is not None
            else None
        )
        signals = lib.signal_version(conn, user_id)
    # A reader polls every few minutes: the body is kept until the store or what the reader's
    # ranking learns from changes (as the recommender keeps its ranking), not built per poll.
    named = chosen.name if chosen else ""
    key: tuple[str, ...] = ("private-feed", request.url.path, request.url.query)
    key = (*key, site.data_version(), str(signals), named)

    def build() -> Cached:
        body = _private_feed_body(request, site, user_id, token, window, chosen, fmt)
        return Cached(body, feeds.MEDIA[fmt])

    body = site.cache.get_or_build(key, build).body
    return _unlisted(feeds.feed_response(request, body, feeds.MEDIA[fmt], private=True))


def _private_feed_body(
    request: Request,
    site: Site,
    user_id: int,
    token: str,
    window: str,
    chosen: lib.Collection | None,
    fmt: str,
) -> str:
    """A reader's For you feed (ranked by the collection `chosen`, if one) as Atom or RSS."""
    collection_id = chosen.id if chosen else None
    with site.engine.connect() as conn:
        recs, _notice = ranked_feed(
            _recommender(request), conn, user_id, window, 50, collection=collection_id
        )
        shown = views.cards(conn, [r.id for r in recs], None)
    title = f"Papers like “{chosen.name}”" if chosen else "For you"
    title += f", {WINDOW_NAMES.get(window, window)}"  # one feed per window: told apart
    page = "/for-you" + query_string(collection=collection_id)
    listing = views.Listing(
        title,
        shown,
        len(shown),
        1,
        50,
        page,
        f"/feeds/for-you/{token}",
        query_string(window=window if window != "week" else None, collection=collection_id),
    )
    base = site.settings.public_url.rstrip("/")
    return feeds.render_listing(listing, fmt, base, {r.id: r.why for r in recs})
