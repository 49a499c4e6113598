"""Tests for paperfeed.search.embed (real models, no timings)."""

from __future__ import annotations

import numpy as np
import pytest

from paperfeed.search import embed
from paperfeed.search.embed import EmbedderUnavailable, get_embedder, paper_text

# Real arXiv abstracts (shortened): two on link prediction in graphs, one on robot grasping.
LINK_A = paper_text(
    "Link Prediction Based on Graph Neural Networks",
    "Link prediction is a key problem for network-structured data. Link prediction heuristics "
    "use some score functions, such as common neighbors and Katz index, to measure the "
    "likelihood of links. We propose to learn heuristics from local enclosing subgraphs "
    "around links using a graph neural network.",
)
LINK_B = paper_text(
    "Knowledge Graph Completion via Relational Message Passing",
    "Predicting missing edges between entities in a knowledge graph is a fundamental task. "
    "We aggregate messages along the relational paths connecting two nodes and score the "
    "candidate link, outperforming embedding-based link predictors on standard benchmarks.",
)
ROBOT = paper_text(
    "Learning Dexterous In-Hand Manipulation",
    "We use reinforcement learning to learn dexterous in-hand manipulation policies which "
    "can perform vision-based object reorientation on a physical Shadow Dexterous Hand. "
    "The training is conducted in a simulated environment with randomized physical "
    "properties, and the policies transfer to the real robot.",
)
NAMES = ["minilm", "static"]


@pytest.fixture(scope="module", params=NAMES)
def embedder(request: pytest.FixtureRequest) -> embed.Embedder:
    """Each bundled embedder, loaded once for the module."""
    return get_embedder(request.param)


def test_paper_text_recipe() -> None:
    assert paper_text("  A  title", "An\nabstract\t here. ") == "A title. An abstract here."
    assert paper_text("Only title", "") == "Only title"
    assert paper_text("", " abstract ") == "abstract"


def test_shapes_dtype_and_unit_rows(embedder: embed.Embedder) -> None:
    vectors = embedder.embed([LINK_A, LINK_B, ROBOT])
    assert vectors.shape == (3, embedder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_input_list(embedder: embed.Embedder) -> None:
    assert embedder.embed([]).shape == (0, embedder.dim)


def test_deterministic_and_batch_independent(embedder: embed.Embedder) -> None:
    alone = embedder.embed([ROBOT])
    mixed = embedder.embed([LINK_A, ROBOT, "short", LINK_B])
    np.testing.assert_allclose(alone[0], mixed[1], atol=1e-4)
    np.testing.assert_array_equal(embedder.embed([LINK_A]), embedder.embed([LINK_A]))


def test_related_abstracts_score_higher(embedder: embed.Embedder) -> None:
    a, b, robot = embedder.embed([LINK_A, LINK_B, ROBOT])
    assert a @ b > a @ robot + 0.1
    assert a @ b > b @ robot + 0.1


def test_empty_and_very_long_texts(embedder: embed.Embedder) -> None:
    long_text = " ".join([LINK_A] * 2000)
    vectors = embedder.embed(["", long_text, "   "])
    assert vectors.shape == (3, embedder.dim)
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors[1]), 1.0, atol=1e-5)


def test_static_agrees_with_minilm_in_ranking_direction() -> None:
    texts = [LINK_A, LINK_B, ROBOT]
    dense = get_embedder("minilm").embed(texts)
    static = get_embedder("static").embed(texts)
    for vectors in (dense, static):
        sims = vectors @ vectors[0]
        assert sims[1] > sims[2]


@pytest.mark.parametrize("name", NAMES)
def test_contract(name: str) -> None:
    embedder = get_embedder(name)
    contract = embedder.contract()
    assert contract["dim"] == embedder.dim
    assert contract["normalised"] is True
    assert contract["name"] == embedder.name
    assert "all-MiniLM-L6-v2" in str(contract["model"])
    assert isinstance(contract["max_length"], int)
    assert "title + '. ' + abstract" in str(contract["recipe"])
    assert contract["revision"]


def test_default_contract_values() -> None:
    contract = get_embedder("minilm").contract()
    assert contract["name"] == "minilm-l6-int8"
    assert contract["dim"] == 384
    assert contract["max_length"] == 256


def test_get_embedder_is_cached() -> None:
    assert get_embedder("static") is get_embedder("static")


def test_unknown_name_raises() -> None:
    with pytest.raises(EmbedderUnavailable, match="unknown embedder"):
        get_embedder("no-such-model")


def test_path_without_sentence_transformers(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins
    from pathlib import Path

    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("sentence_transformers"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(EmbedderUnavailable, match="sentence-transformers"):
        embed._build(str(Path(str(tmp_path))))


def test_embed_batches_concatenates_to_embed() -> None:
    embedder = get_embedder("static")
    texts = [LINK_A, LINK_B, ROBOT, "graph neural networks"]
    joined = np.vstack(list(embed.embed_batches(embedder, texts, batch_size=3)))
    np.testing.assert_allclose(joined, embedder.embed(texts), atol=1e-6)


def test_nothing_loaded_at_import() -> None:
    import subprocess
    import sys

    code = (
        "import sys, paperfeed.search.embed as e; "
        "assert 'onnxruntime' not in sys.modules and 'tokenizers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
