"""Speed of the For you ranker: one user with N signals over a week of real listings.

Usage: python bench/recommend_speed.py [--signals 500] [--days 7] [--data-dir ../shared/data]
Vectors are random unit vectors of MiniLM's size (speed does not depend on their values). The
keyword features are fitted as the product fits them: on the newest `Reach.vocabulary_papers`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_recommend import read_listings, store_vocabulary  # noqa: E402

from paperfeed.recommend import model as rec  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=500)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 7, 1))
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    folder = args.data_dir / "arxiv-daily-cs-listings" / "daily"
    papers = read_listings(folder, args.end + timedelta(days=1))
    start = args.end - timedelta(days=args.days - 1)
    window = [p for p in papers if p.day >= start]
    history = [p for p in papers if p.day < start][-args.signals :]
    rng = np.random.default_rng(0)

    def doc(p):  # type: ignore[no-untyped-def]
        return rec.Doc(p.id, p.title, p.summary, p.authors, p.categories, p.day)

    vectors = rng.standard_normal((len(window), 384)).astype(np.float32)
    took = time.perf_counter()
    vocabulary = store_vocabulary(papers)  # the product fits these once per day, apart
    vocabulary_s = time.perf_counter() - took
    took = time.perf_counter()
    space = rec.space_in([doc(p) for p in window], vectors, vocabulary)
    space_s = time.perf_counter() - took
    signals = [
        rec.Signal(doc(p), 1 if i % 10 else -1, "library", float(i), rng.standard_normal(384))
        for i, p in enumerate(history)
    ]
    took = time.perf_counter()
    model = rec.train(signals, space, rec.Follows(categories=frozenset({"cs.LG"})), rec.Tuning())
    train_s = time.perf_counter() - took
    times = []
    for _ in range(args.repeat):
        took = time.perf_counter()
        rec.rank(model, space, 50)
        times.append(time.perf_counter() - took)
    print(f"{len(window)} candidates ({args.days} days to {args.end}), {len(signals)} signals")
    print(f"{'step':<34} {'ms':>8}")
    print(f"{'keyword features (once per day)':<34} {vocabulary_s * 1000:>8.0f}")
    print(f"{'space (transform, once per window)':<34} {space_s * 1000:>8.0f}")
    print(f"{'train (once per signal version)':<34} {train_s * 1000:>8.0f}")
    print(f"{'rank top 50, cached model (median)':<34} {statistics.median(times) * 1000:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
