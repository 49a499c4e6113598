"""Moderating a spam wave: many reported comments hidden, or their reports dismissed, at once
from the moderation queue, and many accounts suspended (or their suspensions lifted) at once
from the console's user list; asked first, each written to the admin log on its own line."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field
from sqlalchemy import Connection

from paperfeed.digest.notices import send_queued
from paperfeed.store.accounts import UserRow, set_suspended, user_rows
from paperfeed.store.collection_editors import InUse, used_by_others_of
from paperfeed.store.community import (
    Comment,
    delete_comment,
    dismiss_reports,
    held_among,
    set_comment_hidden,
    waiting_among,
)
from paperfeed.store.jobs import record_action
from paperfeed.web.admin import hidden_by_suspending
from paperfeed.web.confirm import Confirmed, ask
from paperfeed.web.deps import ROW_ID_MOST, AdminDep, FormCsrf, SiteDep, say_next
from paperfeed.web.discuss import REPORTS_PER_PAGE, logged_comment
from paperfeed.web.discussion import release

router = APIRouter(include_in_schema=False)

CommentIds = Annotated[
    list[Annotated[int, Field(ge=1, le=ROW_ID_MOST)]],
    Form(max_length=REPORTS_PER_PAGE, description="reported comments, those of one page at most"),
]
BulkAction = Annotated[str, Form(pattern="^(hide|dismiss)$", description="hide or dismiss")]
_DONE = {"hide": "hide", "dismiss": "dismiss reports on"}  # as the single actions log them


@router.post("/admin/community/bulk", dependencies=[FormCsrf])
def bulk_moderate(
    request: Request,
    site: SiteDep,
    admin: AdminDep,
    action: BulkAction,
    ids: CommentIds = [],  # noqa: B006 (FastAPI copies a default; a form may tick none)
    page_ids: CommentIds = [],  # noqa: B006
    everything: Annotated[int, Form(alias="all", ge=0, le=1)] = 0,
    page: Annotated[int, Form(ge=1, le=100_000)] = 1,
    confirmed: Confirmed = 0,
) -> Response:
    """Hide the ticked reported comments, or dismiss their reports ("all" ticks the page)."""
    chosen = sorted(set(ids) | (set(page_ids) if everything else set()))
    if not chosen:
        raise HTTPException(400, "tick the reported comments to act on (or “Select all”)")
    back = f"/admin/community?page={page}#reports"
    with site.engine.connect() as conn:
        found = waiting_among(conn, chosen)
    if found and not confirmed:
        fields = [("action", action), ("page", str(page))] + [("ids", str(c.id)) for c in found]
        return ask(
            request, site, admin, _question(action, found), back, fields, _yes(action, found)
        )
    with site.writing() as conn:
        found = waiting_among(conn, chosen)  # again: another moderator may have acted since
        for comment in found:
            if action == "hide":
                set_comment_hidden(conn, comment.id, True)
            else:
                dismiss_reports(conn, comment.id)
            record_action(conn, admin.username, _DONE[action], logged_comment(comment))
    return say_next(RedirectResponse(back, 303), _said(action, len(found), len(chosen)))


def _count(n: int) -> str:
    return f"{n} reported comment{'' if n == 1 else 's'}"


def _question(action: str, found: list[Comment]) -> str:
    authors = sorted({c.username for c in found})
    by = ", ".join(authors[:5]) + (f" and {len(authors) - 5} more" if len(authors) > 5 else "")
    if action == "hide":
        return (
            f"Hide {_count(len(found))} (by {by})? Nobody but moderators sees them then; each"
            " is logged as a moderator's action."
        )
    return (
        f"Dismiss the reports on {_count(len(found))} (by {by})? They stay on the site; each"
        " is logged."
    )


def _yes(action: str, found: list[Comment]) -> str:
    n = len(found)
    return f"Hide {n} comment{'' if n == 1 else 's'}" if action == "hide" else "Dismiss the reports"


def _said(action: str, done: int, asked: int) -> str:
    what = "hidden" if action == "hide" else "with their reports dismissed"
    said = f"{_count(done)} {what}; each is in the admin log."
    if done < asked:
        gone = asked - done
        said += f" {gone} of those ticked {'was' if gone == 1 else 'were'} no longer waiting"
        said += " (handled by another moderator, or not reported): left as they were."
    return said


UserIds = Annotated[
    list[Annotated[int, Field(ge=1, le=ROW_ID_MOST)]],
    Form(max_length=100, description="accounts ticked on one page of the console's user list"),
]
Suspension = Annotated[str, Form(pattern="^(suspend|unsuspend)$", description="or lift it")]


@router.post("/admin/users/bulk", dependencies=[FormCsrf])
def bulk_suspend(
    request: Request,
    site: SiteDep,
    admin: AdminDep,
    action: Suspension,
    ids: UserIds = [],  # noqa: B006 (FastAPI copies a default; a form may tick none)
    page_ids: UserIds = [],  # noqa: B006
    everything: Annotated[int, Form(alias="all", ge=0, le=1)] = 0,
    user: Annotated[str, Form(max_length=64)] = "",
    confirmed: Confirmed = 0,
) -> Response:
    """Suspend the ticked accounts at once (a wave of spam sign-ups), or lift their suspensions
    (the undo: everything they had comes back); "all" ticks the page; never the admin's own."""
    chosen = sorted((set(ids) | (set(page_ids) if everything else set())) - {admin.id})
    if not chosen:
        raise HTTPException(400, "tick the accounts to act on (not your own)")
    back = f"/admin?{urlencode({'user': user})}#users" if user else "/admin#users"
    with site.engine.connect() as conn:
        found = _to_change(conn, chosen, action)
        in_use = used_by_others_of(conn, [u.id for u in found]) if not confirmed else {}
    if found and not confirmed:
        fields = [("action", action), ("user", user)] + [("ids", str(u.id)) for u in found]
        question = _ask_suspend(action, found, [c for u in found for c in in_use.get(u.id, [])])
        return ask(request, site, admin, question, back, fields, "Yes")
    with site.writing() as conn:
        found = _to_change(conn, chosen, action)  # again: another moderator may have acted
        for target in found:
            set_suspended(conn, target.id, action == "suspend")
            record_action(conn, admin.username, action, target.username)
    said = f"{action} {_accounts(len(found))}; each is in the admin log"
    if len(found) < len(chosen):
        said += f" ({len(chosen) - len(found)} ticked already so, or deleted, left as they were)"
    return RedirectResponse(f"/admin?{urlencode({'done': said, 'user': user})}#users", 303)


