"""How much indexing arXiv's comments and journal reference (the `venue` field, weighed low) moves
the keyword ranking of ordinary queries, on the real papers of `arxiv-daily-cs-listings`.

Two keyword indexes of the same papers are built with the production code: one with each paper's
comments, one without (as the index held them before). Ordinary queries run on both: each sampled
paper's title (known-item: where that paper ranks) and its first three words (a short topical
query); the figures are the known item's mean reciprocal rank and how many of the top 10 the two
indexes share. Venue queries ("ICML 2026" as a phrase) show what the field adds.

    .venv/bin/python bench/venue_ranking.py --queries 300
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from paperfeed.search.keyword import KEYWORD, Filters, KeywordIndex, Weights
from paperfeed.search.query import parse_query, words_of
from paperfeed.store.search_store import IndexRow

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the search benchmark's corpus helpers
from search import DEFAULT_DATA, load_real  # noqa: E402

VENUES = ('"ICML 2026"', '"ECCV 2026"', '"ACL 2026"', "NeurIPS 2025", '"MICCAI 2026"')


def build(folder: Path, rows: list[IndexRow]) -> KeywordIndex:
    """A keyword index of these rows, built as `paperfeed reindex` builds one."""
    index = KeywordIndex(folder)
    started = time.perf_counter()
    index.apply(rows[i : i + 5000] for i in range(0, len(rows), 5000))
    print(f"built {folder.name}: {len(rows):,} papers in {time.perf_counter() - started:.0f} s")
    return index


def top(index: KeywordIndex, query: str, weights: Weights = KEYWORD, k: int = 10) -> list[str]:
    """The ids keyword mode lists first for a query."""
    hits, _n = index.search(parse_query(query), Filters(), k, weights=weights, all_words=True)
    return [pid for pid, _score in hits]


def reciprocal_rank(ranked: list[str], wanted: str) -> float:
    """1 / the rank of `wanted` (0 when not listed)."""
    return 1 / (ranked.index(wanted) + 1) if wanted in ranked else 0.0


def main(argv: list[str] | None = None) -> int:
    """Build both indexes, run the queries, print the figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--weights", type=float, nargs="+", default=[KEYWORD.venue])
    args = p.parse_args(argv)
    rows = load_real(args.data, comments=True)
    with_comments = sum(1 for r in rows if r.comments)
    print(f"{len(rows):,} papers, {with_comments:,} with comments")
    sample = random.Random(7).sample(rows, args.queries)
    with tempfile.TemporaryDirectory(prefix="venue-") as tmp:
        before = build(Path(tmp) / "without", [replace(r, comments="") for r in rows])
        after = build(Path(tmp) / "with", rows)
        for weight in args.weights:
            print(f"venue weight {weight}" + (" (the default)" if weight == KEYWORD.venue else ""))
            _compare(before, after, sample, Weights(venue=weight))
        for q in VENUES:
            counts = [index.search(parse_query(q), Filters(), 1)[1] for index in (before, after)]
            print(f"{q:16} papers found: without {counts[0]:,}, with {counts[1]:,}")
    return 0


def _compare(
    before: KeywordIndex, after: KeywordIndex, sample: list[IndexRow], weights: Weights
) -> None:
    for name, make in (("title", lambda r: r.title), ("3 words", _three_words)):
        pairs = [(top(before, make(r)), top(after, make(r), weights), r.id) for r in sample]
        mrr = [sum(reciprocal_rank(x[i], x[2]) for x in pairs) / len(pairs) for i in (0, 1)]
        shared = sum(len(set(a) & set(b)) / max(len(a), len(b), 1) for a, b, _ in pairs)
        same = sum(a == b for a, b, _ in pairs) / len(pairs)
        print(f"  {name:8} queries: MRR@10 without {mrr[0]:.4f}, with {mrr[1]:.4f}; "
              f"top 10 shared {shared / len(pairs):.1%}; identical top 10 {same:.1%}")  # fmt: skip


def _three_words(row: IndexRow) -> str:
    return " ".join(words_of(row.title)[:3])


if __name__ == "__main__":
    sys.exit(main())
