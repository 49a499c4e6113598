"""Comment forms: posting, editing, deleting, voting, reporting and hiding comments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.store.accounts import User
from paperfeed.store.community import (
    Comment,
    delete_comment,
    dismiss_reports,
    get_comment,
    report_comment,
    set_comment_hidden,
    set_comment_vote,
)
from paperfeed.store.jobs import record_action
from paperfeed.web import discussion
from paperfeed.web.auth import safe_next
from paperfeed.web.community import within_vote_limit
from paperfeed.web.confirm import Confirmed, ask
from paperfeed.web.deps import (
    AdminDep,
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
from paperfeed.web.discuss.common import (
    Body,
    KeptSort,
    Next,
    Reason,
    _sorted,
    _titles,
    back_to_comment,
    back_to_paper,
    comment_url,
    paper_or_404,
)
from paperfeed.web.feeds import resolve_id
from paperfeed.web.render import paper_url

router = APIRouter(include_in_schema=False)


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
        with site.engine.connect() as conn:  # a 403 before a question that can only fail
            discussion.own_comment(conn, comment_id, user, moderating=True)
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
