"""Each embedding model's minimum useful similarity, measured: cosines of matching and other pairs.

On SciFact dev, each claim (as a search query) against its relevant papers and against every
other paper of the corpus; on real arXiv text (the daily listings), each title against its own
abstract and against the other papers' abstracts, and three, two and one words of each title
(short typed queries) likewise. The rule, the same for every model and query set: cut 99% of the
non-relevant pairs (their 99th percentile) unless that loses more than 10% of the relevant ones,
then keep 90% of those (their 10th percentile); the model's floor is the lowest of the query
sets' values, since a floor hides a paper for good (rank and the date order's share above the
floor, NEAR_SHARE in the search service, push weak matches back). A bootstrap over the SciFact
queries gives the noise of its value.

    .venv/bin/python bench/calibrate_similarity.py                 # minilm and static
    .venv/bin/python bench/calibrate_similarity.py --models static --papers 1000
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_scifact import DEFAULT_DATA, read_jsonl, read_qrels  # noqa: E402

from paperfeed.search.embed import Embedder, get_embedder, paper_text  # noqa: E402
from paperfeed.search.query import semantic_text  # noqa: E402

LISTINGS = DEFAULT_DATA.parent / "arxiv-daily-cs-listings" / "daily"
CUT = 99.0  # percentile of the non-relevant pairs the floor sits at (cuts 99% of them)
KEEP_AIM = 0.90  # share of relevant pairs the floor should keep
RELEVANT_PCTS = (10, 25, 50)
OTHER_PCTS = (50, 90, 99, 99.9)
BOOTSTRAP = 200
QUERY_WORDS = (0, 3, 2, 1)  # whole titles, then typed-query stand-ins of 3, 2 and 1 words
STOPWORDS = {"a", "an", "the", "of", "for", "in", "on", "and", "to", "with", "via", "by", "from"}


def rule_value(rel: np.ndarray, other: np.ndarray) -> float:
    """The rule: cut CUT% of the non-relevant pairs, or keep KEEP_AIM of the relevant if lower."""
    cut = float(np.percentile(other, CUT))
    return min(cut, float(np.percentile(rel, 100 * (1 - KEEP_AIM))))


def floor_of(rel: np.ndarray, other: np.ndarray) -> float:
    """The rule's value rounded down to 0.01: a floor errs toward keeping."""
    return float(np.floor(rule_value(rel, other) * 100) / 100)


