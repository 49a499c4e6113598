"""Routes of the community: comments (pages, API, feed), profiles, claims, moderation."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, time
from math import ceil
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from feedgen.feed import FeedGenerator
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from paperfeed import text as text_rules
from paperfeed.latex import plain
from paperfeed.markup import MAX_COMMENT, absolute_links, maths_as_text, plain_text
from paperfeed.store import get_paper
from paperfeed.store.accounts import User, end_sessions, set_password_hash, set_suspended
from paperfeed.store.claim_batches import claimed_spellings
from paperfeed.store.claim_decisions import claim_batches
from paperfeed.store.collection_editors import (
    editable_collection,
    offered_to,
    used_by_others,
    used_by_others_of,
)
from paperfeed.store.community import (
    Comment,
    Profile,
    add_paper_link,
    approved_claims,
    claim_queue,
    claims_by_user,
    claims_for_papers,
    count_open_reports,
    delete_comment,
    dismiss_reports,
    find_user_id,
    get_comment,
    get_profile,
    hidden_comments,
    is_claimed_author,
    mark_seen,
    open_reports,
    recent_comments,
    remove_paper_link,
    report_comment,
    save_profile,
    set_comment_hidden,
    set_comment_vote,
    submitted_by,
    thread,
    user_comments,
    user_notifications,
)
from paperfeed.store.digests import paper_titles, user_subscription
from paperfeed.store.jobs import record_action
from paperfeed.store.library import has_feed_token, public_collections, revoke_feed_tokens
from paperfeed.store.listings import paper_flags
from paperfeed.store.password_links import end_mailed_links
from paperfeed.store.upvoters import upvoted_publicly
from paperfeed.text import xml_safe
from paperfeed.web import api_links, discussion, paging
from paperfeed.web.admin import hidden_by_suspending
from paperfeed.web.auth import (
    BadCredentials,
    check_new_account,
    hash_new_password,
    limited_sign_in,
    safe_next,
)
from paperfeed.web.community import within_vote_limit
from paperfeed.web.confirm import Confirmed, ask
from paperfeed.web.deps import (
    ROW_ID_MOST,
    SESSION_COOKIE,
    AdminDep,
    ApiCsrf,
    FormCsrf,
    RowId,
    RowIdForm,
    SignedInDep,
    Site,
    SiteDep,
    UserDep,
    client_key,
    html,
)
from paperfeed.web.feeds import MEDIA, feed_response, reader_token, resolve_id, serialise
from paperfeed.web.reactions import ReactionOut, reaction_json
from paperfeed.web.render import paper_url
from paperfeed.web.views import PageOutOfRange

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["community"])
Body = Annotated[str, Form(max_length=MAX_COMMENT * 2)]
Sort = Annotated[str, Query(pattern="^(top|new)$", description="top or new")]
Reason = Annotated[str, Form(max_length=500)]
Next = Annotated[str, Form(max_length=2000)]


def paper_or_404(site: Site, paper_id: str) -> str:
    pid = resolve_id(paper_id)
    with site.engine.connect() as conn:
        flags = paper_flags(conn, [pid]).get(pid)
    if flags is None or flags.hidden:
        raise HTTPException(404, f"no paper {pid} here")
    return pid


# The discussion's order a plain form came from ("new" sent by its page), kept on the way back.
KeptSort = Annotated[str, Form(pattern="^(top|new)$", description="the discussion's order")]


def _sorted(sort: str) -> str:
    return "sort=new&" if sort == "new" else ""


def back_to_paper(pid: str, anchor: str = "discussion", sort: str = "top") -> RedirectResponse:
    query = f"?{_sorted(sort)[:-1]}" if sort == "new" else ""
    return RedirectResponse(f"/papers/{pid}{query}#{anchor}", status_code=303)


def comment_url(pid: str, comment_id: int, sort: str = "top") -> str:
    """A comment on its paper's page: the page of the discussion that holds it."""
    return f"{paper_url(pid)}?{_sorted(sort)}comment={comment_id}#c{comment_id}"


def back_to_comment(pid: str, comment_id: int, sort: str = "top") -> RedirectResponse:
    return RedirectResponse(comment_url(pid, comment_id, sort), status_code=303)


@router.post("/papers/{paper_id:path}/comments", dependencies=[FormCsrf])
def comment_form(
    request: Request,
    site: SiteDep,
    user: UserDep,
    paper_id: str,
    later: BackgroundTasks,
    body: Body = "",
    parent: RowIdForm = None,
    sort: KeptSort = "top",
) -> Response:
    """Post a comment or a reply from the paper page; a refused one comes back in its box."""
    pid = resolve_id(paper_id)
    if user is None:
        return RedirectResponse(f"/signin?next={safe_next('/papers/' + pid)}", status_code=303)
    try:
        found = paper_or_404(site, pid)
        new_id = discussion.post_comment(
            site, user, found, body, parent, later, address=client_key(request)
        )
    except HTTPException as exc:
        if exc.status_code not in (400, 413, 429):
            raise
        if parent is not None:  # a reply to a comment gone meanwhile: offered as a comment
            with site.engine.connect() as conn:
                above = get_comment(conn, parent)
            parent = parent if above and not (above.deleted or above.hidden) else None
        return _refused(request, site, user, exc, pid, body, parent=parent)
    return back_to_comment(pid, new_id, sort)