def _to_change(conn: Connection, ids: list[int], action: str) -> list[UserRow]:
    """The ticked accounts the action changes: not deleted, not already in that state."""
    found = user_rows(conn, ids)
    return [u for u in found if not u.deleted and u.suspended != (action == "suspend")]


def _accounts(n: int) -> str:
    return f"{n} account{'' if n == 1 else 's'}"


def _ask_suspend(action: str, found: list[UserRow], in_use: list[InUse]) -> str:
    names = [u.username for u in found]
    who = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    if action == "suspend":
        return (
            f"Suspend {_accounts(len(found))} ({who})? Their sessions end, they cannot sign in,"
            " and their comments, upvotes and claims leave the site until it is lifted."
        ) + hidden_by_suspending(in_use)
    return (
        f"Lift the suspension of {_accounts(len(found))} ({who})? Their comments, upvotes and "
        "claims come back; their sessions and API tokens stay ended (they sign in again)."
    )


HELD_SHOWN = 50  # held comments the console lists at once, the longest waiting first
HeldIds = Annotated[
    list[Annotated[int, Field(ge=1, le=ROW_ID_MOST)]],
    Form(max_length=HELD_SHOWN, description="held comments, those the console lists at most"),
]
Review = Annotated[str, Form(pattern="^(approve|remove)$", description="approve or remove")]
_REVIEWED = {"approve": "approve held", "remove": "remove held"}  # as the admin log says it


@router.post("/admin/held", dependencies=[FormCsrf])
def review_held(
    request: Request,
    site: SiteDep,
    admin: AdminDep,
    later: BackgroundTasks,
    action: Review,
    ids: HeldIds = [],  # noqa: B006 (FastAPI copies a default; a form may tick none)
    page_ids: HeldIds = [],  # noqa: B006
    everything: Annotated[int, Form(alias="all", ge=0, le=1)] = 0,
    confirmed: Confirmed = 0,
) -> Response:
    """Approve held comments (every reader sees them, those they concern are told) or remove
    them (deleted, after a question); one or the ticked ones, each logged."""
    chosen = sorted(set(ids) | (set(page_ids) if everything else set()))
    if not chosen:
        raise HTTPException(400, "tick the held comments to act on (or “Select all”)")
    with site.engine.connect() as conn:
        found = held_among(conn, chosen)
    if found and action == "remove" and not confirmed:
        fields = [("action", action)] + [("ids", str(c.id)) for c in found]
        question = f"Remove {_held(len(found))} (by {_names(found)})? Each is deleted and logged."
        return ask(request, site, admin, question, "/admin#held", fields, "Remove")
    queued: list[int] = []
    with site.writing() as conn:
        found = held_among(conn, chosen)  # again: another moderator may have acted since
        for comment in found:
            if action == "approve":
                queued += release(site, conn, comment)
            else:
                delete_comment(conn, comment.id)
            record_action(conn, admin.username, _REVIEWED[action], logged_comment(comment))
    if queued:
        later.add_task(send_queued, site.engine, site.settings, queued)
    said = f"{_REVIEWED[action].split()[0]}d {_held(len(found))}; each is in the admin log"
    if len(found) < len(chosen):
        said += f" ({len(chosen) - len(found)} ticked no longer held, left as they were)"
    return RedirectResponse(f"/admin?{urlencode({'done': said})}#held", 303)


def _held(n: int) -> str:
    return f"{n} held comment{'' if n == 1 else 's'}"


def _names(found: list[Comment]) -> str:
    authors = sorted({c.username for c in found})
    return ", ".join(authors[:5]) + (f" and {len(authors) - 5} more" if len(authors) > 5 else "")
