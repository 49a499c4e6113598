"""One paper's page: abstract, discussion, claims, similar papers and citations."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from paperfeed.keyphrases import keyphrases
from paperfeed.models import clean_text
from paperfeed.store.accounts import User
from paperfeed.store.community import (
    Claim,
    claimed_place,
    claims_for_papers,
    is_claimed_author,
    paper_link_list,
)
from paperfeed.store.enrichment import artifacts
from paperfeed.store.library import public_collections
from paperfeed.web import discussion, views
from paperfeed.web.bibtex import entry
from paperfeed.web.citation import apa, asked_version, scholarly_article, version_named
from paperfeed.web.deps import ROW_ID_MOST, Site, SiteDep, UserDep
from paperfeed.web.feeds import resolve_id
from paperfeed.web.pages.common import _page, _to_paper
from paperfeed.web.render import paper_url
from paperfeed.web.upvoters import upvoters

router = APIRouter(include_in_schema=False)
# the single module's logger, as before the split
log = logging.getLogger("paperfeed.web.pages")
SIMILAR = 6
PAPER_COLLECTIONS = 10  # public collections a paper's page names
VERSION_MOST = 999_999  # arXiv ids of longer versions are refused (`parse_arxiv_id`)


def _similar(site: Site, pid: str, user: User | None) -> tuple[list[views.Card], bool]:
    """Similar papers, and whether they could be looked up at all."""
    try:
        return views.similar(site.search(), site.engine, pid, SIMILAR, user), True
    except Exception:  # similar papers are an extra: a broken index must not break the page
        log.exception("similar papers failed for %s", pid)
        return [], False


def _discussion(
    site: Site,
    pid: str,
    user: User | None,
    sort: str,
    page: int,
    focus: int | None,
    authors: Sequence[str],
) -> dict[str, object]:
    with site.engine.connect() as conn:
        claims = claims_for_papers(conn, [pid])
        shown = discussion.thread_page(conn, pid, user, sort, page, focus)
        return {
            "thread": shown.threads,
            "thread_page": shown,
            "sort": sort,
            "claims": _by_place(authors, [c for c in claims if c.status == "approved"]),
            # where each claim stands in this version (None: it lists that name no more)
            "claim_places": {c.id: claimed_place(authors, c.author, c.position) for c in claims},
            "claimed_users": {c.username for c in claims if c.status == "approved"},
            # The reader's claims, the newest per author (a rejection then a new claim: one).
            "my_claims": list(
                {
                    (c.author, c.position): c
                    for c in sorted(claims, key=lambda c: c.id)
                    if user and c.user_id == user.id
                }.values()
            ),  # fmt: skip
            "links": paper_link_list(conn, pid),
            "artifacts": artifacts(conn, pid),
            "may_edit_links": bool(
                user and (user.is_admin or is_claimed_author(conn, user.id, pid))
            ),
        }


def _by_place(authors: Sequence[str], claims: list[Claim]) -> dict[int, Claim]:
    """Approved claims by the place of their author in the paper's list (a namesake co-author
    is not claimed with them); a claim whose name a new version moved or respelled finds it."""
    found: dict[int, Claim] = {}
    for claim in claims:
        at = claimed_place(authors, claim.author, claim.position)
        if at is not None:
            found.setdefault(at, claim)
    return found


def _paragraphs(abstract: str) -> list[str]:
    # arXiv marks paragraph breaks in abstracts with a newline and an indent.
    parts = re.split(r"\n\s*\n|\n(?=\s{2,})", abstract)
    return [clean_text(p) for p in parts if p.strip()]


@router.get("/papers/{paper_id:path}")
def paper_page(
    request: Request,
    site: SiteDep,
    user: UserDep,
    paper_id: str,
    sort: Annotated[str, Query(pattern="^(top|new)$")] = "top",
    reported: Annotated[int, Query(ge=0, le=ROW_ID_MOST)] = 0,
    cpage: Annotated[int, Query(ge=1, le=ROW_ID_MOST, description="page of the discussion")] = 1,
    comment: Annotated[
        int, Query(ge=0, le=ROW_ID_MOST, description="a comment to show: its page, not cpage")
    ] = 0,
    v: Annotated[
        int | None,
        Query(ge=1, le=VERSION_MOST, description="the arXiv version a link named (a notice)"),
    ] = None,
) -> Response:
    """One paper: abstract with math, links, upvote, discussion, similar papers and BibTeX."""
    pid = resolve_id(paper_id.rstrip("/"))  # a trailing slash too: /papers/2401.12345/
    if pid != paper_id:  # /papers/2401.12345v1, as a citation names it: ?v=1
        return _to_paper(request, pid, version_named(paper_id.rstrip("/")))

    def build() -> dict[str, object]:
        with site.engine.connect() as conn:
            found = views.cards(conn, [pid], user)
            held = public_collections(conn, None, PAPER_COLLECTIONS, holding=pid)
            voters = upvoters(conn, pid, found[0].upvotes) if found else None
        if found and found[0].flags.hidden and not (user and user.is_admin):
            raise HTTPException(404, f"paper {pid} is not shown here (a moderator took it down)")
        if not found:
            raise HTTPException(404, f"no paper {pid} here (submit it from arXiv at /submit)")
        card = found[0]
        similar, available = _similar(site, pid, user)
        return {
            "c": card,
            **_discussion(
                site, pid, user, sort, cpage, comment or reported or None, card.paper.authors
            ),
            "paragraphs": _paragraphs(card.paper.abstract),
            "keywords": () if card.flags.hidden else keyphrases(card.paper),
            "bibtex": entry(card.paper),
            "apa": apa(card.paper),
            "json_ld": scholarly_article(card.paper, site.settings.public_url + paper_url(pid)),
            "similar": similar,
            "similar_available": available,
            "in_public": held,
            "upvoters": voters,
            "volatile": not available,
            "reported": reported,  # the comment this reader just reported, to say it was sent
            "asked": asked_version(card.paper, v) if v else None,
        }

    return _page(request, site, user, "paper.html", build)
