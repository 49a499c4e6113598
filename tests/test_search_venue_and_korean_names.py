"""Keyword search reads arXiv's comments and journal reference ("Accepted at ICML 2026"), weighed
low, and a Korean name written with or without a space between its parts ("김 민수", "김민수"),
through the real search page and API on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.search.keyword import SCHEMA_VERSION, VENUE_SINCE, Filters, KeywordIndex
from paperfeed.search.query import parse_query
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.search_store import IndexRow
from tests.web_support import DAYS, client, web_settings

ACCEPTED, JOURNAL, ABOUT, OTHER = "2607.02001", "2607.02002", "2607.02003", "2607.02004"
APART, TOGETHER, ROMAN = "2607.02011", "2607.02012", "2607.02013"
PAPERS = [
    Paper(id=ACCEPTED, title="Sparse attention for long documents",
          abstract="We make attention sparse.", authors=("Ann Lee",),
          comments="Accepted at ICML 2026. 9 pages, 4 figures"),
    Paper(id=JOURNAL, title="Sparse probing of language models",
          abstract="Probing with sparse codes.", authors=("Bo Li",),
          journal_ref="Proceedings of ICML 2026, PMLR 301"),
    Paper(id=ABOUT, title="Sparse attention, the ICML 2026 tutorial",
          abstract="Notes from the ICML 2026 tutorial on sparse attention.", authors=("Cy Ng",)),
    Paper(id=OTHER, title="Sparse attention in vision", abstract="Accepted ideas for 2026.",
          authors=("Di Wu",), comments="ICML 2025 workshop"),
    Paper(id=APART, title="Graph pooling", abstract="We pool graphs.",
          authors=("김 민수", "Ann Lee")),
    Paper(id=TOGETHER, title="Speech pooling", abstract="We pool speech.", authors=("김민수",)),
    Paper(id=ROMAN, title="Video pooling", abstract="We pool video.", authors=("Minsu Kim",)),
]  # fmt: skip


@pytest.fixture
def site(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with engine.begin() as conn:
        upsert_papers(
            conn, [replace(p, categories=("cs.LG",), listing_date=DAYS[0]) for p in PAPERS]
        )
    with client(web_settings(settings), engine) as c:
        yield c


def _api(c: TestClient, q: str, **params: str) -> list[str]:
    got = c.get("/api/papers/search", params={"q": q, "mode": "keyword", **params})
    assert got.status_code == 200, got.text
    return [item["paper"]["id"] for item in got.json()]


def _page(c: TestClient, q: str, **params: str) -> set[str]:
    got = c.get("/search", params={"q": q, "mode": "keyword", **params})
    assert got.status_code == 200, got.text
    return {p.id for p in PAPERS if f'data-id="{p.id}"' in got.text}


def test_a_venue_in_the_comments_or_journal_reference_is_found(site: TestClient) -> None:
    # The phrase found only the paper whose abstract said it: the comments were not indexed.
    assert set(_api(site, '"ICML 2026"')) == {ACCEPTED, JOURNAL, ABOUT}
    # Both words, wherever they are: OTHER's comments say ICML, its abstract 2026.
    assert set(_api(site, "ICML 2026")) == {ACCEPTED, JOURNAL, ABOUT, OTHER}
    assert _page(site, '"ICML 2026"') == {ACCEPTED, JOURNAL, ABOUT}
    # Low weight: the paper saying it in its title and abstract comes first.
    assert _api(site, '"ICML 2026"')[0] == ABOUT
    # Field prefixes for the comments and journal reference read as fields, not words.
    for q in ('venue:"ICML 2026"', 'comments:"ICML 2026"', 'journal:"ICML 2026"', 'jr:"ICML 2026"'):
        assert set(_api(site, q)) == {ACCEPTED, JOURNAL, ABOUT}, q
    assert set(_api(site, 'co:"ICML 2026" -tutorial')) == {ACCEPTED, JOURNAL}
    # "ICML 2025 workshop" in another paper's comments is not the phrase.
    assert OTHER not in _api(site, '"ICML 2026"')


def test_a_word_only_in_the_comments_barely_moves_a_ranking(site: TestClient) -> None:
    # The comments weigh little: "accepted" in OTHER's abstract outranks ACCEPTED's comments,
    # which are found all the same.
    assert _api(site, "accepted")[0] == OTHER
    assert set(_api(site, "accepted")) == {OTHER, ACCEPTED}


def test_a_korean_name_is_found_with_or_without_its_space(site: TestClient) -> None:
    both = {APART, TOGETHER}
    for written in ("김민수", "김 민수"):
        assert set(_api(site, "pooling", author=written)) == both, written  # the author filter
        assert set(_api(site, written)) == both, written  # a search for the name
        assert _page(site, written) == both, written
        assert set(_api(site, f"pooling {written}")[:2]) == both, written
    assert set(_api(site, "pooling", author="Minsu Kim")) == {ROMAN}  # romanised: another
    assert set(_api(site, "pooling", author="김민준")) == set()


def test_an_index_of_the_previous_schema_answers_without_the_venue_field(tmp_path: Path) -> None:
    # During a rebuild beside it, an index of schema 11 keeps answering: it has no `venue`
    # field, and queries must not ask for it there.
    assert SCHEMA_VERSION == VENUE_SINCE
    folder = tmp_path / "keyword"
    folder.mkdir()
    (folder / "paperfeed-state.json").write_text(json.dumps({"schema": VENUE_SINCE - 1}))
    old = KeywordIndex(folder, keep_outdated=True)  # as the release before wrote it
    now = datetime(2026, 7, 1, tzinfo=UTC).replace(tzinfo=None)
    row = IndexRow(ACCEPTED, "Sparse attention", "Sparse.", ("김 민수",), ("cs.LG",), None, now,
                   False, comments="Accepted at ICML 2026")  # fmt: skip
    old.apply([[row]])
    assert old.version == VENUE_SINCE - 1 and '"venue"' not in (folder / "meta.json").read_text()

    def found(q: str, author: str | None = None) -> list[str]:
        hits, _n = old.search(parse_query(q), Filters(author=author), 10, all_words=True)
        return [pid for pid, _s in hits]

    assert found("sparse") == found("김 민수") == found("", author="김 민수") == [ACCEPTED]
    assert found('"ICML 2026"') == found("ICML") == []  # no comments in that index
    assert found("", author="김민수") == []  # nor the name written together
