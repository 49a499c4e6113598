"""Parsing arXiv identifiers from ids and URLs, old and new style."""

from __future__ import annotations

import re

_NEW = r"\d{4}\.\d{4,5}"
_OLD = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
_ID_RE = re.compile(rf"^(?P<id>{_NEW}|{_OLD})(?:v(?P<v>\d+))?$")
_URL_RE = re.compile(
    rf"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/"
    rf"(?P<id>{_NEW}|{_OLD})(?:v(?P<v>\d+))?(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)


class BadArxivId(ValueError):
    """The text is not an arXiv id or an arXiv URL."""


def parse_arxiv_id(text: str) -> tuple[str, int | None]:
    """Split an arXiv id or URL into (versionless id, version or None)."""
    raw = text.strip()
    if raw.lower().startswith("arxiv:"):
        raw = raw[6:]
    match = _ID_RE.match(raw) or _URL_RE.match(raw)
    if not match:
        raise BadArxivId(f"not an arXiv id or URL: {text!r}")
    version = match.group("v")
    return match.group("id"), int(version) if version else None


def looks_like_arxiv_id(text: str) -> bool:
    """True when the text parses as an arXiv id or URL."""
    try:
        parse_arxiv_id(text)
    except BadArxivId:
        return False
    return True
