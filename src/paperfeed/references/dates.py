"""When a paper appeared, to cite."""

from __future__ import annotations

from datetime import date

from paperfeed.arxiv_ids import submitted_month
from paperfeed.models import Paper


def issued(paper: Paper) -> tuple[int, ...] | None:
    """When a paper appeared, to cite: an arXiv paper's first version (its id gives the year
    and month; the day too when a stored date agrees with them), else its publication date.
    The day it was listed here is not a publication date: a paper with nothing else has none."""
    first = paper.versions[0].created if paper.versions else None
    day: date | None = first or paper.published
    month = submitted_month(paper.id) if paper.is_arxiv else None
    if month is not None:
        return (*month, day.day) if day and (day.year, day.month) == month else month
    if day is None and paper.is_arxiv:
        day = paper.listing_date  # an arXiv id of no known shape: the listing is near enough
    return (day.year, day.month, day.day) if day else None
