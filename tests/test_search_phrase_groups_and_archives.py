"""Search syntax left over from the SciFact review, through the real search API and page on SQLite
and PostgreSQL, and in the text the embedding model reads: a phrase in an OR group
('("graph neural network" OR GNN)' was read as separate words), an archive in "cat:" ("cat:q-bio"
searched the words "q" and "bio"), an unknown "cat:" (silently searched as words), and nested
groups left out ("NOT (a (b c))" kept "b c" for the model)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed import categories
from paperfeed.models import Paper
from paperfeed.search.query import parse_query, semantic_text, words_of
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.word_match import Within, newest_matching
from tests.web_support import DAYS, client, web_settings

PHRASE, GNN, APART = "2607.03001", "2607.03002", "2607.03003"
CANCER, STEM, SHEET, SOLAR = "2607.03011", "2607.03012", "2607.03013", "2607.03014"
PAPERS = [
    (PHRASE, "A graph neural network for molecules",
     "The graph neural network predicts molecular properties.", "cs.LG"),
    (GNN, "Pruning message passing layers", "We prune the GNN layers of molecules models.",
     "cs.LG"),
    (APART, "Recordings as a graph",
     "We build a graph from neural recordings of a brain network.", "q-bio.NC"),
    (CANCER, "Cancer cells divide", "Cancer cells in culture divide quickly.", "q-bio.CB"),
    (STEM, "Stem cells in mice", "Stem cells renew tissue in mice.", "q-bio.TO"),
    (SHEET, "Cells of a spreadsheet", "Formulas in spreadsheet cells are checked.", "cs.DB"),
    (SOLAR, "Solar cells age", "Perovskite solar cells lose output.", "physics.app-ph"),
]  # fmt: skip
CELLS = {CANCER, STEM, SHEET, SOLAR}


@pytest.fixture
def site(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    papers = [
        Paper(id=pid, title=title, abstract=abstract, authors=("Ann Lee",),
              categories=(category,), listing_date=DAYS[0])
        for pid, title, abstract, category in PAPERS
    ]  # fmt: skip
    with engine.begin() as conn:
        upsert_papers(conn, papers)
    with client(web_settings(settings), engine) as c:
        yield c


def _api(c: TestClient, q: str, **params: str) -> set[str]:
    got = c.get("/api/papers/search", params={"q": q, "mode": "keyword"} | params)
    assert got.status_code == 200, got.text
    return {item["paper"]["id"] for item in got.json()}


def _page(c: TestClient, q: str) -> str:
    got = c.get("/search", params={"q": q, "mode": "keyword"})
    assert got.status_code == 200, got.text
    return got.text


def _listed(page: str) -> set[str]:
    return {pid for pid, *_rest in PAPERS if f'data-id="{pid}"' in page}


# --- a phrase in an OR group --------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        '("graph neural network" OR GNN)',
        '( "graph neural network" OR GNN )',
        '(GNN OR "graph neural network")',
        '"graph neural network" || GNN',
        "(“graph neural network” OR GNN)",
    ],
)
def test_a_phrase_is_one_alternative_of_its_group(site: TestClient, typed: str) -> None:
    # The phrase or GNN: the paper holding "graph", "neural" and "network" apart is not found,
    # and the paper holding only GNN is (the phrase is not required).
    assert _api(site, typed) == {PHRASE, GNN}
    assert _listed(_page(site, typed)) == {PHRASE, GNN}
    model_reads = semantic_text(typed)
    assert "graph neural network" in model_reads and "GNN" in model_reads


def test_a_phrase_group_with_a_required_word_and_a_phrase_alone(site: TestClient) -> None:
    assert _api(site, '("graph neural network" OR GNN) molecules') == {PHRASE, GNN}
    assert _api(site, '("graph neural network" OR GNN) molecular') == {PHRASE}
    assert _api(site, '("graph neural network" OR pruning) "message passing"') == {GNN}
    assert _api(site, '"graph neural network"') == {PHRASE}  # a phrase alone is still required
    assert _api(site, '("graph neural network" OR GNN) NOT pruning') == {PHRASE}
    assert _api(site, 'graph NOT ("graph neural network" OR GNN)') == {APART}


def test_the_parser_keeps_the_phrase_as_an_alternative() -> None:
    parsed = parse_query('("graph neural network" OR GNN) molecules')
    assert parsed.either == ((("graph", "neural", "network"), ("gnn",)),)
    assert parsed.phrased == (("graph", "neural", "network"),)
    assert parsed.phrases == ()  # not required
    left_out = parse_query('cells -("graph neural network" OR GNN)')
    assert left_out.excluded_phrases == (("graph", "neural", "network"),)
    assert left_out.excluded_words == ("gnn",) and left_out.words == ("cells",)


# --- an archive in "cat:" -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("cells cat:q-bio", {CANCER, STEM}),
        ("cells cat:Q-BIO", {CANCER, STEM}),
        ("cells category:q-bio", {CANCER, STEM}),
        ("cells cat:cs", {SHEET}),
        ("cat:physics cells", {SOLAR}),
        ("cells cat:q-bio.TO", {STEM}),
        ("cells cat:cs.DB.", {SHEET}),
    ],
)
def test_an_archive_keeps_every_category_of_it(
    site: TestClient, typed: str, found: set[str]
) -> None:
    assert _api(site, typed) == found
    assert _listed(_page(site, typed)) == found
    assert _api(site, typed, mode="hybrid") == found
    assert _api(site, typed, sort="date") == found
    assert semantic_text(typed) == "cells"  # the model is not asked for "q bio"


def test_an_archive_alone_lists_its_papers(site: TestClient) -> None:
    assert _api(site, "cat:q-bio") == {CANCER, STEM, APART}


def test_an_unknown_category_is_said_not_searched_as_words(site: TestClient) -> None:
    refused = site.get("/api/papers/search", params={"q": "cells cat:qbio", "mode": "keyword"})
    assert refused.status_code == 400
    assert "cat:qbio" in refused.text and "Did you mean q-bio?" in refused.text
    page = _page(site, "cells cat:qbio")
    assert "cat:qbio was left out of the search" in page and "Did you mean q-bio?" in page
    assert _listed(page) == CELLS  # the other words searched, no category kept
    typo = _page(site, "cells cat:cs.DBB")
    assert "Did you mean cs.DB?" in typo
    alone = _page(site, "cat:qbio")
    assert "Did you mean q-bio?" in alone and _listed(alone) == set()  # not the words cat, qbio
    assert semantic_text("cells cat:qbio") == "cells"


def test_the_store_word_match_reads_an_archive(engine: Engine, site: TestClient) -> None:
    # What answers while the keyword index is built from scratch.
    with engine.connect() as conn:
        within = Within(100, categories=categories.members("q-bio"))
        found = newest_matching(conn, ["cells"], [], within, 10)
    assert {m.id for m in found} == {CANCER, STEM}


def test_an_archive_suggestion_is_offered_only_where_archives_are_read() -> None:
    with pytest.raises(ValueError, match="Did you mean q-bio"):
        categories.checked("qbio", archives=True)
    assert categories.checked("Q-Bio", archives=True) == "q-bio"
    with pytest.raises(ValueError, match="not an arXiv category"):
        categories.checked("q-bio")  # a follow or mute still names one category


# --- nested groups left out ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "cells NOT (cancer (stem OR mice))",
        "cells NOT (cancer (stem (mice)))",
        "cells -(cancer (stem mice))",
        "cells NOT(cancer (stem mice))",
        "NOT (cancer (stem mice) tissue) cells",
        'cells NOT (cancer ("stem cells" OR mice))',
    ],
)
def test_a_nested_group_left_out_is_left_out_for_the_model_too(
    site: TestClient, typed: str
) -> None:
    assert _api(site, typed) == {SHEET, SOLAR}
    model_reads = semantic_text(typed)
    assert model_reads == "cells", model_reads
    assert set(words_of(model_reads)) == set(parse_query(typed).words)


@pytest.mark.parametrize(
    "typed",
    [
        "a NOT (b (c d) e) f",
        "NOT (a (b c)) d",
        "x -(a (b (c))) y",
        "(x OR y) NOT (a (b OR c)) z",
        'x NOT ("a b" (c d)) y',
        "x NOT (a (b c) y",  # never closed: the rest is left out, as the keyword search does
        "-20 °C NOT (a (b)) storage",
    ],
)
def test_the_model_reads_the_words_the_keyword_search_needs(typed: str) -> None:
    parsed = parse_query(typed)
    model_reads = semantic_text(typed)
    assert set(words_of(model_reads)) - {"or"} == set(parsed.words), model_reads


@pytest.mark.parametrize(("given", "found"), [("q-bio", {CANCER, STEM}), ("CS", {SHEET})])
def test_the_category_filter_takes_an_archive_too(
    site: TestClient, given: str, found: set[str]
) -> None:
    # As the daily pages' ?category=cs does; it said "'cs' is not an arXiv category".
    assert _api(site, "cells", category=given) == found
    page = site.get("/search", params={"q": "cells", "mode": "keyword", "category": given})
    assert page.status_code == 200 and "not an arXiv category" not in page.text
    assert _listed(page.text) == found
    refused = site.get("/api/papers/search", params={"q": "cells", "category": "qbio"})
    assert refused.status_code == 400 and "Did you mean q-bio?" in refused.text
