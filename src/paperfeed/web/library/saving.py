"""Saving, rating, following and muting from any page, and following an author by name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection

from paperfeed.recommend import namesakes
from paperfeed.store import collection_editors as editors
from paperfeed.store import get_paper
from paperfeed.store import library as lib
from paperfeed.store.accounts import User
from paperfeed.store.listings import author_name
from paperfeed.web import me_api, views
from paperfeed.web.auth import safe_next
from paperfeed.web.deps import (
    FormCsrf,
    RowIdForm,
    SignedInDep,
    Site,
    SiteDep,
    UserDep,
    html,
    say_next,
)
from paperfeed.web.feeds import resolve_id
from paperfeed.web.library.common import (
    NextField,
    Reply,
    TextField,
    _bad_request,
    _done,
    _paper_button,
    _wants_json,
)
from paperfeed.web.library.shelf import Said, _library, _sentence, _shelf_of

router = APIRouter(include_in_schema=False)


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
        ended = 0
        with site.engine.begin() as conn, _bad_request():
            if undo:
                lib.remove_interest(conn, user.id, what, kind, key)
            else:
                ended = lib.would_end(conn, user.id, what, kind, key)
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
    done = f"{'Un' + verb.lower() if undo else verb} {_KINDS.get(kind, kind)} “{label}”."
    return say_next(answer, done + _ended(what, kind, ended))


def _ended(what: str, kind: str, ended: int) -> str:
    """What a follow or mute ended, said: a mute of an author's name ends the follow of every
    namesake of it, which the reader may have chosen one of."""
    if not ended:
        return ""
    if what == "follow":
        return " It is no longer muted."
    follows = "your follow of it" if ended == 1 else f"your {ended} follows of it"
    namesakes = " (a mute hides every author of the name)" if kind == "author" else ""
    return f" This ended {follows}{namesakes}."


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
