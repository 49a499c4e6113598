"""Search syntax, part three, through the real search API and page on SQLite and PostgreSQL: a
phrase and a word ('"graph neural network" diffusion' did not need the word), several "cat:"
values ("cat:cs.CL cat:cs.LG" kept no category, "cat:(cs.CL OR cs.LG)" was searched as words), and
an OR group while the keyword index is rebuilt (the store's word match needed every word of it)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.search import SearchService
from paperfeed.search.keyword import KeywordIndex
from paperfeed.search.query import parse_query
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.word_match import Within, newest_matching
from tests.web_support import DAYS, client, web_settings

BOTH, PHRASE, WORD, APART = "2607.04001", "2607.04002", "2607.04003", "2607.04004"
LANGUAGE, LEARNING, VISION, CELLS = "2607.04011", "2607.04012", "2607.04013", "2607.04014"
PAPERS = [
    (BOTH, "A graph neural network for diffusion on molecules",
     "The graph neural network learns a diffusion process.", "cs.LG"),
    (PHRASE, "A graph neural network for molecules",
     "The graph neural network predicts molecular properties.", "cs.LG"),
    (WORD, "Diffusion models for molecules", "A diffusion model samples molecules.", "cs.LG"),
    (APART, "Recordings as a graph",
     "A graph of neural recordings of a brain network shows diffusion.", "q-bio.NC"),
    (LANGUAGE, "Tokens of a language model", "A language model reads tokens.", "cs.CL"),
    (LEARNING, "Tokens for learning", "Learning from tokens of programs.", "cs.LG"),
    (VISION, "Tokens of images", "Vision transformers cut images into tokens.", "cs.CV"),
    (CELLS, "Tokens of cells", "Cells are read as tokens of a model.", "q-bio.CB"),
]  # fmt: skip
TOKENS = {LANGUAGE, LEARNING, VISION, CELLS}


def _papers() -> list[Paper]:
    return [
        Paper(id=pid, title=title, abstract=abstract, authors=("Ann Lee",),
              categories=(category,), listing_date=DAYS[0])
        for pid, title, abstract, category in PAPERS
    ]  # fmt: skip


@pytest.fixture
def site(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with engine.begin() as conn:
        upsert_papers(conn, _papers())
    with client(web_settings(settings), engine) as c:
        yield c


def _api(c: TestClient, q: str, **params: str) -> set[str]:
    got = c.get("/api/papers/search", params={"q": q, "mode": "keyword"} | params)
    assert got.status_code == 200, got.text
    return {item["paper"]["id"] for item in got.json()}


def _page(c: TestClient, q: str, **params: str) -> str:
    got = c.get("/search", params={"q": q, "mode": "keyword"} | params)
    assert got.status_code == 200, got.text
    return got.text


def _listed(page: str) -> set[str]:
    return {pid for pid, *_rest in PAPERS if f'data-id="{pid}"' in page}


# --- a phrase and a word -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        '"graph neural network" diffusion',
        'diffusion "graph neural network"',
        '"graph neural network" AND diffusion',
        "“graph neural network” diffusion",
        '"graph neural network" diffus*',
    ],
)
def test_a_phrase_and_a_word_need_both(site: TestClient, typed: str) -> None:
    # The paper holding only the phrase was listed too: the word was not required.
    assert _api(site, typed) == {BOTH}
    assert _listed(_page(site, typed)) == {BOTH}
    assert _api(site, typed, sort="date") == {BOTH}
    assert _listed(_page(site, typed, sort="date")) == {BOTH}


def test_a_phrase_and_a_word_no_paper_holds_together_falls_back_to_the_phrase(
    site: TestClient,
) -> None:
    # As for several words: papers holding all of them when there are any, else some.
    assert _api(site, '"graph neural network" spectroscopy') == {BOTH, PHRASE}
    assert _api(site, '"graph neural network"') == {BOTH, PHRASE}  # a phrase alone, as before
    assert _api(site, '"graph neural network" "diffusion process"') == {BOTH}


# --- several "cat:" values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("tokens cat:cs.CL cat:cs.LG", {LANGUAGE, LEARNING}),
        ("cat:cs.cl tokens category:CS.LG", {LANGUAGE, LEARNING}),
        ("tokens cat:(cs.CL OR cs.LG)", {LANGUAGE, LEARNING}),
        ("tokens cat:(cs.CL cs.LG)", {LANGUAGE, LEARNING}),
        ("tokens cat:cs.CL,cs.LG", {LANGUAGE, LEARNING}),
        ("tokens cat:cs.CL OR cat:cs.CV", {LANGUAGE, VISION}),
        ("tokens cat:(cs.CL OR q-bio)", {LANGUAGE, CELLS}),
        ("tokens cat:(cs OR q-bio)", TOKENS),
        ("(tokens cat:(cs.CV || cs.LG))", {VISION, LEARNING}),
    ],
)
def test_several_categories_keep_papers_in_any_of_them(
    site: TestClient, typed: str, found: set[str]
) -> None:
    assert _api(site, typed) == found
    assert _listed(_page(site, typed)) == found
    assert _api(site, typed, sort="date") == found
    assert _api(site, typed, mode="hybrid") == found
    parsed = parse_query(typed)
    assert parsed.words == ("tokens",), parsed  # "cs", "cl" and "lg" are not searched for


def test_a_mistyped_category_among_several_is_said_and_the_others_kept(site: TestClient) -> None:
    typed = "tokens cat:(cs.CL OR qbio)"
    refused = site.get("/api/papers/search", params={"q": typed, "mode": "keyword"})
    assert refused.status_code == 400
    assert "cat:qbio was left out" in refused.text and "Did you mean q-bio?" in refused.text
    page = _page(site, typed)
    assert "cat:qbio was left out of the search" in page and "Did you mean q-bio?" in page
    assert _listed(page) == {LANGUAGE}


def test_the_category_filter_takes_several_on_the_page_as_the_daily_pages_do(
    site: TestClient,
) -> None:
    page = _page(site, "tokens", category="cs.CL,cs.CV")
    assert "not an arXiv category" not in page
    assert _listed(page) == {LANGUAGE, VISION}


# --- an OR group while the index is rebuilt -----------------------------------------------------


@pytest.fixture
def rebuilding(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """The store's index built, then its folder deleted; another worker holds the new build
    (its writer), so that searches answer from the store's word match meanwhile."""
    with engine.begin() as conn:
        upsert_papers(conn, _papers())
    fast = web_settings(settings, search_wait_for_build=0)
    service = SearchService(fast, engine)
    service.refresh()
    service.close()
    folder = fast.index_dir / "keyword"
    shutil.rmtree(folder)
    writer = KeywordIndex(folder).index.writer(15_000_000, 1)
    try:
        with client(fast, engine) as c:
            yield c
    finally:
        writer.rollback()
        writer.wait_merging_threads()
        del writer


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("tokens (language OR vision)", {LANGUAGE, VISION}),
        ("tokens language OR vision OR programs", {LANGUAGE, VISION, LEARNING}),
        ('("graph neural network" OR diffusion) molecules', {BOTH, PHRASE, WORD}),
        ("(language OR vision) (images OR reads)", {LANGUAGE, VISION}),
        ("tokens (language OR vision) -images", {LANGUAGE}),
    ],
)
def test_an_or_group_matches_any_alternative_while_the_index_is_rebuilt(
    rebuilding: TestClient, typed: str, found: set[str]
) -> None:
    page = _page(rebuilding, typed)
    assert "Search is being rebuilt" in page
    assert _listed(page) == found
    api = rebuilding.get("/api/papers/search", params={"q": typed, "mode": "keyword"})
    assert api.status_code == 200, api.text
    assert api.headers["X-Search-Degraded"].startswith("Search is being rebuilt")
    assert {p["paper"]["id"] for p in api.json()} == found


def test_the_store_word_match_takes_one_alternative_of_each_group(
    engine: Engine, site: TestClient
) -> None:
    with engine.connect() as conn:
        either = [[["language"], ["vision"]], [["images"], ["model", "reads"]]]
        found = newest_matching(conn, ["tokens"], [], Within(100), 10, either)
    assert {m.id for m in found} == {LANGUAGE, VISION}
