"""The community's JSON API: a paper's comments, posting, editing and deleting them, profiles."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from paperfeed.markup import MAX_COMMENT
from paperfeed.store.community import claims_by_user, claims_for_papers, find_user_id, get_profile
from paperfeed.store.listings import paper_flags
from paperfeed.web import api_links, discussion, paging
from paperfeed.web.deps import (
    ROW_ID_MOST,
    ApiCsrf,
    RowId,
    SignedInDep,
    SiteDep,
    UserDep,
    client_key,
)
from paperfeed.web.discuss.comments import _delete
from paperfeed.web.discuss.common import Sort, paper_or_404
from paperfeed.web.discuss.profiles import _BLANK
from paperfeed.web.reactions import ReactionOut, reaction_json

api = APIRouter(prefix="/api", tags=["community"])


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


def avatar_url(site_url: str, username: str) -> str:
    """A user's avatar, absolute (it was "/avatars/NAME.svg": wrong under a site's path, and
    unlike the API's other addresses)."""
    return f"{site_url.rstrip('/')}/avatars/{quote(username, safe='')}.svg"


def comment_json(view: discussion.CommentView, authors: set[str], site_url: str) -> dict[str, Any]:
    """One comment (with its replies) as the API shows it (`site_url`: the site's public URL,
    which the avatar's address is under, as every other address the API gives)."""
    c = view.comment
    return {
        "id": c.id,
        "paperId": c.paper_id,
        "parent": c.parent_id,
        "author": {
            "name": c.username,
            "displayName": c.display_name,
            "avatarUrl": avatar_url(site_url, c.username),
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
        "replies": [comment_json(r, authors, site_url) for r in view.replies],
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
    data = [comment_json(v, authors, site.settings.public_url) for v in views]
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
        json.dumps(comment_json(flat[new_id], authors, site.settings.public_url)),
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
    return Response(
        json.dumps(comment_json(flat[comment_id], authors, site.settings.public_url)),
        media_type=JSON_MEDIA,
    )


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
        "avatarUrl": avatar_url(site.settings.public_url, found[1]),
        "bio": profile.bio,
        "affiliation": profile.affiliation,
        "links": list(profile.links),
        "claimedPapers": claims,
    }
