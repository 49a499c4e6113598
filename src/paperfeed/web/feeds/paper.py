"""One paper: a stored id from a path, and its BibTeX entry."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from paperfeed.arxiv_ids import looks_like_arxiv_id, parse_arxiv_id
from paperfeed.models import LOCAL_PREFIX
from paperfeed.store import get_paper
from paperfeed.store.listings import paper_flags
from paperfeed.web import bibtex
from paperfeed.web.deps import SiteDep

router = APIRouter()


def resolve_id(text: str) -> str:
    """A stored paper id from a path: versionless arXiv id, or a local id."""
    if text.startswith(LOCAL_PREFIX):
        return text
    if not looks_like_arxiv_id(text):
        shown = text if len(text) <= 80 else text[:80] + "…"  # never a whole pasted page back
        raise HTTPException(404, f"{shown!r} is not an arXiv id or a paperfeed id")
    return parse_arxiv_id(text)[0]


@router.get(
    "/papers/{paper_id:path}/bibtex",
    summary="BibTeX for one paper",
    response_class=Response,
    responses={200: {"content": {bibtex.MEDIA_TYPE: {"schema": {"type": "string"}}}}},
)
def paper_bibtex(site: SiteDep, paper_id: str) -> Response:
    """One paper as a BibTeX entry."""
    pid = resolve_id(paper_id)
    with site.engine.connect() as conn:
        paper = get_paper(conn, pid)
        flags = paper_flags(conn, [pid]).get(pid)
    if paper is None or (flags and flags.hidden):
        raise HTTPException(404, f"no paper {pid} here")
    name = re.sub(r"[^A-Za-z0-9.\-]", "_", pid) + ".bib"
    disposition = f'attachment; filename="{name}"'
    return Response(
        bibtex.entry(paper),
        media_type=bibtex.MEDIA_TYPE,
        headers={"Content-Disposition": disposition},
    )
