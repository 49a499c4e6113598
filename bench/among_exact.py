"""A semantic search within a few named papers (a conference's): what comparing their vectors
whole costs (`dense._exact_among`), against the ANN's own 1,000 nearest over every paper.

    .venv/bin/python bench/among_exact.py [--papers 200000] [--repeat 5]

Random unit vectors of the default model's width (384) in a flat and an HNSW index, as
`FaissIndex` builds them with default settings; median of `--repeat` per row.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from paperfeed.search.service.dense import AMONG_EXACT, _exact_among
from paperfeed.search.vectors import FaissIndex, normalise

SIZES = (887, 11_531, 50_000)  # CVPR 2026 here; its copies at 1 M; past the bound


def _ms(call: object, repeat: int) -> float:
    took = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        took.append((time.perf_counter() - start) * 1000)
    return statistics.median(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"# {platform.machine()}, Python {platform.python_version()}; {args.papers:,} vectors")
    print(f"# of 384 dimensions, median of {args.repeat}; AMONG_EXACT = {AMONG_EXACT:,}")
    rng = np.random.default_rng(1)
    vectors = normalise(rng.normal(size=(args.papers, 384)).astype(np.float32))
    ids = [f"p{i}" for i in range(args.papers)]
    print("\n| index | papers compared | exact among ms | ANN 1,000 over all ms |")
    print("|---|---|---|---|")
    query = vectors[0]
    for kind in ("flat", "hnsw"):
        _rows(kind, FaissIndex(384, kind), ids, vectors, query, rng, args)


def _rows(
    kind: str,
    index: FaissIndex,
    ids: list[str],
    vectors: np.ndarray,
    query: np.ndarray,
    rng: np.random.Generator,
    args: argparse.Namespace,
) -> None:
    index.add(ids, vectors)
    ann = _ms(lambda: index.search(query, 1000), args.repeat)
    for size in SIZES:
        among = frozenset(ids[i] for i in rng.choice(len(ids), size, replace=False))
        exact = _ms(lambda a=among: _exact_among(index, query, a, 110), args.repeat)
        print(f"| {kind} | {size:,} | {exact:.1f} | {ann:.1f} |")


if __name__ == "__main__":
    main()
