"""arXiv ids and DOIs, wherever an exporter put them."""

from __future__ import annotations

import re

from paperfeed.arxiv_ids import BadArxivId, parse_arxiv_id
from paperfeed.references.fields import field_text

NEW_ID = r"\d{4}\.\d{4,5}(?:v\d+)?"
OLD_ID = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?"
# "arXiv:2401.12345", "arXiv preprint arXiv:cs/0601001", "arxiv.org/abs/...", the
# `abs/2401.12345` that Semantic Scholar and DBLP write as an arXiv paper's volume, and
# Hugging Face's paper pages.
_ARXIV_IN_TEXT = re.compile(
    rf"(?:arxiv[:./\s]*(?:org/)?(?:abs/|pdf/)?\s*(?:preprint\s*)?(?:arxiv:\s*)?|\babs/"
    r"|huggingface\.co/papers/)"
    rf"({NEW_ID}|{OLD_ID})\b",
    re.I,
)
# arXiv's own DOI for every paper (DataCite): 10.48550/arXiv.2401.12345
_ARXIV_DOI = re.compile(rf"10\.48550/arxiv\.({NEW_ID}|{OLD_ID})", re.I)
_DOI = re.compile(r"10\.\d{4,9}/\S+", re.I)


def find_arxiv_id(*texts: object) -> str | None:
    """The arXiv id that the first of `texts` holding one gives, as arXiv names the paper."""
    for text in texts:
        if not text:
            continue
        value = str(text).strip()
        try:
            return _no_subject_class(parse_arxiv_id(value)[0])
        except BadArxivId:
            found = _ARXIV_IN_TEXT.search(value) or _ARXIV_DOI.search(value)
            if found:
                try:  # a DOI may be written in capitals: 10.48550/ARXIV.2401.12345V2
                    return _no_subject_class(
                        parse_arxiv_id(re.sub(r"V(\d+)$", r"v\1", found[1]))[0]
                    )
                except BadArxivId:  # an old-style look-alike with a capitalised archive
                    continue
    return None


def _no_subject_class(arxiv_id: str) -> str:
    """An old-style id as arXiv names the paper: DBLP's cs.DS/0112017 is cs/0112017."""
    return re.sub(r"^([a-z\-]+)\.[A-Z]{2}/", r"\1/", arxiv_id)


def find_doi(text: object) -> str | None:
    """The DOI a field's text holds, lower-cased, or None."""
    found = _DOI.search(field_text(text))
    return found[0].rstrip(".").lower() if found else None