def _refused(
    request: Request,
    site: Site,
    user: User,
    exc: HTTPException,
    pid: str,
    body: str,
    parent: int | None = None,
    edit_id: int | None = None,
) -> Response:
    """A refused comment, reply or edit: why, with the text back in its box to send again."""
    with site.engine.connect() as conn:
        title = _titles(conn, {pid}).get(pid, pid)
    page = site.render(
        "comment_refused.html", user=user, pid=pid, body=body, parent=parent,
        edit_id=edit_id, reason=str(exc.detail), title=title,
    )  # fmt: skip
    refused = html(site, request, page, exc.status_code)
    refused.headers.update(exc.headers or {})  # a 429's Retry-After
    return refused


@router.post("/comments/{comment_id}/edit", dependencies=[FormCsrf])
def edit_form(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    comment_id: RowId,
    later: BackgroundTasks,
    body: Body = "",
    sort: KeptSort = "top",
) -> Response:
    """Replace a comment's text (marked edited). A refused edit comes back in its box; one of
    a comment deleted meanwhile (another tab) is offered as a new comment instead."""
    try:
        text = discussion.check_body(body)
        with site.writing() as conn:
            comment = discussion.own_comment(conn, comment_id, user)
            discussion.revise_comment(site, conn, comment, text, later)
    except HTTPException as exc:
        if exc.status_code not in (400, 409, 413):
            raise
        with site.engine.connect() as conn:
            found = get_comment(conn, comment_id)
        if found is None or found.user_id != user.id:
            raise
        edit_id = None if found.deleted else comment_id
        return _refused(request, site, user, exc, found.paper_id, body, edit_id=edit_id)
    return back_to_comment(comment.paper_id, comment_id, sort)


@router.post("/comments/{comment_id}/delete", dependencies=[FormCsrf])
def delete_form(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    comment_id: RowId,
    confirmed: Confirmed = 0,
    sort: KeptSort = "top",
) -> Response:
    """Delete a comment (after a question); replies to it stay readable."""
    if not confirmed:
        comment = _visible(site, comment_id)
        mine = comment.user_id == user.id
        question = (
            "Delete your comment? Replies to it stay."
            if mine
            else f"Delete {comment.username}'s comment? It is logged as a moderator's action."
        )
        back = comment_url(comment.paper_id, comment_id, sort)
        kept = [("sort", sort)] if sort == "new" else []
        return ask(request, site, user, question, back, kept, yes="Delete the comment")
    return back_to_paper(_delete(site, user, comment_id).paper_id, sort=sort)


def _delete(site: Site, user: User, comment_id: int) -> Comment:
    """Delete one's own comment, or (an admin) anyone's, which the admin log records."""
    with site.writing() as conn:
        comment = discussion.own_comment(conn, comment_id, user, moderating=True)
        delete_comment(conn, comment_id)
        if comment.user_id != user.id:
            target = f"{comment_id} by {comment.username} on {comment.paper_id}"
            record_action(conn, user.username, "delete comment", target)
    return comment


def _visible(site: Site, comment_id: int) -> Comment:
    with site.engine.connect() as conn:
        comment = get_comment(conn, comment_id)
    if comment is None or comment.hidden or comment.held or comment.deleted:
        raise HTTPException(404, f"no comment {comment_id}")
    return comment


@router.post("/comments/{comment_id}/vote", dependencies=[FormCsrf])
def vote_form(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    comment_id: RowId,
    up: Annotated[int, Form(ge=0, le=1)] = 1,
    sort: KeptSort = "top",
) -> Response:
    """Upvote (or undo) a comment; answers JSON to scripts, a redirect to forms."""
    comment = _visible(site, comment_id)
    within_vote_limit(site, user.id)
    with site.writing() as conn:
        count = set_comment_vote(conn, user.id, comment_id, bool(up))
    if request.headers.get("accept", "").startswith("application/json"):
        return Response(
            f'{{"votes": {count}, "upvoted": {str(bool(up)).lower()}}}',
            media_type="application/json",
        )
    return back_to_comment(comment.paper_id, comment_id, sort)


@router.post("/comments/{comment_id}/report", dependencies=[FormCsrf])
def report_form(
    site: SiteDep,
    user: SignedInDep,
    comment_id: RowId,
    reason: Annotated[str, Form(max_length=500)] = "",
    sort: KeptSort = "top",
) -> Response:
    """Report a comment to the moderators (someone else's)."""
    comment = _visible(site, comment_id)
    if comment.user_id == user.id:
        raise HTTPException(400, "you cannot report your own comment; edit or delete it instead")
    with site.writing() as conn:
        report_comment(conn, comment_id, user.id, reason.strip() or "no reason given")
    back = f"/papers/{comment.paper_id}?{_sorted(sort)}reported={comment_id}#c{comment_id}"
    return RedirectResponse(back, 303)


