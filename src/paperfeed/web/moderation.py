"""Moderating a spam wave: many reported comments hidden, or their reports dismissed, at once
from the moderation queue (after a question), each written to the admin log on its own line."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from paperfeed.store.community import Comment, dismiss_reports, set_comment_hidden, waiting_among
from paperfeed.store.jobs import record_action
from paperfeed.web.confirm import Confirmed, ask
from paperfeed.web.deps import ROW_ID_MOST, AdminDep, FormCsrf, SiteDep, say_next
from paperfeed.web.discuss import REPORTS_PER_PAGE, logged_comment

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
