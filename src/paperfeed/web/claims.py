"""Routes of author claims: a reader claims an author name on a paper or withdraws the claim;
admins approve, reject or revoke it (the claimant is told)."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from paperfeed.digest.notices import queue_claim_notice, send_queued
from paperfeed.store import get_paper
from paperfeed.store.accounts import User
from paperfeed.store.claim_batches import MAX_BATCH, BatchReport, claim_papers
from paperfeed.store.claim_decisions import (
    MAX_DECISIONS,
    DecisionReport,
    decide_claims,
    rivalled,
)
from paperfeed.store.community import (
    LIVE_CLAIMS,
    Claim,
    ClaimedAlready,
    add_claim,
    decide_claim,
    get_claim,
    revoke_claim,
    withdraw_claim,
)
from paperfeed.store.community import CommentError as StoreCommentError
from paperfeed.store.jobs import record_action
from paperfeed.web.auth import (
    safe_next,
)
from paperfeed.web.confirm import Confirmed, ask
from paperfeed.web.deps import (
    ROW_ID_MOST,
    AdminDep,
    FormCsrf,
    RowId,
    SignedInDep,
    Site,
    SiteDep,
    say_next,
)
from paperfeed.web.discuss import Next, Reason, paper_or_404
from paperfeed.web.render import author_slug, paper_url

router = APIRouter(include_in_schema=False)


@router.post("/papers/{paper_id:path}/claim", dependencies=[FormCsrf])
def claim_form(
    site: SiteDep,
    user: SignedInDep,
    paper_id: str,
    author: Annotated[str, Form(max_length=300)] = "",
    position: Annotated[int | None, Form(ge=0, le=100_000)] = None,
) -> Response:
    """Ask to be recognised as one of the paper's authors ("this is me"): the one at
    `position` in its list (the form's choice; a namesake co-author is another), or the first
    named `author`."""
    pid = paper_or_404(site, paper_id)
    with site.writing() as conn:
        paper = get_paper(conn, pid)
        names = paper.authors if paper else ()
        if position is None and not author:
            raise HTTPException(400, "choose which of the paper's authors you are")
        if position is None:
            if author not in names:
                raise HTTPException(400, f"{author!r} is not an author of {pid}")
            position = names.index(author)
        if position >= len(names):
            raise HTTPException(400, f"{pid} lists {len(names)} authors: there is no author "
                                f"{position + 1}")  # fmt: skip
        if author and names[position] != author:
            raise HTTPException(400, f"author {position + 1} of {pid} is not {author!r}")
        author = names[position]
        try:
            add_claim(conn, user.id, pid, author, position)
        except ClaimedAlready:
            pass  # asking twice: the paper page says where the first claim stands
        except StoreCommentError as exc:
            raise HTTPException(409, str(exc)) from exc
    return RedirectResponse(f"/papers/{pid}?claimed=1#claim", status_code=303)


PaperIds = Annotated[list[str], Form(max_length=MAX_BATCH)]


@router.post("/authors/{slug}/claim", dependencies=[FormCsrf])
def claim_many_form(
    site: SiteDep,
    user: SignedInDep,
    slug: str,
    paper: PaperIds = [],  # noqa: B006  (FastAPI copies it)
    listed: PaperIds = [],  # noqa: B006
    every: Annotated[bool, Form(alias="all")] = False,
    page: Annotated[int, Form(ge=1, le=100_000)] = 1,
) -> Response:
    """Claim this author on several of the papers an author page lists (the ticked ones, or
    all `listed` on the page), each a claim waiting for a moderator; the page then says how
    many were claimed, claimed by the reader already, or by another account."""
    if not slug or author_slug(slug.replace("-", " ")) != slug:
        raise HTTPException(404, f"{slug!r} is not an author link")
    chosen = listed if every else paper
    if not chosen:
        raise HTTPException(400, "tick the papers you are an author of (or all on the page)")
    with site.writing() as conn:
        report = claim_papers(conn, user.id, slug.replace("-", " "), chosen)
    # No #claim-papers: it scrolled the report, said at the page's top, off the screen.
    back = f"/authors/{slug}" + (f"?page={page}" if page > 1 else "")
    return say_next(RedirectResponse(back, status_code=303), batch_said(report))


def batch_said(report: BatchReport) -> str:
    """What a bulk claim did, in one line."""
    parts = [f"{len(report.claimed)} claimed, waiting for a moderator"]
    if report.yours:
        parts.append(f"{len(report.yours)} claimed by you already")
    if report.others:
        parts.append(f"{len(report.others)} claimed by someone else")
    if report.unlisted:
        parts.append(f"{len(report.unlisted)} not listing this author")
    return "Papers: " + "; ".join(parts) + "."


@router.post("/admin/claims/{claim_id}", dependencies=[FormCsrf])
def decide_claim_form(
    site: SiteDep,
    admin: AdminDep,
    claim_id: RowId,
    decision: Annotated[str, Form(pattern="^(approve|reject)$")],
    later: BackgroundTasks,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Approve or reject an author claim (a rejection says why; the user may ask again); the
    claimant is told on the site and, when they take notices by email, by email."""
    if decision == "reject" and not reason.strip():
        raise HTTPException(400, "say why the claim is rejected")
    with site.writing() as conn:
        try:
            claim = decide_claim(conn, claim_id, decision == "approve", reason.strip())
        except StoreCommentError as exc:
            raise HTTPException(409, str(exc)) from exc
        if claim is None:
            raise HTTPException(404, f"no claim {claim_id}")
        target = f"{claim.username} as {claim.author} on {claim.paper_id}"
        record_action(conn, admin.username, f"{decision} claim", target)
        queued = queue_claim_notice(conn, site.settings, claim)
    if queued:
        later.add_task(send_queued, site.engine, site.settings, queued)
    return RedirectResponse("/admin/community", status_code=303)


ClaimIds = Annotated[
    list[Annotated[int, Field(ge=1, le=ROW_ID_MOST)]], Form(max_length=MAX_DECISIONS)
]


@router.post("/admin/community/claims", dependencies=[FormCsrf])
def decide_many_form(
    request: Request,
    site: SiteDep,
    admin: AdminDep,
    later: BackgroundTasks,
    decision: Annotated[str, Form(pattern="^(approve|reject|approve-all)$")],
    ids: ClaimIds = [],  # noqa: B006  (FastAPI copies it)
    batch: ClaimIds = [],  # noqa: B006
    reason: Annotated[str, Form(max_length=500)] = "",
    confirmed: Confirmed = 0,
) -> Response:
    """Approve or reject the ticked claims of one account's batch (or approve all of the
    `batch`, after a question when another account claims one of them too), each logged; each
    claimant is told once; the queue then says what was done."""
    everything = decision == "approve-all"
    chosen, decision = (batch, "approve") if everything else (ids, decision)
    if not chosen:
        raise HTTPException(400, "tick the claims to decide (or use the button for all of them)")
    if decision == "reject" and not reason.strip():
        raise HTTPException(400, "say why the claims are rejected")
    if decision == "approve" and not confirmed:
        with site.engine.connect() as conn:
            rival = next(iter(rivalled(conn, chosen)), None)
        if rival is not None:  # the question the paper's own Approve button asks
            return _ask_rivalled(request, site, admin, rival, chosen, everything)
    with site.writing() as conn:
        report = decide_claims(conn, chosen, decision == "approve", reason.strip())
        queued: list[int] = []
        for claim in report.decided:
            target = f"{claim.username} as {claim.author} on {claim.paper_id}"
            record_action(conn, admin.username, f"{decision} claim", target)
        for claim, papers in _firsts(report):
            queued += queue_claim_notice(conn, site.settings, claim, papers)
    if queued:
        later.add_task(send_queued, site.engine, site.settings, queued)
    back = RedirectResponse("/admin/community#claim-queue", status_code=303)
    return say_next(back, decided_said(report, decision))


def _ask_rivalled(
    request: Request, site: Site, admin: User, rival: Claim, chosen: list[int], everything: bool
) -> Response:
    """The page asking before approving claims, one of which another account claims too; its
    Yes approves the same claims (all of the batch, or the ticked ones)."""
    name, sent = ("batch", "approve-all") if everything else ("ids", "approve")
    fields = [("decision", sent), *((name, str(i)) for i in chosen)]
    where = f"/admin/community#batch-{min(chosen)}"
    yes = "Approve all" if everything else "Approve ticked"
    return ask(request, site, admin, rival_question(rival), where, fields, yes)


def _firsts(report: DecisionReport) -> list[tuple[Claim, int]]:
    """Each claimant's first claim of those decided and how many were: one email each, as
    one notification."""
    counts = Counter(c.user_id for c in report.decided)
    firsts = {c.user_id: c for c in reversed(report.decided)}.values()
    return [(c, counts[c.user_id]) for c in firsts]


def rival_question(claim: Claim) -> str:
    """What approving a claim another account makes on the same name asks first."""
    return (
        f"Approve {claim.username} as {claim.author}? The other claims on this name will then"
        " need rejecting."
    )


def decided_said(report: DecisionReport, decision: str) -> str:
    """What deciding several claims did, in one line ("12 approved; 2 were already decided")."""
    parts = [f"{len(report.decided)} {decision}d"]
    if report.already:
        n = len(report.already)
        parts.append(f"{n} {'was' if n == 1 else 'were'} already decided")
    if report.refused:
        n = len(report.refused)
        parts.append(f"{n} {'is' if n == 1 else 'are'} approved for another account already")
    if report.missing:
        parts.append(f"{len(report.missing)} no longer there")
    return "Claims: " + "; ".join(parts) + "."


@router.post("/claims/{claim_id}/withdraw", dependencies=[FormCsrf])
def withdraw_form(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    claim_id: RowId,
    next: Next = "",
    confirmed: Confirmed = 0,
) -> Response:
    """Take back one's pending or approved author claim (after a question): the paper leaves
    one's profile and its author name no longer links there; one may claim it again later."""
    claim = _own_live_claim(site, claim_id, user)
    back = safe_next(next or f"{paper_url(claim.paper_id)}#claim")
    if not confirmed:
        question = (
            f"Withdraw your approved claim to be {claim.author} on {claim.paper_id}? The paper"
            " leaves your profile; you can claim it again later."
            if claim.status == "approved"
            else f"Withdraw your claim to be {claim.author} on {claim.paper_id}?"
        )
        fields = [("next", back)]
        return ask(request, site, user, question, back, fields, "Withdraw the claim")
    with site.writing() as conn:
        try:
            withdraw_claim(conn, claim_id, user.id)
        except StoreCommentError as exc:  # withdrawn meanwhile (another tab)
            raise HTTPException(409, str(exc)) from exc
    return RedirectResponse(back, status_code=303)


def _own_live_claim(site: Site, claim_id: int, user: User) -> Claim:
    """The user's claim, still pending or approved; a 404, 403 or 409 saying why not."""
    with site.engine.connect() as conn:
        claim = get_claim(conn, claim_id)
    if claim is None:
        raise HTTPException(404, f"no claim {claim_id}")
    if claim.user_id != user.id:
        raise HTTPException(403, f"claim {claim_id} is not yours: only its claimant withdraws it")
    if claim.status not in LIVE_CLAIMS:
        raise HTTPException(409, f"your claim as {claim.author} on {claim.paper_id} was "
                            f"{claim.status} already")  # fmt: skip
    return claim


@router.post("/admin/claims/{claim_id}/revoke", dependencies=[FormCsrf])
def revoke_form(
    request: Request,
    site: SiteDep,
    admin: AdminDep,
    claim_id: RowId,
    later: BackgroundTasks,
    reason: Reason = "",
    confirmed: Confirmed = 0,
) -> Response:
    """Revoke an approved author claim (admins), saying why, after a question: the paper
    leaves the claimant's profile, the admin log records it, and the claimant is told on the
    site and, when they take notices by email, by email."""
    with site.engine.connect() as conn:
        found = get_claim(conn, claim_id)
    if found is None:
        raise HTTPException(404, f"no claim {claim_id}")
    if found.status != "approved":
        raise HTTPException(
            409, f"only an approved claim can be revoked; this one is {found.status}"
        )
    if not reason.strip():
        raise HTTPException(400, "say why the claim is revoked")
    if not confirmed:
        question = (
            f"Revoke {found.username}'s claim to be {found.author} on {found.paper_id}?"
            " They are told why, and the paper leaves their profile."
        )
        back = f"/admin/community#approved{claim_id}"
        return ask(request, site, admin, question, back, [("reason", reason.strip())], "Revoke")
    with site.writing() as conn:
        try:
            claim = revoke_claim(conn, claim_id, reason.strip())
        except StoreCommentError as exc:  # revoked or withdrawn meanwhile
            raise HTTPException(409, str(exc)) from exc
        assert claim is not None  # found above; claims are never deleted but with their user
        target = f"{claim.username} as {claim.author} on {claim.paper_id} ({claim.reason})"
        record_action(conn, admin.username, "revoke claim", target)
        queued = queue_claim_notice(conn, site.settings, claim)
    if queued:
        later.add_task(send_queued, site.engine, site.settings, queued)
    return RedirectResponse("/admin/community#approved-claims", status_code=303)
