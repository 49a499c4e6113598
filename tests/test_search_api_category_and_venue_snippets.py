"""Search leftovers through the real search API, page and feed on SQLite and PostgreSQL: several
categories in the API's `category` (refused with a 400 while the page took them), the text the
embedding model reads once "cat:" values are removed ("OR attention"), and a paper found only
through its arXiv comments or journal reference, whose card marked no word."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.search import embed_papers
from paperfeed.search.query import semantic_text
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from tests.web_support import DAYS, client, web_settings

CL, LG, CV, MATH, VENUE, SCRIPTED = (
    "2607.04001", "2607.04002", "2607.04003", "2607.04004", "2607.04005", "2607.04006"
)  # fmt: skip
PAPERS = [
    Paper(id=CL, title="Attention for parsing", abstract="Attention heads parse sentences.",
          authors=("Ann Lee",), categories=("cs.CL",)),
    Paper(id=LG, title="Attention as kernels", abstract="Attention is a kernel smoother.",
          authors=("Bo Li",), categories=("cs.LG",)),
    Paper(id=CV, title="Attention in vision", abstract="Attention over image patches.",
          authors=("Cy Ng",), categories=("cs.CV",)),
    Paper(id=MATH, title="Attention and operators", abstract="Attention as an integral operator.",
          authors=("Di Wu",), categories=("math.FA",)),
    Paper(id=VENUE, title="Pruning long documents", abstract="We prune tokens of long inputs.",
          authors=("Ed Yu",), categories=("cs.CL",),
          comments="Accepted at ICML 2026. 9 pages, 4 figures"),
    Paper(id=SCRIPTED, title="Pruning short documents", abstract="We prune tokens of short inputs.",
          authors=("Fay Ho",), categories=("cs.CL",),
          journal_ref="<script>alert(1)</script> Proceedings of ICML 2026"),
]  # fmt: skip


@pytest.fixture
def site(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with engine.begin() as conn:
        upsert_papers(conn, [replace(p, listing_date=DAYS[0]) for p in PAPERS])
    s = web_settings(settings)
    embed_papers(s, engine)
    with client(s, engine) as c:
        yield c


def _api(c: TestClient, q: str, **params: str) -> list[dict[str, object]]:
    got = c.get("/api/papers/search", params={"q": q, "mode": "keyword", **params})
    assert got.status_code == 200, got.text
    items: list[dict[str, object]] = got.json()
    return items


def _ids(items: list[dict[str, object]]) -> set[str]:
    return {str(item["paper"]["id"]) for item in items}  # type: ignore[index]


def _page(c: TestClient, q: str, **params: str) -> str:
    got = c.get("/search", params={"q": q, "mode": "keyword", **params})
    assert got.status_code == 200, got.text
    return got.text


def _listed(page: str) -> set[str]:
    return {p.id for p in PAPERS if f'data-id="{p.id}"' in page}


# --- several categories in the API's category ----------------------------------------------------


@pytest.mark.parametrize(
    ("category", "kept"),
    [
        ("cs.CL,cs.LG", {CL, LG}),
        ("cs.cl, CS.LG", {CL, LG}),
        ("cs.CV,math", {CV, MATH}),
        ("cs", {CL, LG, CV}),
    ],
)
def test_the_api_takes_several_categories_as_the_page_does(
    site: TestClient, category: str, kept: set[str]
) -> None:
    # The API answered 400 "give an arXiv category like cs.CL" to cs.CL,cs.LG.
    assert _ids(_api(site, "attention", category=category)) == kept
    assert _listed(_page(site, "attention", category=category)) == kept
    feed = site.get(
        "/feeds/search.atom", params={"q": "attention", "mode": "keyword", "category": category}
    )
    assert feed.status_code == 200, feed.text
    assert {p.id for p in PAPERS if p.id in feed.text} == kept


def test_a_mistyped_category_among_several_is_a_400_that_names_it(site: TestClient) -> None:
    got = site.get("/api/papers/search", params={"q": "attention", "category": "cs.CL,cs.XQ"})
    assert got.status_code == 400 and "cs.XQ" in got.json()["detail"], got.text
    shaped = site.get("/api/papers/search", params={"q": "attention", "category": "cs.CL;cs.LG"})
    assert shaped.status_code == 400
    assert shaped.json()["detail"].startswith("category: give an arXiv category like cs.CL")


def test_the_schema_documents_several_categories(site: TestClient) -> None:
    doc = site.get("/openapi.json").json()
    for path in ("/api/papers/search", "/feeds/search.{fmt}"):
        param = next(p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == "category")
        pattern = param["schema"]["pattern"]
        for value in ("cs.CL,cs.LG", "cs.CL, cs.LG", "cs,math.PR", "q-bio.NC", ""):
            assert re.fullmatch(pattern, value), (path, value)
        for value in ("cs.CL;cs.LG", "cs.CL,", ",cs.CL", "cs.", "000"):
            assert not re.fullmatch(pattern, value), (path, value)
        assert "cs.CL,cs.LG" in param["description"]


# --- no stray operator for the model -------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "cat:cs.CL OR cat:cs.LG attention",
        "attention OR cat:cs.CL OR cat:cs.LG",
        "(cat:cs.CL || cat:cs.LG) attention",
        "year:2026 AND attention cat:cs.CL OR cat:cs.LG",
    ],
)
def test_removed_fields_leave_no_operator_for_the_model(site: TestClient, typed: str) -> None:
    assert semantic_text(typed) == "attention"  # was "OR attention"
    # The same scores as the words alone with the category filter: the model read the same text.
    alone = _api(site, "attention", mode="semantic", category="cs.CL,cs.LG")
    typed_in = _api(site, typed, mode="semantic")
    assert {CL, LG} <= _ids(alone) <= {CL, LG, VENUE, SCRIPTED}
    assert [(i["paper"]["id"], i["score"]) for i in typed_in] == [  # type: ignore[index]
        (i["paper"]["id"], i["score"])  # type: ignore[index]
        for i in alone
    ]


def test_operators_between_words_stay() -> None:
    assert semantic_text("GAN OR diffusion") == "GAN OR diffusion"
    assert semantic_text("(GAN OR VAE) image -survey") == "GAN OR VAE image"
    assert semantic_text("attention OR -survey") == "attention"


@pytest.mark.parametrize("typed", ["AND", "OR", "NOT", "(AND)", "AND OR"])
def test_a_lone_operator_is_read_as_its_word_by_the_model_too(site: TestClient, typed: str) -> None:
    """The keyword search reads a query of operators alone as their words ("AND": papers
    holding "and"); the model once read nothing, and the page said the query held only a
    category, dates or left-out words."""
    assert semantic_text(typed) == " ".join(typed.strip("()").lower().split())
    for mode in ("hybrid", "semantic"):
        page = site.get("/search", params={"q": typed, "mode": mode})
        assert page.status_code == 200
        assert "no words for" not in page.text
        assert f"({mode})" in page.text  # ranked by meaning as asked, not by keyword alone
    assert semantic_text("cat:cs.CL OR cat:cs.LG") == ""  # a category alone is still nothing


# --- a match only in the comments or journal reference --------------------------------------------


def test_a_match_only_in_the_comments_shows_them_marked(site: TestClient) -> None:
    items = {str(i["paper"]["id"]): str(i["highlight"]) for i in _api(site, '"ICML 2026"')}  # type: ignore[index]
    assert set(items) == {VENUE, SCRIPTED}
    assert "Comments: Accepted at <mark>ICML</mark> <mark>2026</mark>" in items[VENUE]
    assert items[VENUE].startswith("We prune tokens of long inputs.")
    # The journal reference's text is inert: escaped, only the marks are markup.
    assert "Journal ref: &lt;script&gt;alert(1)&lt;/script&gt;" in items[SCRIPTED]
    assert "<script>" not in items[SCRIPTED]
    page = _page(site, '"ICML 2026"')
    assert "Comments: Accepted at <mark>ICML</mark> <mark>2026</mark>" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    # Found by the abstract: no comments line.
    plain = {str(i["paper"]["id"]): str(i["highlight"]) for i in _api(site, "prune tokens")}  # type: ignore[index]
    assert plain[VENUE] and "Comments:" not in plain[VENUE]


def test_a_match_in_both_the_abstract_and_the_comments_marks_both(site: TestClient) -> None:
    # The card marked "prune" in the abstract and left out the comments that matched "ICML".
    items = {str(i["paper"]["id"]): str(i["highlight"]) for i in _api(site, "prune ICML")}  # type: ignore[index]
    assert set(items) == {VENUE, SCRIPTED}
    assert items[VENUE].startswith("We <mark>prune</mark> tokens of long inputs.")
    assert items[VENUE].endswith(
        " · Comments: Accepted at <mark>ICML</mark> 2026. 9 pages, 4 figures"
    )
    assert (
        "Journal ref: &lt;script&gt;alert(1)&lt;/script&gt; Proceedings of <mark>ICML</mark>"
        in (items[SCRIPTED])
    )
    assert "<mark>prune</mark>" in items[SCRIPTED] and "<script>" not in items[SCRIPTED]
    page = _page(site, "prune ICML")
    assert "Comments: Accepted at <mark>ICML</mark> 2026" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
