"""What the slowest pages at full scale read from the store (bench/pages.py): no query per row,
and nothing read that the page does not show."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest
from sqlalchemy import Engine, select

from paperfeed.latex import plain, plain_math
from paperfeed.recommend.model import (
    SOURCE_WEIGHTS,
    Tuning,
    papers_leaned_on,
    recency,
    shown_term,
    strongest_terms,
)
from paperfeed.settings import Settings
from paperfeed.store import library
from paperfeed.store.accounts import users
from paperfeed.store.tables import papers
from tests.web_support import client, sign_up, statements


def _save(engine: Engine, username: str, ids: list[str]) -> None:
    with engine.begin() as conn:
        uid = conn.scalar(select(users.c.id).where(users.c.username == username))
        assert uid is not None
        library.save_papers(conn, uid, ids)


@pytest.mark.parametrize("fmt", ["bib", "ris", "json"])
def test_a_library_export_reads_papers_only_and_not_once_per_paper(
    site: Settings, engine: Engine, fmt: str
) -> None:
    """An export of 2,000 saved papers counted every paper's votes and comments (for cards it
    never showed): 0.8 s of the served 0.83 s BibTeX export at 75 k papers."""
    with engine.connect() as conn:
        every = sorted(conn.scalars(select(papers.c.id)))
    assert len(every) > 12
    with client(site, engine) as c:
        sign_up(c, "ada")
        _save(engine, "ada", every[:3])
        c.get(f"/library/export.{fmt}")  # warms this process's caches
        with statements(engine) as few:
            small = c.get(f"/library/export.{fmt}")
        _save(engine, "ada", every[3:])
        c.get(f"/library/export.{fmt}")
        with statements(engine) as many:
            large = c.get(f"/library/export.{fmt}")
    assert small.status_code == large.status_code == 200
    assert all(pid in large.text for pid in every)
    assert sum(pid in small.text for pid in every) == 3
    assert len(many) == len(few), many  # the same queries for 3 papers as for all
    counted = [s for s in many if "FROM votes" in s or "FROM comments" in s]
    assert not counted, counted


def _reference_terms(terms: list[str], weights: np.ndarray, k: int) -> list[tuple[str, float]]:
    order = np.argsort(-weights, kind="stable")
    best = [(terms[i], float(weights[i])) for i in order if weights[i] > 0]
    return [tw for tw in best if shown_term(tw[0])][:k]


@pytest.mark.parametrize("hidden_on_top", [0, 200, 5000])
def test_the_learned_page_terms_are_the_heaviest_shown_ones(hidden_on_top: int) -> None:
    """The page's terms come from the heaviest few (not a sort of the whole vocabulary), yet
    are the k heaviest terms a reader is shown, however many hidden terms weigh more."""
    rng = np.random.default_rng(7)
    size = 20_000
    terms = [f"word{i}" for i in range(size)]
    weights = rng.normal(size=size)
    top = np.argsort(-weights)[:hidden_on_top]
    for i in top:  # the heaviest terms are LaTeX, never shown: the page must look further
        terms[int(i)] = f"_tex{i}"
    model = cast(Any, SimpleNamespace(term_weights=weights))
    space = cast(Any, SimpleNamespace(terms=np.array(terms, dtype=object)))
    assert strongest_terms(model, space, 20) == _reference_terms(terms, weights, 20)
    few = np.where(np.arange(size) < 5, 1.0, -1.0)  # fewer positive terms than asked for
    model = cast(Any, SimpleNamespace(term_weights=few))
    assert strongest_terms(model, space, 20) == _reference_terms(terms, few, 20)


def test_the_papers_leaned_on_are_the_heaviest_whatever_the_library_size() -> None:
    """Only the k heaviest papers are described; ties keep the model's order, as a sort did."""
    tuning = Tuning()
    docs = [SimpleNamespace(id=f"p{i}", title=f"Paper {i}") for i in range(300)]
    ages = [float(i % 40) for i in range(300)]
    positives = [
        cast(Any, SimpleNamespace(doc=d, source="library", also=(), age_days=a))
        for d, a in zip(docs, ages, strict=True)
    ]
    model = cast(Any, SimpleNamespace(positives=positives, tuning=tuning))
    got = papers_leaned_on(model, 10)
    weights = [recency(a, tuning) * SOURCE_WEIGHTS.get("library", 1.0) for a in ages]
    expected = sorted(range(300), key=lambda i: weights[i], reverse=True)[:10]
    assert [p.id for p in got] == [f"p{i}" for i in expected]


def test_maths_seen_again_is_not_converted_again() -> None:
    """Feeds convert each abstract's maths on every view (a collection feed of 100 papers spent
    half its time in the LaTeX parser): a formula seen before is looked up, with the same text."""
    abstract = r"We bound $\frac{a+b}{c}$ by $\alpha^{1/2}$ and again $\frac{a+b}{c}$."
    plain_math.cache_clear()
    first = plain(abstract)
    assert plain(abstract) == first == "We bound (a+b)/c by α^(1/2) and again (a+b)/c."
    info = plain_math.cache_info()
    assert (info.misses, info.hits) == (2, 4)
