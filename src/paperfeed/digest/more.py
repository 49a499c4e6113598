"""Where a digest's "and N more" line leads: the site's day page of the digest's days, filtered
by the subscriber's categories when categories are all they follow (the papers of other
interests, a keyword's or an author's, are then on the unfiltered page)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from urllib.parse import urlencode

from paperfeed.digest.compose import Digest
from paperfeed.store.digests import InterestRow


def listing_path(span: tuple[date, date], categories: Sequence[str] = ()) -> str:
    """The site's page of the papers listed over `span` (a day, else the ISO week or month
    holding it, else the week of its last day), in `categories` where given."""
    start, end = span
    year, week, _ = end.isocalendar()
    if start == end:
        path = f"/papers/date/{end.isoformat()}"
    elif start.isocalendar()[:2] != (year, week) and (start.year, start.month) == (
        end.year,
        end.month,
    ):
        path = f"/papers/month/{end:%Y-%m}"
    else:
        path = f"/papers/week/{year}-W{week:02d}"
    return path + (
        f"?{urlencode({'category': ','.join(categories)}, safe=',')}" if categories else ""
    )


def with_more_links(
    digests: Sequence[Digest], span: tuple[date, date], interests: dict[int, list[InterestRow]]
) -> list[Digest]:
    """The digests that left matching papers out, with the link to the list of them all."""
    out: list[Digest] = []
    for digest in digests:
        if digest.more > 0:
            rows = interests.get(digest.subscriber.id, [])
            only = [r.value for r in rows] if all(r.kind == "category" for r in rows) else []
            digest = replace(digest, more_path=listing_path(span, only))
        out.append(digest)
    return out
