"""Where keyword search spends its time: cProfile over keyword queries on the 74,728 real papers.

Builds the keyword index from every unique paper of `arxiv-daily-cs-listings` with the production
code (`KeywordIndex.apply`, reused on later runs), opens it through `SearchService` with default
settings, profiles 50 keyword queries (10 hits each, snippets included) and times more of them.

    .venv/bin/python bench/keyword_profile.py
    .venv/bin/python bench/keyword_profile.py --queries 300 --profiled 50
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the search benchmark's corpus helpers

from search import DEFAULT_DATA, load_real, make_queries, percentiles, timed  # noqa: E402

from paperfeed.search import SearchService  # noqa: E402
from paperfeed.search.keyword import KeywordIndex  # noqa: E402
from paperfeed.settings import Settings  # noqa: E402
from paperfeed.store import open_store  # noqa: E402

DEFAULT_WORK = Path(__file__).resolve().parent / "out" / "keyword-profile"
# Functions whose cumulative time the table reports (name as cProfile prints it).
WATCHED = ("search", "_hits", "snippet", "snippets", "docs", "keep", "_pinned", "title_matches")


def build(work: Path, data_dir: Path) -> tuple[list[str], float]:
    """The index (built once) and the real titles' queries; returns queries and build seconds."""
    real = load_real(data_dir)
    index = KeywordIndex(work / "index" / "keyword")
    started = time.perf_counter()
    if index.num_docs != len(real):
        index.clear()
        index.apply([real[i : i + 20_000] for i in range(0, len(real), 20_000)])
    return make_queries(real, 1000), time.perf_counter() - started


def profile(service: SearchService, queries: list[str]) -> tuple[float, dict[str, float]]:
    """Total seconds of the queries under cProfile and the cumulative seconds of WATCHED."""
    prof = cProfile.Profile()
    started = time.perf_counter()
    prof.enable()
    for q in queries:
        service.search(q, mode="keyword", limit=10)
    prof.disable()
    total = time.perf_counter() - started
    stats = pstats.Stats(prof, stream=io.StringIO())
    cumulative: dict[str, float] = {}
    for (filename, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        if "paperfeed" in filename and name in WATCHED:
            key = f"{Path(filename).stem}.{name}"
            cumulative[key] = cumulative.get(key, 0.0) + row[3]
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(15)
    print(out.getvalue(), file=sys.stderr)
    return total, cumulative


def main() -> int:
    """Build or reuse the index, profile, time, print a table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    p.add_argument("--profiled", type=int, default=50, help="queries run under cProfile")
    p.add_argument("--queries", type=int, default=300, help="queries timed without the profiler")
    args = p.parse_args()
    queries, build_s = build(args.work, args.data_dir)
    settings = Settings(data_dir=args.work, database_url=None, _env_file=None)  # type: ignore[call-arg]
    service = SearchService(settings, open_store(settings))
    service.search(queries[0], mode="keyword", limit=10)  # first search: refresh, warm caches
    total, cumulative = profile(service, queries[: args.profiled])
    lat = percentiles(
        timed(
            [
                lambda q=q: service.search(q, mode="keyword", limit=10)
                for q in queries[: args.queries]
            ]
        )
    )
    service.close()
    print(
        f"papers {service.keyword.num_docs:,}; index build/reuse {build_s:.1f} s; default settings"
    )
    print(f"\n{args.profiled} keyword queries under cProfile: {total:.3f} s")
    print("| function | cumulative s | share |\n|---|---|---|")
    for key, seconds in sorted(cumulative.items(), key=lambda kv: -kv[1]):
        print(f"| {key} | {seconds:.3f} | {seconds / total:.0%} |")
    print(f"\n{args.queries} keyword queries, no profiler: {lat}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
