"""What a hybrid search page past the first hundred results costs (issue 14).

Hybrid search fuses each side's first `HYBRID_DEPTH` papers for the first pages and, for pages
past them, each side's first `HYBRID_DEEP` as well (one ranking however deep a page reads). This
times `SearchService.search(mode="hybrid")` in-process on a data folder the product made (the
demo's, by default settings: `paperfeed demo` once, then point `--data-dir` at its folder), one
distinct query per call (the first words of stored titles, so no answer comes from a cache),
at several offsets: CPU and wall p50 per page of 20.

    PAPERFEED_DATA_DIR=... .venv/bin/python bench/hybrid_pages.py --queries 60
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from sqlalchemy import text

from paperfeed.search.service import HYBRID_DEEP, HYBRID_DEPTH, SearchService
from paperfeed.settings import Settings
from paperfeed.store import open_store

OFFSETS = (0, 80, 100, 200, 500)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=60, help="distinct queries per offset")
    args = parser.parse_args()
    settings = Settings()
    service = SearchService(settings, open_store(settings))
    with service.engine.connect() as conn:
        titles = [r[0] for r in conn.execute(text("SELECT title FROM papers ORDER BY id"))]
    words = [" ".join(t.split()[:3]) for t in titles]
    need = args.queries * len(OFFSETS)
    if len(words) < need:
        raise SystemExit(f"the store holds {len(words)} titles; {need} needed")
    print(
        f"settings: data folder {'set' if os.environ.get('PAPERFEED_DATA_DIR') else 'default'}, "
        f"{len(titles):,} papers, model {settings.embed_model}, HYBRID_DEPTH {HYBRID_DEPTH}, "
        f"HYBRID_DEEP {HYBRID_DEEP}, {args.queries} distinct queries per offset, "
        f"{platform.machine()} {os.cpu_count()} CPUs, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    service.search("warm up the model")
    print("| offset | CPU p50 ms | wall p50 ms | results counted (last query) |")
    print("|---|---|---|---|")
    for n, offset in enumerate(OFFSETS):
        cpu, wall, total = [], [], 0
        for query in words[n * args.queries : (n + 1) * args.queries]:
            started, cpu_started = time.perf_counter(), time.process_time()
            total = service.search(query, "hybrid", 20, offset).total
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        print(
            f"| {offset} | {statistics.median(cpu) * 1e3:.1f} | "
            f"{statistics.median(wall) * 1e3:.1f} | {total} |"
        )
    service.close()


if __name__ == "__main__":
    main()
