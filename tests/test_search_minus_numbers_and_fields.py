"""Scientific queries as researchers type them, through the real search page and API on SQLite
and PostgreSQL: "-20 °C" is a temperature, not "leave out papers holding 20"; a query that opens
with a field and a space ("title: cancer") reads the field, not the word "title"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.search.query import parse_query, semantic_text
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from tests.web_support import DAYS, client, web_settings

COLD, COOL = "2607.01001", "2607.01002"
BREAST, COHORTS, REGISTRY = "2607.01011", "2607.01012", "2607.01013"
PAPERS = [
    (COLD, "Plasma proteins after storage at -20 °C",
     "Samples kept at -20 °C for 20 months lost little activity."),
    (COOL, "Plasma proteins after storage at 4 °C", "Samples kept at 4 °C for a week."),
    (BREAST, "Breast cancer screening with mammograms", "Screening finds cancer early."),
    (COHORTS, "Cancer incidence in two cohorts", "Cancer rates compared across cohorts."),
    (REGISTRY, "A title for every cancer registry record", "Registry entries and their titles."),
]  # fmt: skip


@pytest.fixture
def site(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    papers = [
        Paper(id=pid, title=title, abstract=abstract, authors=("Ann Lee",),
              categories=("q-bio.QM",), listing_date=DAYS[0])
        for pid, title, abstract in PAPERS
    ]  # fmt: skip
    with engine.begin() as conn:
        upsert_papers(conn, papers)
    with client(web_settings(settings), engine) as c:
        yield c


def _api(c: TestClient, q: str) -> list[str]:
    got = c.get("/api/papers/search", params={"q": q, "mode": "keyword"})
    assert got.status_code == 200, got.text
    return [item["paper"]["id"] for item in got.json()]


def _page(c: TestClient, q: str) -> str:
    got = c.get("/search", params={"q": q, "mode": "keyword"})
    assert got.status_code == 200, got.text
    return got.text


def test_a_negative_number_is_searched_not_left_out(site: TestClient) -> None:
    # "-20" left out every paper holding "20": the -20 °C paper was the one never shown.
    assert _api(site, "-20 °C storage") == [COLD]
    page = _page(site, "storage at -20°C")
    assert f'data-id="{COLD}"' in page and f'data-id="{COOL}"' not in page
    assert semantic_text("plasma at -20 °C") == "plasma at -20 °C"  # the model reads it too
    # A word after "-" still leaves papers out, "-3D" too (a number with letters is a word).
    assert _api(site, "plasma storage -week") == [COLD]
    assert parse_query("segmentation -3D -0.5").excluded_words == ("3d",)
    assert semantic_text("segmentation -3D -0.5") == "segmentation -0.5"


def test_a_query_opening_with_a_field_and_a_space_reads_the_field(site: TestClient) -> None:
    # "title: cancer" asked for papers holding "title" too: one paper of the three.
    assert set(_api(site, "title: cancer")) == {BREAST, COHORTS, REGISTRY}
    assert set(_api(site, "Abstract:   screening finds cancer")) == {BREAST}
    page = _page(site, "title: cancer")
    assert all(f'data-id="{pid}"' in page for pid in (BREAST, COHORTS, REGISTRY))
    assert semantic_text("title: breast cancer") == "breast cancer"
    # Inside a query a colon after "title" is only punctuation (no field opens the query).
    assert parse_query("cancer title: registry").words == ("cancer", "title", "registry")
