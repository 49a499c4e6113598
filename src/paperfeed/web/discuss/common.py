"""What the community's routes share: form fields, a shown paper, the way back to a comment."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, HTTPException, Query
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection

from paperfeed.markup import MAX_COMMENT
from paperfeed.store.community import claims_for_papers
from paperfeed.store.digests import paper_titles
from paperfeed.store.listings import paper_flags
from paperfeed.web.deps import Site
from paperfeed.web.feeds import resolve_id
from paperfeed.web.render import paper_url

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


def _authored(conn: Connection, paper_ids: set[str]) -> set[tuple[int, str]]:
    """(user id, paper id) of each approved author claim on these papers: their comments
    there are marked as the author's wherever they are listed."""
    claims = claims_for_papers(conn, sorted(paper_ids))
    return {(c.user_id, c.paper_id) for c in claims if c.status == "approved"}


def _titles(conn: Connection, ids: set[str]) -> dict[str, str]:
    return paper_titles(conn, sorted(ids))
