"""A paper's keywords, extracted from real arXiv titles and abstracts (the bundled demo days)."""

from __future__ import annotations

import gzip
import json
import re
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import pytest

from paperfeed import keyphrases as kp
from paperfeed.ingest.jobs import demo_files
from paperfeed.keyphrases import MOST, keyphrases
from paperfeed.models import Paper


@cache
def _demo() -> dict[str, Paper]:
    found: dict[str, Paper] = {}
    for path in demo_files()[0]:
        with gzip.open(path, "rt") as handle:
            for line in handle:
                raw = json.loads(line)
                found[raw["id"]] = Paper(
                    id=raw["id"], title=raw["title"], abstract=raw["summary"], source="test"
                )
    return found


@pytest.mark.parametrize(
    ("pid", "wanted", "unwanted"),
    [
        # "Pure Nash Equilibria under the Affine Mechanism: A Potential Game of Exaggeration"
        ("2606.29010", {"pure Nash equilibria", "affine mechanism"}, {"Potential Game of"}),
        # "Know2Guess: ... Knowledge-Boundary Evaluation in Large Language Models"
        ("2606.26101", {"large language models"}, {"large language", "language models"}),
        # "Shell-Supervised Gaussian Splatting for Urban Real-to-Sim Reconstruction"
        ("2606.30014", {"shell-supervised Gaussian Splatting"}, {"Gaussian", "Splatting"}),
        # "Embedded Polygon Symbolic Transfer Entropy (EPSTE): ..." (YAKE cuts at three words)
        (
            "2606.21754",
            {"Embedded Polygon Symbolic Transfer Entropy", "EPSTE"},
            {"Polygon Symbolic Transfer", "Approach to Estimating"},
        ),
    ],
)
def test_real_abstracts_give_the_phrases_a_reader_would_search_for(
    pid: str, wanted: set[str], unwanted: set[str]
) -> None:
    found = keyphrases(_demo()[pid])
    assert wanted <= set(found), found
    assert not unwanted & set(found), found
    assert 1 <= len(found) <= MOST


_STOP = {"the", "of", "a", "an", "and", "in", "for", "to", "on", "with", "we", "propose", "via"}


def _stem(word: str) -> str:
    return word.lower().removesuffix("s")


def test_no_keyword_is_a_stop_word_phrase_a_duplicate_or_markup() -> None:
    """Over 500 demo papers, 200 of them with LaTeX ($\\alpha$, \\emph{...}, \\cite)."""
    papers = list(_demo().values())
    latex = [p for p in papers if "\\" in p.abstract]
    assert len(latex) >= 200
    for paper in latex[:200] + papers[:300]:
        found = keyphrases(paper)
        assert len(found) <= MOST
        stems = [tuple(_stem(w) for w in phrase.split()) for phrase in found]
        assert len(set(stems)) == len(stems), (paper.id, found)  # "model" and "models"
        for phrase in found:
            assert re.fullmatch(r"[\w-]+(?: [\w-]+){0,4}", phrase), (paper.id, phrase)
            assert not {w.lower() for w in phrase.split()} & _STOP, (paper.id, phrase)
            single = len(phrase.split()) == 1
            assert not single or "-" in phrase or not phrase.islower(), (paper.id, phrase)


def test_markup_in_a_title_or_abstract_yields_keywords_as_plain_words() -> None:
    paper = Paper(
        id="2606.00001",
        title="Graph <script>alert('kw')</script> Diffusion for **Molecule Generation**",
        abstract=(
            "We train <b>graph diffusion models</b> on $\\mathcal{G}$ with \\emph{equivariant "
            "denoisers} [see](javascript:alert(1)) &lt;img src=x&gt;. Graph diffusion models "
            "generate molecules; molecule generation with equivariant denoisers is fast."
        ),
        source="test",
    )
    found = keyphrases(paper)
    assert "graph diffusion models" in found
    assert "equivariant denoisers" in found
    words = " ".join(found).lower()
    for bad in ("script", "alert", "img", "javascript", "mathcal", "emph", "*", "<", "&"):
        assert bad not in words, found


def test_a_paper_with_no_abstract_has_its_title_s_keywords_or_none() -> None:
    titled = Paper(id="2606.00002", title="Sparse Autoencoders for Protein Language Models",
                   abstract="", source="test")  # fmt: skip
    assert keyphrases(titled)
    assert keyphrases(Paper(id="2606.00003", title="On It", abstract="", source="test")) == ()


def test_a_paper_s_keywords_are_the_same_at_every_run_and_in_any_thread() -> None:
    """YAKE's scores differ in their last bits from run to run; near-equal phrases swapped
    places, so a page's keywords changed order (or one changed) each time it was computed."""
    papers = list(_demo().values())[:600]
    first = [keyphrases(p) for p in papers]
    kp._keyphrases.cache_clear()  # computed afresh, as by another process
    with ThreadPoolExecutor(8) as pool:
        again = list(pool.map(keyphrases, papers))
    assert [i for i, (a, b) in enumerate(zip(first, again, strict=True)) if a != b] == []


@pytest.mark.parametrize("run", ["{", "'"])
def test_a_hostile_abstract_gives_no_keywords_rather_than_an_error(run: str) -> None:
    # yake-rust panicked on these (its sentence splitter's regex gave up), failing the page
    paper = Paper(id="2601.00001", title="Gauge theory", abstract=run * 4000, source="test")
    assert set(keyphrases(paper)) <= {"Gauge theory", "gauge theory"}


def test_only_an_abstract_s_first_thousands_of_characters_are_read() -> None:
    # a page's abstract may be 200,000 characters: reading it all took minutes for some
    start = "We study lattice gauge theory with quantum chromodynamics on lattice gauge fields. "
    filler = "Cats sit. " * 1000
    late = "Zebra crossing detection. " * 3000  # past what is read: no keyword of it
    paper = Paper(id="2601.00002", title="Lattice", abstract=start + filler + late, source="test")
    found = " ".join(keyphrases(paper)).lower()
    assert "lattice gauge" in found and "zebra" not in found
