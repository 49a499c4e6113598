"""The moderation queue and suspending an account from it."""

from __future__ import annotations

from math import ceil
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.store.accounts import set_suspended
from paperfeed.store.claim_decisions import claim_batches
from paperfeed.store.collection_editors import used_by_others, used_by_others_of
from paperfeed.store.community import (
    approved_claims,
    claim_queue,
    count_open_reports,
    find_user_id,
    hidden_comments,
    open_reports,
)
from paperfeed.store.jobs import record_action
from paperfeed.web import discussion
from paperfeed.web.admin import hidden_by_suspending
from paperfeed.web.confirm import Confirmed, ask
from paperfeed.web.deps import AdminDep, FormCsrf, SiteDep, html
from paperfeed.web.discuss.common import _titles

router = APIRouter(include_in_schema=False)


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
