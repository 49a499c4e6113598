"""What a paper's reader does: submit one, upvote one; an admin hides or features one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from paperfeed.store.listings import set_flags
from paperfeed.util import site_url
from paperfeed.web import community
from paperfeed.web.auth import limit_submitter, safe_next
from paperfeed.web.deps import AdminDep, FormCsrf, SiteDep, UserDep, html
from paperfeed.web.feeds import resolve_id
from paperfeed.web.render import query_string
from paperfeed.web.upvoters import shows_upvotes, upvoters

router = APIRouter(include_in_schema=False)


@router.get("/submit")
def submit_page(
    request: Request,
    site: SiteDep,
    user: UserDep,
    paper: Annotated[str, Query(max_length=200, description="an arXiv id to fill in")] = "",
) -> Response:
    """The form to submit a paper by arXiv id or URL."""
    days = site.settings.submit_window_days
    return html(site, request, site.render("submit.html", user=user, window=days, paper=paper))


@router.post("/submit", dependencies=[FormCsrf])
def submit(
    request: Request,
    site: SiteDep,
    user: UserDep,
    paper: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Fetch a new paper through the arXiv API, credited to the user; show its page."""
    if user is None:
        return RedirectResponse("/signin?next=/submit", status_code=303)
    limit_submitter(site, request, user.id)
    try:
        done = community.submit_paper(site, user, paper)
    except community.SubmitError as exc:
        body = site.render(
            "submit.html",
            user=user,
            error=str(exc),
            here=exc.paper_id,
            paper=paper,
            window=site.settings.submit_window_days,
        )
        response = html(site, request, body, exc.status)
        response.headers.update(exc.headers)
        return response
    return RedirectResponse(f"/papers/{done.paper_id}", status_code=303)


@router.post("/papers/{paper_id:path}/upvote", dependencies=[FormCsrf])
def upvote(
    request: Request,
    site: SiteDep,
    user: UserDep,
    paper_id: str,
    up: Annotated[int, Form(ge=0, le=1)] = 1,
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Add (up=1) or undo (up=0) the user's upvote, then go back (or answer the page's script).

    A visitor is sent to sign in with the vote pending: it is counted once they are in.
    """
    pid = resolve_id(paper_id)
    target = safe_next(next or f"/papers/{pid}")
    in_place = "application/json" in request.headers.get("accept", "")
    if user is None:
        signin = "/signin" + query_string(next=target, vote=pid)
        if in_place:
            there = site_url(site.settings.root_path, signin)  # the page's script links to it
            return JSONResponse({"detail": "sign in to upvote", "signin": there}, 401)
        return RedirectResponse(signin, status_code=303)
    count, state = community.vote(site, user, pid, bool(up))
    if in_place:
        answer: dict[str, object] = {"id": pid, "upvotes": count, "upvoted": state}
        with site.engine.connect() as conn:
            shown = upvoters(conn, pid, count)
            changed = bool(shown.named) or shows_upvotes(conn, user.id)
        if changed:  # the paper page's "Upvoted by …" line as it now reads, for its script
            answer["upvotersHtml"] = site.render("_upvoters.html", upvoters=shown)
        return JSONResponse(answer)
    return RedirectResponse(target, status_code=303)


@router.post("/papers/{paper_id:path}/moderate", dependencies=[FormCsrf])
def moderate(
    site: SiteDep,
    admin: AdminDep,
    paper_id: str,
    hidden: Annotated[int, Form(ge=0, le=1)],
    featured: Annotated[int, Form(ge=0, le=1)],
) -> Response:
    """Hide or feature a paper (admins only)."""
    pid = resolve_id(paper_id)
    with site.writing() as conn:
        if not set_flags(conn, pid, bool(hidden), bool(featured)):
            raise HTTPException(404, f"no paper {pid} here")
    return RedirectResponse(f"/papers/{pid}", status_code=303)
