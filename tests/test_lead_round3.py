"""Small defects the lead fixed in the forty-second round (both databases)."""

from __future__ import annotations

from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store.papers import upsert_papers
from tests.web_support import DAYS, PER_DAY, client

BUSY_DAY = DAYS[-1]


def test_a_busy_days_count_reads_with_thousands_separators(site: Settings, engine: Engine) -> None:
    """A day of 1,204 papers said "1204 papers" (other counts on the site say "2,894 more"):
    the day, week and search totals read "1,204"."""
    papers = [
        Paper(
            id=f"2606.{90000 + i:05d}",
            title=f"Sparse lattice sieving {i}",
            abstract="A lattice sieving method.",
            authors=("A. Writer",),
            categories=("cs.CR",),
            listing_date=BUSY_DAY,
        )
        for i in range(1204 - PER_DAY)
    ]
    with engine.begin() as conn:
        upsert_papers(conn, papers)
    with client(site, engine) as c:
        day = c.get(f"/papers/date/{BUSY_DAY.isoformat()}")
        assert day.status_code == 200
        assert "1,204 papers" in day.text and "1204 papers" not in day.text
