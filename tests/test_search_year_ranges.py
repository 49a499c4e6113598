"""Years and days typed in the query, as search sites take them: "year:2025",
"year:2024..2025", "after:2025-06-01", "before:2025-09-30", in every search mode, on both
databases, in the site search, the API and the feeds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.search import SearchService, embed_papers
from paperfeed.search.query import filter_notes, parse_query, query_dates, semantic_text
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from tests.web_support import client, web_settings

DIFFUSION = "Denoising diffusion models generate images by reversing a noising diffusion process."
PAPERS = [
    Paper("2403.00001", "Diffusion models for image synthesis", DIFFUSION, ("Ann Lee",),
          ("cs.CV",), listing_date=date(2024, 3, 5)),
    Paper("2502.00001", "Latent diffusion models for video", DIFFUSION, ("Bo Li",),
          ("cs.CV",), listing_date=date(2025, 2, 10)),
    Paper("2507.00001", "Diffusion models for audio generation", DIFFUSION, ("Cy Wu",),
          ("cs.SD",), listing_date=date(2025, 7, 15)),
    Paper("2510.00001", "Graph neural networks for molecules", "Message passing on graphs.",
          ("Di Xu",), ("cs.LG",), listing_date=date(2025, 10, 1)),
    Paper("2603.00001", "Diffusion models for text", DIFFUSION, ("Ed Yu",),
          ("cs.CL",), listing_date=date(2026, 3, 2)),
]  # fmt: skip
IN_2025 = {"2502.00001", "2507.00001"}  # the diffusion papers of 2025


@pytest.fixture
def fast(settings: Settings) -> Settings:
    return web_settings(settings, page_size=30)


@pytest.fixture
def service(fast: Settings, engine: Engine) -> Iterator[SearchService]:
    with engine.begin() as conn:
        upsert_papers(conn, PAPERS)
    embed_papers(fast, engine)
    svc = SearchService(fast, engine)
    yield svc
    svc.close()


def test_year_prefixes_are_read_as_days_not_searched() -> None:
    parsed = parse_query("diffusion year:2025")
    assert parsed.words == ("diffusion",)
    assert (parsed.since, parsed.until) == (date(2025, 1, 1), date(2025, 12, 31))
    assert semantic_text("diffusion YEAR:2024..2025") == "diffusion"
    ranged = parse_query("year:2024..2025 gan")
    assert (ranged.since, ranged.until) == (date(2024, 1, 1), date(2025, 12, 31))
    assert parse_query("year:..2024").until == date(2024, 12, 31)
    assert parse_query("year:..2024").since is None
    days = parse_query("after:2025-06-01 before:2025-09-30 audio")
    assert (days.words, days.since, days.until) == (
        ("audio",),
        date(2025, 6, 1),
        date(2025, 9, 30),
    )
    assert parse_query("before:2024-02").until == date(2024, 2, 29)  # a month: to its end
    assert not parse_query("year:2025").empty  # only dates: a valid query (the newest)
    assert parse_query("the year: of").words == ("the", "year", "of")  # no value: a word


@pytest.mark.parametrize("typed", ["year:20x5", "year:2026..2024", "after:2025-02-30", "year:.."])
def test_a_malformed_date_prefix_is_said_and_left_out(typed: str) -> None:
    dates = query_dates(f"diffusion {typed}")
    assert (dates.since, dates.until) == (None, None)
    assert len(dates.problems) == 1 and dates.problems[0].startswith(typed)
    assert parse_query(f"diffusion {typed}").words == ("diffusion",)
    assert filter_notes("", None, None, f"diffusion {typed}") == list(dates.problems)


def test_dates_that_share_no_day_are_said() -> None:
    assert "no paper can match" in " ".join(filter_notes("", None, None, "year:2024 year:2025"))
    apart = filter_notes("", date(2026, 1, 1), None, "diffusion year:2025")
    assert apart and "From/Until" in apart[0]
    assert filter_notes("", date(2025, 3, 1), None, "diffusion year:2025") == []


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_year_keeps_that_years_papers_in_every_mode(service: SearchService, mode: str) -> None:
    # "year:2025" was searched as the words "year" and "2025": diffusion papers of every year.
    every = service.search("diffusion", mode, limit=30)
    assert every.mode == mode
    assert {h.id for h in every.hits} - IN_2025  # the other years' papers match the words
    found = service.search("diffusion year:2025", mode, limit=30)
    assert found.mode == mode and found.fallback is None
    ids = {h.id for h in found.hits}
    assert IN_2025 <= ids <= IN_2025 | {"2510.00001"}  # meaning may find 2025's other paper
    later = service.search("diffusion after:2025-06-01 before:2025-09-30", mode, limit=30)
    assert [h.id for h in later.hits][:1] == ["2507.00001"]
    assert {h.id for h in later.hits} <= {"2507.00001"}


def test_query_dates_and_form_dates_both_apply(service: SearchService) -> None:
    both = service.search("diffusion year:2024..2025", "keyword", since=date(2025, 3, 1))
    assert [h.id for h in both.hits] == ["2507.00001"]
    ids = service.search_ids("diffusion year:2024..2025", "keyword", until=date(2025, 3, 1))
    assert set(ids) == {"2403.00001", "2502.00001"}
    assert service.search_ids("diffusion year:2024", "keyword") == ["2403.00001"]


def test_only_a_year_lists_that_years_papers_newest_first(service: SearchService) -> None:
    found = service.search("year:2025", "hybrid", limit=30)
    assert [h.id for h in found.hits] == ["2510.00001", "2507.00001", "2502.00001"]


def test_the_page_says_a_malformed_year_and_the_api_refuses_it(
    fast: Settings, engine: Engine
) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, PAPERS)
    with client(fast, engine) as c:
        page = c.get("/search", params={"q": "diffusion year:20x5", "mode": "keyword"})
        assert page.status_code == 200
        assert "year:20x5 was left out of the search: give a year as 2025" in page.text
        assert "2403.00001" in page.text  # the words were still searched
        listed = c.get("/search", params={"q": "year:2025", "mode": "keyword"})
        assert listed.status_code == 200 and "no words to search for" not in listed.text
        assert "2510.00001" in listed.text and "2403.00001" not in listed.text
        for typed in ("diffusion year:20x5", "diffusion year:2026..2024"):
            refused = c.get("/api/papers/search", params={"q": typed})
            assert refused.status_code == 400
            assert typed.split()[1] in refused.json()["detail"]
        api = c.get("/api/papers/search", params={"q": "diffusion year:2025", "mode": "keyword"})
        assert api.status_code == 200
        assert {item["paper"]["id"] for item in api.json()} == IN_2025
        feed = c.get("/feeds/search.atom", params={"q": "diffusion year:2026..2024"})
        assert feed.status_code == 400 and "2026 is after 2024" in feed.text
