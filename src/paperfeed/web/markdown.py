"""A paper as Markdown at /papers/{id}.md, as Hugging Face serves it (for `HfApi.read_paper`)."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from paperfeed.keyphrases import keyphrases
from paperfeed.models import Paper
from paperfeed.web import views
from paperfeed.web.deps import SiteDep
from paperfeed.web.feeds import resolve_id
from paperfeed.web.render import format_day, paper_url

router = APIRouter(tags=["papers"])
MEDIA_TYPE = "text/markdown; charset=utf-8"


# A "<" that a CommonMark renderer would take for raw HTML: a tag, a closing tag, a comment,
# a declaration or a processing instruction (or, first on a line, the start of an HTML block).
# Every other "<" ("$x^2 < 1$", "$a<b$", "<5 %") is left as written, for LaTeX and readers.
_HTML_START = re.compile(
    r"<(?=/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|!--|\?|![A-Za-z]|!\[CDATA\[)"
    r"|^<(?=[A-Za-z/])|<(?=(?!https?:)[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*>)"
)  # ... and an autolink to anything but http(s) ("<javascript:…>")


def _text(text: str) -> str:
    # One line, and no raw HTML for a Markdown renderer to run; LaTeX is left as written.
    return _HTML_START.sub("&lt;", " ".join(text.split()))


def _facts(card: views.Card) -> list[str]:
    p = card.paper
    rows = [("Authors", ", ".join(_text(a) for a in p.authors))]
    if p.published:
        rows.append(("Published on arXiv", format_day(p.published)))
    if p.updated and p.updated != p.published:
        rows.append(("Updated", format_day(p.updated)))
    if p.listing_date:
        rows.append(("Listed", format_day(p.listing_date)))
    rows.append(("Categories", ", ".join(p.categories)))
    rows.append(("Keywords (extracted automatically)", ", ".join(map(_text, keyphrases(p)))))
    rows.append(("Upvotes", str(card.upvotes)))
    if card.submission:
        rows.append(("Submitted by", card.submission.username))
    return [f"- **{name}:** {value}" for name, value in rows if value]


def _links(p: Paper, site_url: str, added: tuple[str, ...] = ()) -> list[str]:
    """The paper's addresses; code links its authors added (`added`) first, as its page."""
    links = [
        f"- Page: {site_url}{paper_url(p.id)}",
        f"- BibTeX: {site_url}{paper_url(p.id)}/bibtex",
    ]
    if p.abs_url and p.pdf_url:
        links += [f"- arXiv: {p.abs_url}", f"- PDF: {p.pdf_url}"]
    if p.doi:
        links.append(f"- DOI: https://doi.org/{p.doi}")
    code = [u for u in dict.fromkeys(added + p.code_links) if u.startswith(("https://", "http://"))]
    return links + [f"- Code: {u}" for u in code]


def paper_markdown(card: views.Card, site_url: str) -> str:
    """One paper as Markdown: title, facts, abstract, links and code."""
    p = card.paper
    parts = [f"# {_text(p.title)}", "\n".join(_facts(card)), "## Abstract", _text(p.abstract)]
    if p.comments:
        parts.append(f"**Comments:** {_text(p.comments)}")
    added = card.enrichment.code if card.enrichment else ()
    parts += ["## Links", "\n".join(_links(p, site_url, tuple(added)))]
    return "\n\n".join(part for part in parts if part) + "\n"


@router.get(
    "/papers/{paper_id:path}.md",
    summary="One paper as Markdown",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPE: {"schema": {"type": "string"}}}}},
)
def paper_md(site: SiteDep, paper_id: str) -> Response:
    """The paper page as Markdown (what `HfApi.read_paper` reads)."""
    pid = resolve_id(paper_id)
    with site.engine.connect() as conn:
        found = views.cards(conn, [pid], None)
    if not found or found[0].flags.hidden:
        raise HTTPException(404, f"no paper {pid} here")
    body = paper_markdown(found[0], site.settings.public_url.rstrip("/"))
    return Response(body, media_type=MEDIA_TYPE)