@router.post("/comments/{comment_id}/moderate", dependencies=[FormCsrf])
def moderate_form(
    site: SiteDep,
    admin: AdminDep,
    comment_id: RowId,
    action: Annotated[str, Form(pattern="^(hide|show|dismiss)$")],
) -> Response:
    """Hide, restore or clear the reports of a comment (admins)."""
    with site.writing() as conn:
        comment = get_comment(conn, comment_id)
        if comment is None:
            raise HTTPException(404, f"no comment {comment_id}")
        if action == "dismiss":
            dismiss_reports(conn, comment_id)
        else:
            set_comment_hidden(conn, comment_id, action == "hide")
        done = {"hide": "hide", "show": "unhide", "dismiss": "dismiss reports on"}
        record_action(conn, admin.username, done[action], logged_comment(comment))
    return RedirectResponse("/admin/community", status_code=303)


def logged_comment(comment: Comment, reason: str = "") -> str:
    """A comment as the admin log names it: whose, on which paper (and why, when said)."""
    said = f" ({reason})" if reason else ""
    return f"comment {comment.id} by {comment.username} on {comment.paper_id}{said}"


@router.post("/comments/{comment_id}/hide", dependencies=[FormCsrf])
def hide_form(
    request: Request,
    site: SiteDep,
    admin: AdminDep,
    comment_id: RowId,
    reason: Reason = "",
    next: Next = "",
    confirmed: Confirmed = 0,
) -> Response:
    """Hide any comment (admins), reported or not, saying why (after a question); the admin
    log names its author and paper, and /admin/community lists it to unhide."""
    comment = _visible(site, comment_id)
    back = safe_next(next or f"{paper_url(comment.paper_id)}#discussion")
    if not reason.strip():
        raise HTTPException(400, "say why the comment is hidden")
    if not confirmed:
        question = (
            f"Hide {comment.username}'s comment on {comment.paper_id}? Nobody but moderators"
            " sees it then; it is logged as a moderator's action."
        )
        fields = [("reason", reason.strip()), ("next", back)]
        return ask(request, site, admin, question, back, fields, "Hide the comment")
    with site.writing() as conn:
        set_comment_hidden(conn, comment_id, True)
        record_action(conn, admin.username, "hide", logged_comment(comment, reason.strip()))
    return RedirectResponse(back, status_code=303)


@router.get("/discussions")
def recent_page(
    request: Request, site: SiteDep, user: UserDep, page: Annotated[int, Query(ge=1, le=1000)] = 1
) -> Response:
    """The newest comments across all papers."""
    per_page = 30
    with site.engine.connect() as conn:
        items = recent_comments(conn, per_page + 1, (page - 1) * per_page)
        titles = _titles(conn, {c.paper_id for c in items})
        authored = _authored(conn, {c.paper_id for c in items})
    if page > 1 and not items:
        raise PageOutOfRange(f"page {page} is past the oldest comment; page 1 has the newest")
    views = [(c, discussion.listed_html(c), titles.get(c.paper_id, c.paper_id)) for c in items]
    body = site.render(
        "discussions.html",
        user=user,
        items=views[:per_page],
        authored=authored,
        page=page,
        more=len(items) > per_page,
    )
    return html(site, request, body)


def _authored(conn: Connection, paper_ids: set[str]) -> set[tuple[int, str]]:
    """(user id, paper id) of each approved author claim on these papers: their comments
    there are marked as the author's wherever they are listed."""
    claims = claims_for_papers(conn, sorted(paper_ids))
    return {(c.user_id, c.paper_id) for c in claims if c.status == "approved"}


def _titles(conn: Connection, ids: set[str]) -> dict[str, str]:
    return paper_titles(conn, sorted(ids))


FEED_COMMENTS = 50  # comments a discussion feed (a paper's, the site-wide one) holds


@router.get("/feeds/papers/{paper_id:path}/comments.{fmt}")
def discussion_feed(request: Request, site: SiteDep, paper_id: str, fmt: str) -> Response:
    """A paper's discussion as an Atom or RSS feed."""
    if fmt not in ("atom", "rss"):
        raise HTTPException(404, "feeds come as .atom or .rss")
    pid = paper_or_404(site, paper_id)
    with site.engine.connect() as conn:
        paper = get_paper(conn, pid)
        items = _newest([c for c in thread(conn, pid) if not c.deleted])
    base = site.settings.public_url.rstrip("/")
    feed = _comment_feed(fmt)
    feed.id(f"{base}/papers/{pid}#discussion")
    feed.title(xml_safe(f"Discussion: {plain(paper.title) if paper else pid} · paperfeed"))
    self_link = f"{base}/feeds/papers/{pid}/comments.{fmt}"
    feed.link(href=self_link + _token_query(request, site), rel="self")
    feed.link(href=f"{base}/papers/{pid}#discussion", rel="alternate")  # last: RSS's <link>
    feed.description(xml_safe(f"Comments on {pid}"))
    for c in items:
        _comment_entry(feed, c, base, f"{c.username}: {plain_text(c.body)[:80]}", fmt)
    if items:  # as new as its newest comment or edit (not the moment of asking: its ETag holds)
        feed.updated(max((c.edited_at or c.created_at) for c in items).replace(tzinfo=UTC))
    else:  # no comment yet: the feed is as old as the paper's page
        when = paper.published if paper and paper.published else None
        listed = paper.listing_date if paper else None
        since = when or (datetime.combine(listed, time.min) if listed else datetime(1991, 8, 1))
        feed.updated(since.replace(tzinfo=UTC))
    return feed_response(request, serialise(feed, fmt), MEDIA[fmt])


