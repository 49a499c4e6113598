"""Date parsing shared by the sources; every result is a naive UTC datetime."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from paperfeed.arxiv_ids import first_listing_day
from paperfeed.models import Paper
from paperfeed.util import BadDate

__all__ = ["BadDate", "announced_on", "parse_date", "parse_rfc822", "to_naive_utc"]
# Sources of arXiv's records that may come long after the announcement (a late or backfilling
# harvest, a snapshot) and know the first version's time.
_HARVESTED = ("oai", "snapshot")


def to_naive_utc(value: datetime) -> datetime:
    """Convert an aware datetime to naive UTC (the store keeps naive UTC)."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def parse_rfc822(value: object) -> datetime | None:
    """Parse 'Mon, 2 Apr 2007 19:18:42 GMT'; empty means None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise BadDate(f"bad date {value!r:.40}")
    try:
        return to_naive_utc(parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError) as exc:
        raise BadDate(f"bad date {value!r:.40}") from exc


def parse_date(value: object) -> datetime | None:
    """Parse ISO 8601 dates and datetimes ('2007-05-23', '2024-10-22T17:59:30.000Z')."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise BadDate(f"bad date {value!r:.40}")
    try:
        return to_naive_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError as exc:
        raise BadDate(f"bad date {value!r:.40}") from exc


def announced_on(paper: Paper) -> date | None:
    """The listing day of a harvested paper that came with none (its record changed since, or
    harvested late): the first announcement after its first version, by arXiv's schedule."""
    if paper.source not in _HARVESTED or paper.published is None or not paper.is_arxiv:
        return None
    return first_listing_day(paper.published)
