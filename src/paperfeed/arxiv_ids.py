"""Parsing arXiv identifiers from ids and URLs, old and new style."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_NEW = r"\d{4}\.\d{4,5}"
_OLD = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
# Any case, as readers type and paste them: read back in arXiv's spelling (`_arxiv_case`).
_ID_RE = re.compile(rf"^(?P<id>{_NEW}|{_OLD})(?:v(?P<v>\d+))?$", re.IGNORECASE)
# arXiv's own pages, and the Hugging Face and alphaXiv pages of an arXiv paper (the addresses
# their readers copy), each naming the paper by its arXiv id.
_URL_RE = re.compile(
    r"^(?:https?://)?(?:(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)"
    r"|(?:www\.)?(?:huggingface|hf)\.co/papers|(?:www\.)?alphaxiv\.org/(?:abs|overview|pdf)"
    r"|(?:www\.)?arxiv-sanity\.com)/"
    rf"(?P<id>{_NEW}|{_OLD})(?:v(?P<v>\d+))?(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)
# arxiv-sanity-lite's addresses of a paper, on arxiv-sanity-lite.com or a copy run elsewhere:
# its similar papers (/?rank=pid&pid=2401.12345) and its inspect page (/inspect?pid=...).
_PID_URL_RE = re.compile(
    r"^(?:https?://)?[^/?#\s]+/(?:inspect)?\?(?:[^#\s]*&)?pid="
    rf"(?P<id>{_NEW}|{_OLD})(?:v(?P<v>\d+))?(?:[&#]\S*)?$",
    re.IGNORECASE,
)


_VERSION_DIGITS = 6  # a version of more digits is refused (no paper has a million)


class BadArxivId(ValueError):
    """The text is not an arXiv id or an arXiv URL."""


def parse_arxiv_id(text: str) -> tuple[str, int | None]:
    """Split an arXiv id or URL into (versionless id, version or None); v0 is refused. Full-width
    characters, as CJK input methods type them ("２６０７．００００１"), read as ASCII."""
    raw = unicodedata.normalize("NFKC", text).strip()
    if raw.lower().startswith("arxiv:"):
        raw = raw[6:]
    match = _ID_RE.match(raw) or _URL_RE.match(raw) or _PID_URL_RE.match(raw)
    if not match:
        raise BadArxivId(f"not an arXiv id or URL: {text!r}")
    digits = (match.group("v") or "").lstrip("0")
    if len(digits) > _VERSION_DIGITS:  # int() of 4,300 digits or more raises ValueError
        shown = text if len(text) <= 80 else text[:80] + "…"
        raise BadArxivId(f"not an arXiv id or URL: {shown!r} (no paper has that version)")
    if match.group("v") is not None and not digits:  # v0 names no version arXiv ever had
        raise BadArxivId(f"not an arXiv id or URL: {text!r} (arXiv versions start at v1)")
    return _arxiv_case(match.group("id")), int(digits) if digits else None


def _arxiv_case(paper_id: str) -> str:
    """An old-style id as arXiv writes it: the archive lower case, a subject class upper
    (HEP-TH/9901001 is hep-th/9901001, math.ag/0101001 is math.AG/0101001)."""
    archive, slash, number = paper_id.partition("/")
    if not slash:
        return paper_id
    name, dot, subject = archive.partition(".")
    return f"{name.lower()}{dot}{subject.upper()}/{number}"


def looks_like_arxiv_id(text: str) -> bool:
    """True when the text parses as an arXiv id or URL."""
    try:
        parse_arxiv_id(text)
    except BadArxivId:
        return False
    return True


_NEW_MONTH = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}$")
_OLD_MONTH = re.compile(r"/(\d{2})(\d{2})\d{3}$")


def submitted_month(paper_id: str) -> tuple[int, int] | None:
    """(year, month) of an arXiv paper's first version, as its id says (2512.10359: December
    2025; hep-th/9901001: January 1999); None for other ids."""
    match = _NEW_MONTH.match(paper_id) or _OLD_MONTH.search(paper_id)
    if match is None or not 1 <= int(match[2]) <= 12:
        return None
    yy = int(match[1])
    year = 2000 + yy if match.re is _NEW_MONTH or yy < 91 else 1900 + yy
    return year, int(match[2])


def new_that_day(paper_id: str, day: date) -> bool:
    """Whether a paper listed on `day` can be that day's new paper: an id names the month of
    its first version, so one two months or more older is an old paper back as a replacement
    or cross-list (arXiv lists those apart). Ids of no known shape count as new."""
    month = submitted_month(paper_id)
    return month is None or (day.year - month[0]) * 12 + day.month - month[1] < 2


# arXiv's schedule: a daily submission deadline at 14:00 US Eastern (none at weekends), its
# papers announced that evening at 20:00 (Sunday to Thursday), each listing dated the next day.
ARXIV_ZONE = ZoneInfo("America/New_York")
DEADLINE = time(14)
ANNOUNCED_AT = time(20)


def first_listing_day(submitted: datetime) -> date:
    """The day of the listing that first announces a paper submitted then (naive UTC), by
    arXiv's schedule (a paper held or a holiday moves it later)."""
    local = submitted.replace(tzinfo=UTC).astimezone(ARXIV_ZONE)
    day = local.date() + timedelta(days=1) if local.time() >= DEADLINE else local.date()
    while day.weekday() >= 5:  # no deadline on weekends
        day += timedelta(days=1)
    # Announced that evening and dated the next day; a Friday's deadline is announced Sunday.
    return day + timedelta(days=3 if day.weekday() == 4 else 1)