def _token_query(request: Request, site: Site) -> str:
    """`?token=…` for a feed's self link on a private instance, where its reader has no session."""
    token = reader_token(request, site)
    return f"?token={quote(token)}" if token else ""


def _newest(items: list[Comment]) -> list[Comment]:
    """The FEED_COMMENTS comments last written or edited, oldest first (a popular paper's
    whole discussion took a second to render, at each poll of each reader)."""
    newest = sorted(items, key=lambda c: (c.edited_at or c.created_at, c.id))[-FEED_COMMENTS:]
    return sorted(newest, key=lambda c: c.id)


def _comment_feed(fmt: str) -> FeedGenerator:
    """An empty feed of comments; RSS's <author> must be an email: names go in dc:creator."""
    feed = FeedGenerator()
    if fmt == "rss":
        feed.load_extension("dc", atom=False, rss=True)
    return feed


def _comment_entry(feed: FeedGenerator, c: Comment, base: str, title: str, fmt: str) -> None:
    """One comment as a feed entry, its id and link the comment's place on its paper's page."""
    entry = feed.add_entry(order="append")
    entry.id(f"{base}/papers/{c.paper_id}#c{c.id}")
    entry.title(xml_safe(title))
    entry.link(href=f"{base}/papers/{c.paper_id}#c{c.id}")
    entry.author(name=xml_safe(c.username))
    if fmt == "rss":
        entry.dc.dc_creator(xml_safe(c.username))
    # As on the page, links whole and maths as text (feed readers run no KaTeX).
    shown = maths_as_text(absolute_links(discussion.body_html(c), base))
    entry.content(xml_safe(str(shown)), type="html")
    entry.published(c.created_at.replace(tzinfo=UTC))
    entry.updated((c.edited_at or c.created_at).replace(tzinfo=UTC))


@router.get("/feeds/discussions.{fmt}")
def recent_feed(request: Request, site: SiteDep, fmt: str) -> Response:
    """The newest comments across all papers (the Recent discussions page) as Atom or RSS."""
    if fmt not in ("atom", "rss"):
        raise HTTPException(404, "feeds come as .atom or .rss")
    with site.engine.connect() as conn:
        items = recent_comments(conn, FEED_COMMENTS)
        titles = _titles(conn, {c.paper_id for c in items})
    base = site.settings.public_url.rstrip("/")
    feed = _comment_feed(fmt)
    feed.id(f"{base}/discussions")
    feed.title("Recent discussions · paperfeed")
    feed.link(href=f"{base}/feeds/discussions.{fmt}{_token_query(request, site)}", rel="self")
    feed.link(href=f"{base}/discussions", rel="alternate")  # last: RSS's <link>
    feed.description("The newest comments on papers")
    for c in items:
        on = plain(titles.get(c.paper_id, c.paper_id))
        title = f"{c.username} on {on}: {plain_text(c.body)[:80]}"
        _comment_entry(feed, c, base, title, fmt)
    newest = max((c.edited_at or c.created_at for c in items), default=datetime(1991, 8, 1))
    feed.updated(newest.replace(tzinfo=UTC))  # as new as its newest comment: its ETag holds
    return feed_response(request, serialise(feed, fmt), MEDIA[fmt])


PROFILE_COLLECTIONS = 50  # public collections a profile lists


@router.get("/users/{name}")
def profile_page(request: Request, site: SiteDep, user: UserDep, name: str) -> Response:
    """A user's profile: bio, links, public collections, claimed papers, comments and
    submissions."""
    with site.engine.connect() as conn:
        found = find_user_id(conn, name)
        if found is None:
            raise HTTPException(404, f"there is no user {name}")
        uid, username, created, is_admin, suspended = found
        moderator = user is not None and user.is_admin
        hide = suspended and not moderator  # a suspended account's bio, links and claims
        profile = _BLANK if hide else get_profile(conn, uid)
        own = user is not None and user.id == uid  # the claimant also sees claims waiting
        shown = ("approved", "pending") if own else ("approved",)
        claims = [] if hide else [c for c in claims_by_user(conn, uid) if c.status in shown]
        said = user_comments(conn, uid, 30, moderator=moderator)
        # Papers a moderator hid: a moderator and the owner see them marked, no one else.
        marked = moderator or own
        upvoted = [] if suspended else upvoted_publicly(conn, uid, include_hidden=marked)
        subs = submitted_by(conn, uid, include_hidden=marked)
        named = {c.paper_id for c in said} | {c.paper_id for c in claims} | {*upvoted, *subs}
        titles = _titles(conn, named)
        taken_down = {pid for pid, f in paper_flags(conn, sorted(named)).items() if f.hidden}
        if not marked:  # claims and comments on a paper taken down leave with it
            claims = [c for c in claims if c.paper_id not in taken_down]
            said = [c for c in said if c.paper_id not in taken_down]
        shared = [] if suspended else public_collections(conn, uid, PROFILE_COLLECTIONS)
        spellings = claimed_spellings(conn, claims)  # each name's author page
    body = site.render(
        "profile.html",
        spellings=spellings,
        collections=shared,
        user=user,
        username=username,
        created=created,
        profile=profile,
        claims=claims,
        comments=[(c, discussion.listed_html(c)) for c in said],
        authored={c.paper_id for c in claims if c.status == "approved"},
        titles=titles,
        submissions=subs,
        upvoted=upvoted,
        taken_down=taken_down,
        is_admin=is_admin,
        suspended=suspended,
    )
    return html(site, request, body)


