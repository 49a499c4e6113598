"""Where a digest's "and N more" line leads: the site's search over the digest's days for a
subscriber of one saved search; the site's day page of the digest's days, filtered by the
subscriber's categories when categories are all they follow (the papers of other interests, a
keyword's or an author's, are then on the unfiltered page); the trending page for a
subscriber of trending papers alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from urllib.parse import urlencode

from paperfeed.digest.compose import Digest
from paperfeed.store.digests import InterestRow

DAYS_MOST = 31  # the longest run of days the site's daily pages list (`web.periods`)


def listing_path(span: tuple[date, date], categories: Sequence[str] = ()) -> str:
    """The site's page of the papers listed over exactly the days of `span`: a day, the ISO
    week or month it fills, else the run of its days, in `categories` where given."""
    start, end = span
    start = max(start, end - timedelta(days=DAYS_MOST - 1))  # the site lists no longer run
    year, week, _ = end.isocalendar()
    if start == end:
        path = f"/papers/date/{end.isoformat()}"
    elif start.weekday() == 0 and end - start == timedelta(days=6):
        path = f"/papers/week/{year}-W{week:02d}"
    elif start.day == 1 and (end + timedelta(days=1)).day == 1 and start.month == end.month:
        path = f"/papers/month/{end:%Y-%m}"
    else:
        path = f"/papers/days/{start.isoformat()}..{end.isoformat()}"
    return path + (
        f"?{urlencode({'category': ','.join(categories)}, safe=',')}" if categories else ""
    )


_SEARCHED = ("semantic",)  # a saved search: digests match it as the site's search does


def search_path(query: str, span: tuple[date, date]) -> str:
    """The site's search for `query` over the days of `span`."""
    wanted = {"q": query, "since": span[0].isoformat(), "until": span[1].isoformat()}
    return f"/search?{urlencode(wanted)}"


def with_more_links(
    digests: Sequence[Digest], span: tuple[date, date], interests: dict[int, list[InterestRow]]
) -> list[Digest]:
    """The digests that left matching papers out, with the link to the list of them all."""
    out: list[Digest] = []
    for digest in digests:
        rows = interests.get(digest.subscriber.id, [])
        if digest.more > 0 and not rows and digest.subscriber.prefs.include_trending:
            digest = replace(digest, more_path="/trending", more_of="trending")
        elif digest.more > 0 and len(rows) == 1 and rows[0].kind in _SEARCHED:
            # One saved search: the site's search over the digest's days lists its matches.
            digest = replace(digest, more_path=search_path(rows[0].value, span))
        elif digest.more > 0:
            only = [r.value for r in rows] if all(r.kind == "category" for r in rows) else []
            digest = replace(digest, more_path=listing_path(span, only))
        out.append(digest)
    return out
