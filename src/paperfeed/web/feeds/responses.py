"""A feed's answer over HTTP: validators, 304s, gzip, and a private feed's token."""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request
from fastapi.responses import Response

from paperfeed.util import Lru
from paperfeed.web.deps import Site

FEED_MAX_AGE = 300  # seconds a reader or proxy may keep a feed without asking again
_GZIP_TAG = "-gzip"  # what a gzipped body's ETag adds to the plain body's
_GZIPPED: Lru[str, bytes] = Lru(32)  # gzipped feed bodies by ETag: a poll costs no compression
# Last-Modified: per feed address, its body's ETag and when this process first served that body
# there; a body the feed had before and now has again is dated anew.
_CHANGED: Lru[str, tuple[str, datetime]] = Lru(4096)


def reader_token(request: Request, site: Site) -> str:
    """The feed token a private instance's feed was read with (`?token=`), which its links to
    itself must carry: a feed reader following them has no session. Empty elsewhere."""
    return request.query_params.get("token", "") if site.settings.private else ""


def feed_response(request: Request, body: str, media_type: str, private: bool = False) -> Response:
    """A feed with validators (a strong ETag, Last-Modified) and caching advice (`private`:
    for one reader only), 304 when the reader has it already, gzipped when it may be."""
    data = body.encode()
    tag = hashlib.sha256(data).hexdigest()[:32]
    modified = _last_modified(_address(request), tag)
    gzipped = _accepts_gzip(request.headers.get("accept-encoding", ""))
    headers = {
        "ETag": f'"{tag}{_GZIP_TAG if gzipped else ""}"',  # another coding, another tag
        "Last-Modified": format_datetime(modified, usegmt=True),
        "Cache-Control": f"{'private' if private else 'public'}, max-age={FEED_MAX_AGE}",
        "Vary": "Accept-Encoding",
    }
    if _unchanged(request, tag, modified):
        return Response(status_code=304, headers=headers)
    if gzipped:
        data = _GZIPPED.get_or_build(tag, lambda: gzip.compress(data, compresslevel=6, mtime=0))
        headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=media_type, headers=headers)


def _address(request: Request) -> str:
    """The path and query a feed was asked at (what its Last-Modified is kept under)."""
    query: bytes = request.scope.get("query_string", b"")
    return f"{request.scope.get('path', '')}?{query.decode('latin-1')}"


def _last_modified(url: str, tag: str) -> datetime:
    """When the feed at `url` changed to the body tagged `tag` (as far as this process saw)."""
    held = _CHANGED.get(url)
    if held is not None and held[0] == tag:
        return held[1]
    now = datetime.now(UTC).replace(microsecond=0)
    if held is not None and now <= held[1]:  # changed within the second the old body was dated:
        now = held[1] + timedelta(seconds=1)  # dated later, or If-Modified-Since keeps the old
    _CHANGED.put(url, (tag, now))
    return now


def _unchanged(request: Request, tag: str, modified: datetime) -> bool:
    """Whether the reader's copy is this one: If-None-Match (weakly compared, any coding), or
    else If-Modified-Since (RFC 9110, 13.1.3)."""
    if "if-none-match" in request.headers:
        held = [
            t.strip().removeprefix("W/").strip('"')
            for t in request.headers["if-none-match"].split(",")
        ]
        return any(t == "*" or t.removesuffix(_GZIP_TAG) == tag for t in held)
    try:
        since = parsedate_to_datetime(request.headers.get("if-modified-since", ""))
    except (TypeError, ValueError):  # absent or not a date: as if not sent
        return False
    return since.tzinfo is not None and modified <= since


def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (by name or by `*`, with q above 0)."""
    weights = dict(_coding_weight(part) for part in accept_encoding.lower().split(","))
    named = weights.get("gzip", weights.get("x-gzip"))
    return (weights.get("*", 0.0) if named is None else named) > 0


def _coding_weight(part: str) -> tuple[str, float]:
    """("gzip", 0.5) from "gzip;q=0.5": 1 without a q, 0 for a q that is no number."""
    coding, _, params = part.partition(";")
    q = params.strip()
    try:
        return coding.strip(), float(q[2:]) if q.startswith("q=") else 1.0
    except ValueError:
        return coding.strip(), 0.0
