"""Code, project, model, dataset and demo links that a paper's authors add to it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import Response

from paperfeed.store.accounts import User
from paperfeed.store.community import add_paper_link, is_claimed_author, remove_paper_link
from paperfeed.web.deps import FormCsrf, RowId, SignedInDep, Site, SiteDep
from paperfeed.web.discuss.common import back_to_paper, paper_or_404

router = APIRouter(include_in_schema=False)


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