# What a suspended account's profile says of it (its own words may be the spam).
_BLANK = Profile("", "", (), notify_replies=False, notify_email=False)


@router.get("/avatars/{name}.svg")
def avatar(name: str) -> Response:
    """A generated identicon for a user name (made here; no outside service)."""
    digest = hashlib.sha256(name.lower().encode()).digest()
    hue = digest[0] * 360 // 256
    cells = []
    for row in range(5):
        for col in range(3):
            if digest[1 + row * 3 + col] % 2:
                for x in {col, 4 - col}:
                    cells.append(f'<rect x="{x}" y="{row}" width="1" height="1"/>')
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="-0.5 -0.5 6 6" width="64" height="64">'
        f'<rect x="-0.5" y="-0.5" width="6" height="6" fill="hsl({hue},30%,94%)"/>'
        f'<g fill="hsl({hue},55%,45%)">{"".join(cells)}</g></svg>'
    )
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@router.get("/settings/profile")
def profile_edit_page(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    password: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """The form to edit one's profile and change the password (`password=changed`: it says
    the change was made; `changed-feed`: and the private feed URL was revoked)."""
    with site.engine.connect() as conn:
        profile = get_profile(conn, user.id)
    said = password if password in ("changed", "changed-feed") else ""
    return _profile_form(request, site, user, profile, changed=said)


def _profile_form(
    request: Request,
    site: Site,
    user: User,
    profile: Profile,
    problem: str = "",
    changed: str = "",
    field: str = "links",
) -> Response:
    """The profile form, with what was typed and what is wrong with it (a 400) when refused,
    said beside the `field` it is about."""
    with site.engine.connect() as conn:
        linked = user_subscription(conn, user.id)
    page = site.render(
        "profile_edit.html",
        user=user,
        profile=profile,
        linked=linked,
        problem=problem,
        problem_field=field,
        password_changed=changed,
    )
    return html(site, request, page, 400 if problem else 200)


@router.post("/settings/profile", dependencies=[FormCsrf])
def profile_edit(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    bio: Annotated[str, Form(max_length=2000)] = "",
    affiliation: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=1000)] = "",
    links: Annotated[str, Form(max_length=2000)] = "",
    notify_replies: Annotated[int, Form(ge=0, le=1)] = 0,
    notify_email: Annotated[int, Form(ge=0, le=1)] = 0,
    notify_lists: Annotated[int, Form(ge=0, le=1)] = 0,
) -> Response:
    """Save the profile."""
    urls = [u.strip() for u in links.splitlines() if u.strip()]
    bad = [u for u in urls if not u.startswith(("https://", "http://"))]
    notify = (bool(notify_replies), bool(notify_email))
    typed = Profile(
        bio,
        affiliation,
        tuple(urls),
        *notify,
        display_name=display_name,
        notify_lists=bool(notify_lists),
    )
    try:
        name = text_rules.display_name(display_name)
    except ValueError as refused:  # the form again, nothing typed lost
        said = str(refused)
        return _profile_form(
            request, site, user, typed, said[0].upper() + said[1:] + ".", field="display_name"
        )
    if bad or len(urls) > 5:
        problem = f"Not an http(s) address: {bad[0]}" if bad else "At most five links."
        return _profile_form(request, site, user, typed, problem)
    with site.writing() as conn:
        save_profile(
            conn,
            user.id,
            display_name=name,
            bio=bio.strip(),
            affiliation=affiliation.strip(),
            links="\n".join(urls),
            notify_replies=bool(notify_replies),
            notify_email=bool(notify_email),
            notify_lists=bool(notify_lists),
        )
    return RedirectResponse(f"/users/{user.username}", status_code=303)


