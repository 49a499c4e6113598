"""A conference's address and order, as its page, its feed and the API read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Query

from paperfeed.venues import Venue, from_slug

# A venue's list: newest first (arXiv's order) or most upvoted first.
VenueSort = Annotated[
    str, Query(pattern="^(newest|votes)$", description="newest first, or votes: most upvoted")
]
# Its page also ranks it for the signed-in reader, as For you ranks a day.
VenuePageSort = Annotated[
    str,
    Query(
        pattern="^(newest|votes|foryou)$",
        description="newest first, votes: most upvoted, foryou: ranked for the signed-in reader",
    ),
]


def venue_named(slug: str) -> Venue:
    """The venue an address names, or a 404 saying what such an address looks like."""
    venue = from_slug(slug)
    if venue is None:
        said = "a conference and its year, such as icml-2026 or acl-2026-findings"
        raise HTTPException(404, f"{slug!r} names no conference here: {said}")
    return venue
