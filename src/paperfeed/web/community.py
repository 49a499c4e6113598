"""What signed-in users do: submit papers (fetched from arXiv) and upvote them."""

from __future__ import annotations

import logging

from fastapi import HTTPException
from sqlalchemy.exc import IntegrityError

from paperfeed.arxiv_ids import BadArxivId, parse_arxiv_id
from paperfeed.ingest.jobs import add_papers
from paperfeed.ingest.run import SourceError
from paperfeed.store import get_paper
from paperfeed.store.accounts import (
    Submission,
    User,
    add_submission,
    get_submissions,
    set_vote,
    vote_counts,
)
from paperfeed.store.listings import paper_flags
from paperfeed.store.papers import utcnow
from paperfeed.web.deps import Site

log = logging.getLogger(__name__)


class SubmitError(Exception):
    """A submission that cannot go ahead, with the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    @property
    def headers(self) -> dict[str, str]:
        """Retry-After when the refusal is for now only."""
        return {"Retry-After": "60"} if self.status == 503 else {}


def _parse(text: str) -> str:
    try:
        return parse_arxiv_id(text)[0]
    except BadArxivId as exc:
        raise SubmitError(400, "give an arXiv id such as 2106.09685 or an arxiv.org URL") from exc


def _fetch(site: Site, pid: str) -> None:
    """Make sure the paper is in the store, fetching it through the arXiv API."""
    with site.engine.connect() as conn:
        if get_paper(conn, pid) is not None:
            return
    if not site.fetch_slots.acquire(blocking=False):
        raise SubmitError(503, "other papers are being fetched from arXiv; try again in a minute")
    try:
        add_papers(site.engine, site.settings, [pid], site.settings.submit_fetch_seconds)
    except SourceError as exc:
        raise SubmitError(502, f"arXiv could not be reached, try again later ({exc})") from exc
    finally:
        site.fetch_slots.release()
    with site.engine.connect() as conn:
        if get_paper(conn, pid) is None:
            raise SubmitError(404, f"arXiv has no paper {pid}")


def submit_paper(site: Site, user: User, text: str) -> Submission:
    """Fetch a paper by arXiv id or URL and credit it to the user on today's page."""
    pid = _parse(text)
    with site.engine.connect() as conn:
        earlier = get_submissions(conn, [pid]).get(pid)
    if earlier is not None:
        raise SubmitError(409, _already(earlier))
    _fetch(site, pid)
    day = utcnow().date()
    try:
        with site.writing() as conn:
            add_submission(conn, pid, user.id, day)
    except IntegrityError as exc:  # someone else submitted it a moment ago
        raise SubmitError(409, f"{pid} was just submitted by someone else") from exc
    site.paper_changed()
    return Submission(pid, user.username, day)


def _already(sub: Submission) -> str:
    return f"{sub.paper_id} was already submitted by {sub.username} on {sub.day.isoformat()}"


def vote(site: Site, user: User, paper_id: str, up: bool) -> tuple[int, bool]:
    """Set the user's upvote on a paper; returns the paper's site upvotes and the user's state."""
    with site.writing() as conn:
        flags = paper_flags(conn, [paper_id]).get(paper_id)
        if flags is None or flags.hidden:
            raise HTTPException(404, f"no paper {paper_id} here")
        set_vote(conn, user.id, paper_id, up)
        paper = get_paper(conn, paper_id)
        imported = paper.signals.upvotes if paper and paper.signals else 0
        return imported + vote_counts(conn, [paper_id]).get(paper_id, 0), up
