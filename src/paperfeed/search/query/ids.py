"""An arXiv id (or local id) pasted as the whole query, however it was cited."""

from __future__ import annotations

import re

from paperfeed.arxiv_ids import BadArxivId, parse_arxiv_id
from paperfeed.models import LOCAL_PREFIX

# How citations and other sites write one arXiv paper around its id: "arXiv: 2401.12345",
# "arXiv:2401.12345v2 [cs.CL]", its DOI (10.48550/arXiv.2401.12345, also as a doi.org URL) and
# a Hugging Face or alphaXiv paper page.
_CITED_ID_RE = re.compile(
    r"(?:arxiv\s*[:：]?\s*|(?:https?://)?(?:dx\.)?(?:doi\.org/|doi:\s*)?10\.48550/arxiv\."
    r"|(?:https?://)?(?:www\.)?(?:huggingface\.co/papers|alphaxiv\.org/abs)/)?"
    r"(?P<id>\S+?)/?(?:\s*\[[a-z\-]+(?:\.[a-z\-]+)?\])?",
    re.IGNORECASE,
)


# What an id or address pasted from a sentence, a list or an email brings along: "(arXiv:…)",
# "<https://arxiv.org/abs/…>", "…/abs/2401.12345v2." (no arXiv id ends in these).
_WRAPPING = "\"'“”‘’«»()<>.,;:!?"


def paper_id_in(text: str) -> str | None:
    """The versionless arXiv id (or local id) when the whole query is one (bar the punctuation
    it was pasted with), else None."""
    raw = text.strip()
    for candidate in dict.fromkeys((raw, raw.strip(_WRAPPING + " \t"))):
        found = _whole_id(candidate)
        if found:
            return found
    return None


def _whole_id(raw: str) -> str | None:
    if raw.startswith(LOCAL_PREFIX) and re.fullmatch(r"local-[0-9a-f]{12}", raw):
        return raw
    try:
        return parse_arxiv_id(raw)[0]
    except BadArxivId:
        pass
    cited = _CITED_ID_RE.fullmatch(raw)
    try:
        return parse_arxiv_id(cited["id"])[0] if cited else None
    except BadArxivId:
        return None
