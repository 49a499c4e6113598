"""Small defects the lead fixed in the forty-second round (both databases)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store.papers import upsert_papers
from tests.digest_support import free_port
from tests.test_served_links import _env, _running
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


def test_an_upper_case_old_style_address_leads_to_arxivs_spelling(
    site: Settings, engine: Engine
) -> None:
    """/papers/HEP-TH/9901001 opens the paper by one address only: arXiv's spelling."""
    old = Paper(id="hep-th/9901001", title="An Old Paper", abstract="Strings.")
    with engine.begin() as conn:
        upsert_papers(conn, [old])
    with client(site, engine) as c:
        moved = c.get("/papers/HEP-TH/9901001", follow_redirects=False)
        assert moved.status_code == 301
        assert moved.headers["location"] == "/papers/hep-th/9901001"
        assert "An Old Paper" in c.get(moved.headers["location"]).text


def test_hugging_faces_address_for_a_weekend_opens_the_friday_before(
    site: Settings, engine: Engine
) -> None:
    """/papers?date=SATURDAY (Hugging Face's daily address) showed '0 papers'; it now leads
    where the calendar does: the nearest listing day before it, saying why."""
    saturday = DAYS[-1] + timedelta(days=1)
    assert saturday.weekday() == 5
    with client(site, engine) as c:
        moved = c.get(f"/papers?date={saturday}", follow_redirects=False)
        assert moved.status_code == 302
        assert moved.headers["location"] == f"/papers/date/{DAYS[-1]}?asked={saturday}"
        page = c.get(moved.headers["location"]).text
        assert "No papers were announced on Saturday" in page
        listed = c.get(f"/papers?date={DAYS[-1]}", follow_redirects=False)
        assert listed.status_code == 301
        assert listed.headers["location"] == f"/papers/date/{DAYS[-1]}"


@pytest.mark.slow
def test_the_demo_under_a_path_says_its_address_with_the_path(
    demo_settings: Settings, tmp_path: Path
) -> None:
    """`paperfeed demo` with a base URL under a path said "paperfeed at http://host:port/" and
    the mailbox at /demo/mailbox, both outside the site (404); it now names them under it."""
    data = tmp_path / "data"
    shutil.copytree(demo_settings.data_dir, data, ignore=shutil.ignore_patterns("index"))
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    env = _env(data, PAPERFEED_BASE_URL=f"{site}/papers")
    with _running(["demo", "--port", str(port), "--no-digests"], env, port) as (http, err):
        assert http.get("/papers/demo/mailbox").status_code == 200
    said = err[0]
    assert f"paperfeed at {site}/papers/\n" in said, said
    assert f"demo mailbox, {site}/papers/demo/mailbox" in said, said