@router.post("/settings/password", dependencies=[FormCsrf])
def change_password(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    current: Annotated[str, Form(max_length=1000)],
    new: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Change the password after checking the current one; every other session (other
    browsers, API tokens) ends, the private feed URL is revoked and mailed reset links and a
    waiting address change stop working, as a stolen password's would: whoever held the old
    password may have taken any of them."""
    try:  # under the sign-in limits: a borrowed session must not guess the password freely
        limited_sign_in(site, request, user.username, current)
    except BadCredentials as exc:
        raise HTTPException(400, "the current password is not right") from exc
    try:
        check_new_account(user.username, new)
    except BadCredentials as exc:
        raise HTTPException(400, str(exc)) from exc
    with site.writing() as conn:
        set_password_hash(conn, user.id, hash_new_password(new))
        end_sessions(conn, user.id, keep=request.cookies.get(SESSION_COOKIE))
        end_mailed_links(conn, user.id)
        had_feed = has_feed_token(conn, user.id)
        revoke_feed_tokens(conn, user.id)
    said = "changed-feed" if had_feed else "changed"
    return RedirectResponse(f"/settings/profile?password={said}#password", status_code=303)


def _may_edit_links(site: Site, user: User, pid: str) -> None:
    with site.engine.connect() as conn:
        if not (user.is_admin or is_claimed_author(conn, user.id, pid)):
            raise HTTPException(403, "only the paper's claimed authors and admins can edit links")


@router.post("/papers/{paper_id:path}/links", dependencies=[FormCsrf])
def add_link_form(
    site: SiteDep,
    user: SignedInDep,
    paper_id: str,
    kind: Annotated[str, Form(pattern="^(code|project|model|dataset|demo)$")],
    url: Annotated[str, Form(max_length=500)],
) -> Response:
    """Add a code, project, model, dataset or demo link to a paper (authors and admins)."""
    pid = paper_or_404(site, paper_id)
    _may_edit_links(site, user, pid)
    url = url.strip()
    if not url.startswith(("https://", "http://")) or any(ch.isspace() for ch in url):
        raise HTTPException(400, "a link is an http(s) address without spaces")
    with site.writing() as conn:
        add_paper_link(conn, pid, kind, url, user.id)
    return back_to_paper(pid, "links")


@router.post("/papers/{paper_id:path}/links/{link_id}/delete", dependencies=[FormCsrf])
def remove_link_form(site: SiteDep, user: SignedInDep, paper_id: str, link_id: RowId) -> Response:
    """Remove a link from a paper (authors and admins)."""
    pid = paper_or_404(site, paper_id)
    _may_edit_links(site, user, pid)
    with site.writing() as conn:
        if not remove_paper_link(conn, pid, link_id):
            raise HTTPException(404, f"no link {link_id} on {pid}")
    return back_to_paper(pid, "links")


@router.post("/admin/community/suspend/{name}", dependencies=[FormCsrf])
def suspend_form(
    request: Request,
    site: SiteDep,
    admin: AdminDep,
    name: str,
    suspended: Annotated[int, Form(ge=0, le=1)] = 1,
    confirmed: Confirmed = 0,
) -> Response:
    """Suspend (after a question, as /admin does) or restore an account from the moderation
    queue: a suspension ends its sessions."""
    if suspended and not confirmed:
        with site.engine.connect() as conn:
            found = find_user_id(conn, name)
            in_use = used_by_others(conn, found[0]) if found else []
        question = f"Suspend {name}? Their sessions end, and they cannot sign in or post."
        question += hidden_by_suspending(in_use)
        fields = [("suspended", "1")]
        return ask(request, site, admin, question, "/admin/community", fields, f"Suspend {name}")
    with site.writing() as conn:
        found = find_user_id(conn, name)
        if found is None:
            raise HTTPException(404, f"there is no user {name}")
        if found[0] == admin.id:
            raise HTTPException(400, "you cannot suspend yourself")
        set_suspended(conn, found[0], bool(suspended))
        record_action(conn, admin.username, "suspend" if suspended else "unsuspend", found[1])
    said = urlencode({"suspended" if suspended else "restored": found[1]})
    return RedirectResponse(f"/admin/community?{said}", status_code=303)


REPORTS_PER_PAGE = 50  # reported comments on one page of the moderation queue
CLAIMS_PER_PAGE = 50  # author names with claims waiting, on one page of it


@router.get("/admin/community")
def moderation_page(
    request: Request,
    site: SiteDep,
    admin: AdminDep,
    suspended: Annotated[str, Query(max_length=64)] = "",
    restored: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=100_000, description="the page of reports")] = 1,
    claims_page: Annotated[int, Query(ge=1, le=100_000, description="the page of claims")] = 1,
) -> Response:
    """The moderation queue: reported comments, pending author claims (rival accounts' claims
    on one name together) and approved ones to revoke; the authors shown who are suspended,
    to lift it where it was done."""
    with site.engine.connect() as conn:
        waiting = count_open_reports(conn)
        page = min(page, max(ceil(waiting / REPORTS_PER_PAGE), 1))
        shown = open_reports(conn, REPORTS_PER_PAGE, (page - 1) * REPORTS_PER_PAGE)
        reports = [(r, discussion.evidence_html(r.comment)) for r in shown]
        queue = claim_queue(conn)
        claim_pages = max(ceil(len(queue) / CLAIMS_PER_PAGE), 1)
        claims_page = min(claims_page, claim_pages)
        groups = queue[(claims_page - 1) * CLAIMS_PER_PAGE : claims_page * CLAIMS_PER_PAGE]
        approved = approved_claims(conn)
        hidden = [(c, discussion.body_html(c)) for c in hidden_comments(conn)]
        names = {r.comment.username for r, _ in reports} | {c.username for c, _ in hidden}
        people = {n: found for n in names if (found := find_user_id(conn, n))}
        barred = {n for n, found in people.items() if found[4]}
        in_use = used_by_others_of(conn, [found[0] for found in people.values()])
        hiding = {n: hidden_by_suspending(in_use.get(found[0], [])) for n, found in people.items()}
        papers = {r.comment.paper_id for r, _ in reports} | {c.paper_id for c, _ in hidden}
        papers |= {g.paper_id for g in groups} | {cl.paper_id for cl in approved}
        titles = _titles(conn, papers)
    body = site.render(
        "admin_community.html",
        user=admin,
        reports=reports,
        groups=groups,
        batches=claim_batches(groups),  # one account's claims on one name, decided at once
        approved=approved,
        hidden=hidden,
        barred=barred,
        hiding=hiding,  # Suspend's question in the browser names the lists it hides
        titles=titles,
        done=(suspended, restored),
        waiting=waiting,
        page=page,
        pages=max(ceil(waiting / REPORTS_PER_PAGE), 1),
        claims=(len(queue), claims_page, claim_pages),
    )
    return html(site, request, body)


@router.get("/notifications")
def notifications_page(request: Request, site: SiteDep, user: SignedInDep) -> Response:
    """Replies to the user's comments, comments on papers they authored, decided claims, what
    happened to their team reading lists."""
    with site.writing() as conn:
        items = user_notifications(conn, user.id)
        papers = {n.comment.paper_id for n in items if n.comment}
        titles = _titles(conn, papers | {n.claim.paper_id for n in items if n.claim})
        authored = _authored(conn, papers)
        lists = {n.team.collection_id for n in items if n.team}
        opens = {c for c in lists if editable_collection(conn, user.id, c) is not None}
        offered = offered_to(conn, user.id) if lists else set()
        mark_seen(conn, user.id)
    views = [(n, discussion.listed_html(n.comment) if n.comment else "") for n in items]
    seen = replace(user, unseen=0)  # opened now: the header counts nothing unseen on this page
    shown: dict[str, object] = {"items": views, "titles": titles, "authored": authored}
    shown |= {"opens": opens, "offered": offered}  # lists one may open, offers still standing
    return html(site, request, site.render("notifications.html", user=seen, **shown))


# ---- JSON API ---------------------------------------------------------------------------


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    body: str = Field(
        min_length=1,
        max_length=MAX_COMMENT,
        description="Markdown with LaTeX; an @name tells that account",
    )
    parent: int | None = Field(None, ge=1, le=ROW_ID_MOST, description="comment replied to")


class CommentAuthorOut(BaseModel):
    name: str
    displayName: str = Field(description="shown beside the handle (`name`); '' for none")
    avatarUrl: str
    isAuthor: bool


class CommentOut(BaseModel):
    id: int
    paperId: str
    parent: int | None
    author: CommentAuthorOut
    body: str
    html: str
    createdAt: str
    editedAt: str | None
    deleted: bool
    upvotes: int
    held: bool = Field(
        False, description="awaiting a moderator's review: only its author and moderators see it"
    )
    mentions: list[str] = Field([], description="the accounts its @names name")
    reactions: list[ReactionOut] = Field(
        [], description="its emoji reactions, those used only; they never change its rank"
    )
    replies: list[CommentOut] = []


def comment_json(view: discussion.CommentView, authors: set[str]) -> dict[str, Any]:
    """One comment (with its replies) as the API shows it."""
    c = view.comment
    return {
        "id": c.id,
        "paperId": c.paper_id,
        "parent": c.parent_id,
        "author": {
            "name": c.username,
            "displayName": c.display_name,
            "avatarUrl": f"/avatars/{c.username}.svg",
            "isAuthor": c.username in authors,
        },
        "body": "" if c.deleted else c.body,
        "html": str(view.html),
        "createdAt": c.created_at.replace(tzinfo=UTC).isoformat(),
        "editedAt": c.edited_at.replace(tzinfo=UTC).isoformat() if c.edited_at else None,
        "deleted": c.deleted,
        "upvotes": c.votes,
        "held": c.held,
        "mentions": [] if c.deleted else list(c.mentions),
        "reactions": [reaction_json(r) for r in view.reactions],
        "replies": [comment_json(r, authors) for r in view.replies],
    }


def _claimed(conn: Connection, pid: str) -> set[str]:
    return {c.username for c in claims_for_papers(conn, [pid]) if c.status == "approved"}


def _comment_links(pointer: str) -> dict[str, dict[str, Any]]:
    """What a client can do with the comment at `pointer` of a response body."""
    at = f"$response.body#{pointer}"
    on_paper = {"paper_id": f"{at}/paperId"}
    return {
        "Reply": api_links.link(
            "POST", api_links.COMMENTS, "Reply to it", on_paper, body={"parent": f"{at}/id"}
        ),
        "PaperComments": api_links.link("GET", api_links.COMMENTS, "The discussion", on_paper),
        "Commenter": api_links.link(
            "GET", "/api/users/{name}", "Its author", {"name": f"{at}/author/name"}
        ),
    }


THREADS_MOST = 100  # top-level comments an API page of a discussion holds at most
ThreadLimit = Annotated[
    int,
    Query(
        ge=1,
        le=THREADS_MOST,
        description=f"top-level comments per page, each with its replies (at most {THREADS_MOST})",
    ),
]


@api.get(
    "/papers/{paper_id:path}/comments",
    response_model=list[CommentOut],
    summary="Comments",
    openapi_extra=paging.documented(api_links.links(200, _comment_links("/0"))),
)
def api_comments(
    request: Request,
    site: SiteDep,
    user: UserDep,
    paper_id: str,
    sort: Sort = "top",
    p: paging.PageIndex = 0,
    limit: ThreadLimit = discussion.THREADS_PER_PAGE,
) -> Response:
    """A paper's discussion, a page at a time: top-level comments, each with all its replies
    (past the end: []); `Link` names the next page, X-Total-Count the top-level comments."""
    pid = paper_or_404(site, paper_id)
    with site.engine.connect() as conn:
        views, total = discussion.thread_slice(conn, pid, user, sort, p * limit, limit)
        authors = _claimed(conn, pid)
    more = (p + 1) * limit < total
    headers = {"X-Total-Count": str(total)}
    headers |= paging.page_links(request, site.settings.public_url, p, more)
    data = [comment_json(v, authors) for v in views]
    return Response(json.dumps(data), media_type="application/json", headers=headers)


@api.post(
    "/papers/{paper_id:path}/comments",
    response_model=CommentOut,
    status_code=201,
    dependencies=[ApiCsrf],
    summary="Comment on a paper",
    openapi_extra=api_links.links(201, _comment_links("")),
)
def api_comment(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    paper_id: str,
    body: CommentIn,
    later: BackgroundTasks,
) -> Response:
    """Post a comment (or a reply, with `parent`) in Markdown with LaTeX."""
    pid = paper_or_404(site, paper_id)
    address = client_key(request)
    new_id = discussion.post_comment(site, user, pid, body.body, body.parent, later, address)
    with site.engine.connect() as conn:
        views = discussion.thread_views(conn, pid, user, "new")
        authors = _claimed(conn, pid)
    flat = {v.comment.id: v for t in views for v in [t, *t.replies]}
    return Response(
        json.dumps(comment_json(flat[new_id], authors)),
        status_code=201,
        media_type="application/json",
    )


JSON_MEDIA = "application/json"


class CommentEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    body: str = Field(min_length=1, max_length=MAX_COMMENT, description="Markdown with LaTeX")


@api.patch(
    "/comments/{comment_id}",
    response_model=CommentOut,
    dependencies=[ApiCsrf],
    summary="Edit your comment",
    openapi_extra=api_links.links(200, _comment_links("")),
)
def api_edit_comment(
    site: SiteDep, user: SignedInDep, comment_id: RowId, body: CommentEdit, later: BackgroundTasks
) -> Response:
    """Replace the text of a comment of yours (it is marked edited); only its author edits.
    Accounts it newly names with "@name" are told."""
    text = discussion.check_body(body.body)
    with site.writing() as conn:
        comment = discussion.own_comment(conn, comment_id, user)
        discussion.revise_comment(site, conn, comment, text, later)
        views = discussion.thread_views(conn, comment.paper_id, user, "new")
        authors = _claimed(conn, comment.paper_id)
    flat = {v.comment.id: v for t in views for v in [t, *t.replies]}
    return Response(json.dumps(comment_json(flat[comment_id], authors)), media_type=JSON_MEDIA)


@api.delete(
    "/comments/{comment_id}",
    status_code=204,
    dependencies=[ApiCsrf],
    summary="Delete a comment",
    responses={204: {"description": "Deleted: its replies stay readable"}},
)
def api_delete_comment(site: SiteDep, user: SignedInDep, comment_id: RowId) -> Response:
    """Delete a comment of yours (an admin: anyone's, recorded in the admin log)."""
    _delete(site, user, comment_id)
    return Response(status_code=204)


class ProfileOut(BaseModel):
    name: str
    displayName: str = Field(description="a real name shown beside the handle; '' for none")
    avatarUrl: str
    bio: str
    affiliation: str
    links: list[str]
    claimedPapers: list[str]


@api.get("/users/{name}", response_model=ProfileOut, summary="A user's profile")
def api_profile(site: SiteDep, name: str) -> dict[str, Any]:
    """A user's public profile."""
    with site.engine.connect() as conn:
        found = find_user_id(conn, name)
        if found is None:
            raise HTTPException(404, f"there is no user {name}")
        suspended = found[4]
        profile = _BLANK if suspended else get_profile(conn, found[0])
        mine = [] if suspended else claims_by_user(conn, found[0])
        approved = [c.paper_id for c in mine if c.status == "approved"]
        flags = paper_flags(conn, approved)  # a paper a moderator hid leaves the list
        claims = [pid for pid in approved if not (pid in flags and flags[pid].hidden)]
    return {
        "name": found[1],
        "displayName": profile.display_name,
        "avatarUrl": f"/avatars/{found[1]}.svg",
        "bio": profile.bio,
        "affiliation": profile.affiliation,
        "links": list(profile.links),
        "claimedPapers": claims,
    }
