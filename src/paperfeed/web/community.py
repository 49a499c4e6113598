"""What signed-in users do: submit papers (fetched from arXiv) and upvote them."""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from math import ceil
from urllib.parse import urlsplit

from fastapi import HTTPException
from sqlalchemy.exc import IntegrityError

from paperfeed.arxiv_ids import BadArxivId, parse_arxiv_id
from paperfeed.ingest.run import SourceError
from paperfeed.models import Paper
from paperfeed.pipeline import add_papers
from paperfeed.references.importing import Fetched, fetch_capped
from paperfeed.store import get_paper, upsert_papers
from paperfeed.store.accounts import (
    Submission,
    User,
    add_submission,
    get_submissions,
    set_vote,
    vote_counts,
)
from paperfeed.store.library import bump_signals
from paperfeed.store.listings import paper_flags
from paperfeed.util import is_disk_full, utcnow
from paperfeed.web.deps import Site

log = logging.getLogger(__name__)


class SubmitError(Exception):
    """A submission that cannot go ahead, with the HTTP status that says why."""

    def __init__(self, status: int, message: str, paper_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.paper_id = paper_id  # the paper, when it is on the site already (to link to)

    @property
    def headers(self) -> dict[str, str]:
        """Retry-After when the refusal is for now only."""
        return {"Retry-After": "60"} if self.status == 503 else {}


def _parse(text: str) -> str:
    try:
        return parse_arxiv_id(text)[0]
    except BadArxivId as exc:
        raise SubmitError(
            400,
            (
                "give an arXiv id such as 2106.09685, or the paper's address on arxiv.org, "
                "huggingface.co/papers or alphaxiv.org"
            ),
        ) from exc


UNREACHABLE = (
    "arXiv can't be reached from this server right now. Please try again in a few minutes."
)
# After a failed fetch, submissions and imports do not ask arXiv again for this long: each would
# wait out submit_fetch_seconds for the same answer.
ARXIV_PAUSE = 60.0


def _check_resolvable(url: str) -> None:
    """Fail at once when arXiv's host name cannot be resolved (offline), instead of retrying."""
    host = urlsplit(url).hostname
    if not host:
        return
    try:
        socket.getaddrinfo(host, None)
    except (OSError, UnicodeError) as exc:
        log.warning("submit: cannot resolve %s: %s", host, exc)
        raise SubmitError(502, UNREACHABLE) from exc


def _fetch(site: Site, pid: str) -> Paper:
    """The paper from the store, fetched through the arXiv API when it is not there yet."""
    with site.engine.connect() as conn:
        found = get_paper(conn, pid)
    if found is not None:
        return found
    _fetch_ids(site, [pid])
    with site.engine.connect() as conn:
        found = get_paper(conn, pid)
    if found is None:
        raise SubmitError(404, f"arXiv has no paper {pid}")
    return found


def _fetch_ids(site: Site, ids: Sequence[str], wait: float = 0.0) -> None:
    """Fetch papers through the arXiv API into the store, in one of the site's fetch slots;
    within ARXIV_PAUSE s of a failed fetch, refuse at once instead of waiting it out again."""
    since = time.monotonic() - site.arxiv_failed_at
    if since < ARXIV_PAUSE:
        raise SubmitError(502, f"{UNREACHABLE} (It did not answer {int(since)} s ago.)")
    if not site.fetch_slots.acquire(timeout=wait):
        raise SubmitError(503, "other papers are being fetched from arXiv; try again in a minute")
    try:
        _check_resolvable(site.settings.arxiv_api_url)
        add_papers(site.engine, site.settings, ids, site.settings.submit_fetch_seconds)
    except (SourceError, SubmitError) as exc:
        if is_disk_full(exc):
            raise  # a 507 from the app's handler, not "arXiv unreachable"
        log.warning("fetching %s from arXiv failed: %s", ", ".join(ids), exc)
        site.arxiv_failed_at = time.monotonic()
        raise SubmitError(502, UNREACHABLE) from exc
    finally:
        site.fetch_slots.release()


def fetch_missing(site: Site, user: User, ids: Sequence[str]) -> Fetched:
    """Fetch papers the store lacks by arXiv id (`import_fetch_max` at most), as Submit does;
    an import that fetches counts as a submission against the user's rate limit."""

    def fetch(wanted: list[str]) -> str | None:
        try:
            wait = site.submit_limiter.hit(f"import:{user.id}")
            if wait is not None:
                raise SubmitError(
                    429, f"too many imports fetching from arXiv; wait {int(wait) + 1} s"
                )
            _fetch_ids(site, wanted, wait=site.settings.submit_fetch_seconds)
        except SubmitError as exc:
            return str(exc)
        site.paper_changed()
        return None

    return fetch_capped(site.engine, ids, site.settings.import_fetch_max, fetch)


def arxiv_day(paper: Paper) -> date | None:
    """The day a paper appeared on arXiv: its listing day, else its first version's date."""
    if paper.listing_date is not None:
        return paper.listing_date
    first = paper.published or (paper.versions[0].created if paper.versions else None)
    return first.date() if first else None


def _id_month_end(pid: str) -> date | None:
    """The last day of the month an arXiv id was given out in (yymm in the id)."""
    match = re.search(r"(?:^|/)(\d{2})(\d{2})(?:\.|\d{3})", pid)
    if match is None or not 1 <= int(match[2]) <= 12:
        return None
    year = int(match[1]) + (1900 if int(match[1]) >= 91 else 2000)
    month = date(year + int(match[2]) // 12, int(match[2]) % 12 + 1, 1)
    return month - timedelta(days=1)


def _check_new(
    site: Site, pid: str, first: date | None, today: date, when: str, here: str | None
) -> None:
    """Refuse a paper that appeared on arXiv more than the submission window ago (`here`: its
    id when it is on the site already)."""
    window = site.settings.submit_window_days
    if first is not None and (today - first).days > window:
        raise SubmitError(
            400,
            f"{pid} appeared on arXiv {when}: only papers from the last {window} days can be "
            "submitted (older papers stay on their own day's page and are found by search).",
            here,
        )


def _shown_here(site: Site, pid: str) -> str | None:
    """The paper's id when the site shows it already (stored and not hidden)."""
    with site.engine.connect() as conn:
        flags = paper_flags(conn, [pid]).get(pid)
    return pid if flags is not None and not flags.hidden else None


def _on_its_day(site: Site, paper: Paper, day: date | None) -> None:
    """Give a paper fetched without a listing day its arXiv day, so it is listed there."""
    if paper.listing_date is None and day is not None:
        with site.writing() as conn:
            upsert_papers(conn, [replace(paper, listing_date=day)])


def submit_paper(site: Site, user: User, text: str) -> Submission:
    """Fetch a new paper by arXiv id or URL and credit it to the user; it stays on its arXiv day."""
    pid = _parse(text)
    with site.engine.connect() as conn:
        earlier = get_submissions(conn, [pid]).get(pid)
    here = _shown_here(site, pid)
    if earlier is not None:
        raise SubmitError(409, _already(earlier), here)
    day = utcnow().date()
    month_end = _id_month_end(pid)  # clearly old ids are refused before asking arXiv
    if month_end is not None:
        _check_new(site, pid, month_end, day, f"in {month_end:%B %Y}", here)
    paper = _fetch(site, pid)
    first = arxiv_day(paper)
    if first is not None:
        _check_new(site, pid, first, day, f"on {first.day} {first:%b %Y}", _shown_here(site, pid))
    _on_its_day(site, paper, first)
    try:
        with site.writing() as conn:
            add_submission(conn, pid, user.id, day)
            bump_signals(conn, user.id)  # For you learns from one's own submissions
    except IntegrityError as exc:  # someone else submitted it a moment ago
        raise SubmitError(409, f"{pid} was just submitted by someone else") from exc
    site.paper_changed()
    return Submission(pid, user.username, day)


def _already(sub: Submission) -> str:
    return f"{sub.paper_id} was already submitted by {sub.username} on {sub.day.isoformat()}"


def within_vote_limit(site: Site, user_id: int) -> None:
    """Count an upvote given or taken back, or refuse it (429) past the account's limit a
    minute: a script toggling votes would change every cached page each time."""
    wait = site.vote_limiter.hit(f"vote:{user_id}")
    if wait is not None:
        seconds = ceil(wait)
        per = site.settings.vote_rate_limit
        unit = "second" if seconds == 1 else "seconds"
        message = f"at most {per} upvotes a minute; try again in {seconds} {unit}"
        raise HTTPException(429, message, headers={"Retry-After": str(seconds)})


def vote(site: Site, user: User, paper_id: str, up: bool) -> tuple[int, bool]:
    """Set the user's upvote on a paper (within the account's rate limit); returns the paper's
    site upvotes and the user's state."""
    within_vote_limit(site, user.id)
    with site.writing() as conn:
        flags = paper_flags(conn, [paper_id]).get(paper_id)
        if flags is None or flags.hidden:
            raise HTTPException(404, f"no paper {paper_id} here")
        if set_vote(conn, user.id, paper_id, up):
            bump_signals(conn, user.id)  # For you learns from one's own upvotes
        paper = get_paper(conn, paper_id)
        imported = paper.signals.upvotes if paper and paper.signals else 0
        return imported + vote_counts(conn, [paper_id]).get(paper_id, 0), up
