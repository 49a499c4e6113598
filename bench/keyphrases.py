"""What a paper's keywords (`paperfeed.keyphrases`) cost to extract, per paper, on real arXiv
titles and abstracts: the first time (text cleaned, YAKE run, phrases chosen) and again from the
process's kept answers. Prints its settings and a table, and what all of arXiv would take.

    .venv/bin/python bench/keyphrases.py [--data DIR_OF_LISTINGS] [--most N]

Without --data it reads the demo's bundled listing days.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import statistics
import time
from pathlib import Path

from paperfeed import keyphrases as kp
from paperfeed.ingest.jobs import demo_files
from paperfeed.models import Paper

ARXIV = 2_500_000  # papers on arXiv, about


def _papers(folder: str | None, most: int) -> list[Paper]:
    paths = sorted(Path(folder).rglob("*.jsonl*")) if folder else demo_files()[0]
    found: dict[str, Paper] = {}
    for path in paths:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rt") as handle:
            for line in handle:
                raw = json.loads(line)
                found[raw["id"]] = Paper(raw["id"], raw["title"], raw.get("summary") or "")
    return list(found.values())[:most]


def _timed(papers: list[Paper]) -> tuple[list[float], float]:
    """Each paper's wall-clock ms, and the thread's CPU ms a paper (less swayed by a busy
    machine's other work)."""
    took = []
    cpu = time.thread_time()
    for paper in papers:
        start = time.perf_counter()
        kp.keyphrases(paper)
        took.append((time.perf_counter() - start) * 1000)
    return took, (time.thread_time() - cpu) * 1000 / len(papers)


def _row(label: str, timed: tuple[list[float], float]) -> str:
    ms, cpu = timed
    q = statistics.quantiles(ms, n=100)
    mean, p50, p99 = statistics.mean(ms), q[49], q[98]
    return f"| {label} | {cpu:.3f} | {mean:.3f} | {p50:.3f} | {p99:.3f} | {max(ms):.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", help="a folder of daily listing files (.jsonl, .jsonl.gz)")
    parser.add_argument("--most", type=int, default=20_000, help="papers read at most")
    args = parser.parse_args()
    papers = _papers(args.data, args.most)
    kp.keyphrases(Paper("0", "Warm up", "The extractor is built once per process."))
    chars = statistics.mean(len(p.title) + len(p.abstract) for p in papers)
    print(f"papers {len(papers):,} from {args.data or 'the demo listings'}, {chars:.0f} chars")
    print(f"keyphrases at most {kp.MOST}, YAKE candidates {kp._CANDIDATES}, kept {kp._KEPT:,}")
    print(f"machine {platform.machine()}, python {platform.python_version()}, one thread")
    kp._keyphrases.cache_clear()
    first = _timed(papers[: kp._KEPT])  # each new to the cache
    again = _timed(papers[: kp._KEPT])
    print("| run | CPU ms | mean ms | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|")
    print(_row("first view", first))
    print(_row("kept (again)", again))
    hours = first[1] * ARXIV / 3_600_000
    print(f"all of arXiv ({ARXIV:,} papers) at ingest, one core (CPU ms): {hours:.1f} h")


if __name__ == "__main__":
    main()
