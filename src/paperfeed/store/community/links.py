"""What users add to papers: links to code, data and demos, and the papers they submitted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, delete, exists, select

from paperfeed.store.accounts import bump_revision, submissions
from paperfeed.store.community.tables import paper_links
from paperfeed.store.tables import papers
from paperfeed.util import utcnow

LINK_KINDS = ("code", "project", "model", "dataset", "demo")


@dataclass(frozen=True)
class PaperLink:
    """A link an author or admin added to a paper."""

    id: int
    kind: str
    url: str


def paper_link_list(conn: Connection, paper_id: str) -> list[PaperLink]:
    """The links added to a paper, by kind then age."""
    query = select(paper_links.c.id, paper_links.c.kind, paper_links.c.url).where(
        paper_links.c.paper_id == paper_id
    )
    rows = conn.execute(query.order_by(paper_links.c.kind, paper_links.c.id))
    return [PaperLink(int(i), str(k), str(u)) for i, k, u in rows]


def add_paper_link(conn: Connection, paper_id: str, kind: str, url: str, user_id: int) -> bool:
    """Add a link of a known kind to a paper; False when the paper has that link already."""
    there = select(paper_links.c.id).where(
        paper_links.c.paper_id == paper_id, paper_links.c.kind == kind, paper_links.c.url == url
    )
    if conn.execute(there).first() is not None:
        return False
    values = {"paper_id": paper_id, "kind": kind, "url": url, "user_id": user_id}
    conn.execute(paper_links.insert().values(**values, created_at=utcnow()))
    bump_revision(conn)
    return True


def remove_paper_link(conn: Connection, paper_id: str, link_id: int) -> bool:
    """Remove a paper's link; False when there was none."""
    query = delete(paper_links).where(
        paper_links.c.id == link_id, paper_links.c.paper_id == paper_id
    )
    gone = conn.execute(query).rowcount > 0
    bump_revision(conn)
    return gone


def unhidden_paper(paper_id: ColumnElement[str]) -> ColumnElement[bool]:
    """A paper id readers may be shown: no moderator hid the paper."""
    return ~exists().where(papers.c.id == paper_id, papers.c.hidden.is_(True))


def submitted_by(
    conn: Connection, user_id: int, limit: int = 50, include_hidden: bool = False
) -> list[str]:
    """Ids of the papers a user submitted, newest first (those a moderator hid only with
    `include_hidden`)."""
    query = select(submissions.c.paper_id).where(submissions.c.user_id == user_id)
    if not include_hidden:
        query = query.where(unhidden_paper(submissions.c.paper_id))
    return list(conn.scalars(query.order_by(submissions.c.created_at.desc()).limit(limit)))
