"""Leaving a group out, as PubMed users write it, through the real search API and page on SQLite
and PostgreSQL: "cells NOT (cancer OR tumour)" left out "cancer" and searched for "tumour"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.search.query import semantic_text
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from tests.web_support import DAYS, client, web_settings

CANCER, TUMOUR, STEM = "2607.02001", "2607.02002", "2607.02003"
PAPERS = [
    (CANCER, "Cancer cells divide", "Cancer cells in culture divide quickly."),
    (TUMOUR, "Tumour cells migrate", "Tumour cells migrate through gels."),
    (STEM, "Stem cells in mice", "Stem cells renew tissue in mice."),
]


@pytest.fixture
def site(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    papers = [
        Paper(id=pid, title=title, abstract=abstract, authors=("Ann Lee",),
              categories=("q-bio.CB",), listing_date=DAYS[0])
        for pid, title, abstract in PAPERS
    ]  # fmt: skip
    with engine.begin() as conn:
        upsert_papers(conn, papers)
    with client(web_settings(settings), engine) as c:
        yield c


def _api(c: TestClient, q: str) -> set[str]:
    got = c.get("/api/papers/search", params={"q": q, "mode": "keyword"})
    assert got.status_code == 200, got.text
    return {item["paper"]["id"] for item in got.json()}


@pytest.mark.parametrize(
    "typed",
    [
        "cells NOT (cancer OR tumour)",
        "cells NOT(cancer OR tumour)",
        "cells -(cancer OR tumour)",
        "cells AND NOT (cancer OR tumour)",
        "(cells) NOT (cancer OR tumour)",
    ],
)
def test_not_before_a_group_leaves_out_each_word_in_it(site: TestClient, typed: str) -> None:
    assert _api(site, typed) == {STEM}
    model_reads = semantic_text(typed)  # the model is not asked for them either
    assert "cells" in model_reads and "cancer" not in model_reads and "tumour" not in model_reads


def test_not_inside_a_group_leaves_its_word_out(site: TestClient) -> None:
    # "(NOT cancer)" searched for "cancer"; "(-cancer)" too.
    assert _api(site, "(NOT cancer) cells") == {TUMOUR, STEM}
    assert _api(site, "cells (-cancer)") == {TUMOUR, STEM}
    page = site.get("/search", params={"q": "cells NOT (cancer OR tumour)", "mode": "keyword"})
    assert page.status_code == 200
    assert f'data-id="{STEM}"' in page.text
    assert f'data-id="{CANCER}"' not in page.text and f'data-id="{TUMOUR}"' not in page.text


def test_a_group_not_left_out_is_still_either_word(site: TestClient) -> None:
    assert _api(site, "(cancer OR tumour) cells") == {CANCER, TUMOUR}
    assert _api(site, "(cancer OR tumour) NOT stem") == {CANCER, TUMOUR}