def split_pairs(
    sims: np.ndarray, relevant: Sequence[set[int]]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each query's row of relevant cosines, and its row of non-relevant ones."""
    rels: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    for q, docs in enumerate(relevant):
        mask = np.zeros(sims.shape[1], dtype=bool)
        mask[list(docs)] = True
        rels.append(sims[q, mask])
        rows.append(sims[q, ~mask])
    return rels, rows


def bootstrap_floor(
    rels: list[np.ndarray], rows: list[np.ndarray], seed: int = 0
) -> tuple[float, float]:
    """2.5th and 97.5th percentiles of the floor over queries drawn with replacement."""
    rng = np.random.default_rng(seed)
    grid = np.linspace(0.0, 1.0, 1001)  # each query's cosines as 1,001 quantiles: same weight
    per_query = np.stack([np.quantile(r, grid) for r in rows])
    floors = []
    for _ in range(BOOTSTRAP):
        drawn = rng.integers(0, len(rows), len(rows))
        floors.append(rule_value(np.concatenate([rels[i] for i in drawn]), per_query[drawn]))
    low, high = np.percentile(floors, [2.5, 97.5])
    return float(low), float(high)


def describe(name: str, rel: np.ndarray, other: np.ndarray, floor: float) -> str:
    """One table row: percentiles, the rule's value here, and what the model's floor keeps."""
    r = " ".join(f"{np.percentile(rel, p):.3f}" for p in RELEVANT_PCTS)
    o = " ".join(f"{np.percentile(other, p):.3f}" for p in OTHER_PCTS)
    kept = float(np.mean(rel >= floor))
    cut = float(np.mean(other < floor))
    return f"| {name} | {r} | {o} | {rule_value(rel, other):.3f} | {kept:.1%} | {cut:.2%} |"


def scifact(model: Embedder) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Cosines of the SciFact dev claims against the whole corpus, split by relevance."""
    docs = list(read_jsonl(DEFAULT_DATA / "corpus.beir.jsonl.gz"))
    index = {str(d["_id"]): i for i, d in enumerate(docs)}
    qrels = read_qrels(DEFAULT_DATA / "dev" / "qrels.tsv")
    queries = [q for q in read_jsonl(DEFAULT_DATA / "dev" / "queries.jsonl") if q["_id"] in qrels]
    texts = [paper_text(str(d.get("title") or ""), str(d.get("text") or "")) for d in docs]
    sims = _embed(model, [semantic_text(str(q["text"])) for q in queries]) @ _embed(model, texts).T
    relevant = [{index[d] for d in qrels[str(q["_id"])] if d in index} for q in queries]
    return split_pairs(sims, relevant)


def arxiv_papers(count: int) -> list[dict[str, str]]:
    """The first `count` distinct papers of the newest listing days (title and abstract)."""
    seen: dict[str, dict[str, str]] = {}
    for path in sorted(LISTINGS.glob("*.jsonl.gz"), reverse=True):
        for record in _records(path):
            seen.setdefault(record["id"], record)
            if len(seen) == count:
                return list(seen.values())
    return list(seen.values())


def _records(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            rec = json.loads(line)
            yield {"id": rec["id"], "title": rec["title"], "abstract": rec["summary"]}


def arxiv(
    model: Embedder, papers: list[dict[str, str]]
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Titles, and 3, 2 and 1 of their words, against their own abstract and the others."""
    abstracts = _embed(model, [paper_text("", p["abstract"]) for p in papers])
    own = np.eye(len(papers), dtype=bool)
    out = []
    for words in QUERY_WORDS:
        queries = [semantic_text(_words(p["title"], words)) for p in papers]
        sims = _embed(model, queries) @ abstracts.T
        label = f"{words} title words" if words else "titles"
        out.append((f"arXiv {label} vs abstracts", sims[own], sims[~own]))
    return out


def _words(title: str, count: int) -> str:
    """The title, or a typed-query stand-in: `count` words of its description (after "Name:")."""
    if not count:
        return " ".join(title.split())
    words = title.rsplit(":", 1)[-1].split()
    return " ".join([w for w in words if w.lower() not in STOPWORDS][:count])


def _embed(model: Embedder, texts: list[str]) -> np.ndarray:
    return np.concatenate([model.embed(texts[i : i + 256]) for i in range(0, len(texts), 256)])


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each model and print the settings and a Markdown table."""
    args = _parser().parse_args(argv)
    papers = arxiv_papers(args.papers)
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} CPUs; "
        f"SciFact dev ({DEFAULT_DATA.name}), {len(papers):,} arXiv papers (newest listing days)"
    )
    print(
        "| model, queries vs papers | relevant p10 p25 p50 | non-relevant p50 p90 p99 p99.9 "
        "| rule's value | at the floor: relevant kept | non-relevant cut |"
    )
    print("|---|---|---|---|---|---|")
    for name in args.models:
        model = get_embedder(name)
        started = time.perf_counter()
        rels, rows = scifact(model)
        sets = [("SciFact dev claims", np.concatenate(rels), np.concatenate(rows))]
        sets += arxiv(model, papers)
        floor = min(floor_of(rel, other) for _label, rel, other in sets)
        for label, rel, other in sets:
            print(describe(f"{model.name}, {label}", rel, other, floor))
        low, high = bootstrap_floor(rels, rows)
        print(
            f"\n{model.name}: floor {floor:.2f} (now {model.calibration.min_similarity:.2f}); "
            f"SciFact's value, 95% bootstrap over queries: {low:.3f}-{high:.3f}; "
            f"{time.perf_counter() - started:.0f} s\n"
        )
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["minilm", "static"])
    p.add_argument("--papers", type=int, default=3000, help="arXiv papers for the second check")
    return p


if __name__ == "__main__":
    sys.exit(main())
