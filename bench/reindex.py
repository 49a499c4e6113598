"""Upgrading the keyword index's schema over a large store: how long the rebuild takes.

A SQLite store of --size papers (the real papers of `arxiv-daily-cs-listings`, then lightly
perturbed replicas under fresh ids, as bench/search.py makes them), stored by the product's
`upsert_papers`. The `rebuild` step marks the node's keyword index as one of an older schema
(its state file's version, which is how `KeywordIndex` detects an old index) and times the
product's own `SearchService.refresh` rebuilding it from the store (keyword half only: no
embedding model is loaded), printing papers per second; `--kill-after N` ends a first run with
SIGKILL N seconds in and times the resumed run.

    .venv/bin/python bench/reindex.py store --size 300000
    .venv/bin/python bench/reindex.py rebuild --size 300000
    .venv/bin/python bench/reindex.py rebuild --size 300000 --kill-after 60
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import search as sb  # noqa: E402  (bench/search.py: the real papers and their replicas)

from paperfeed.models import Paper  # noqa: E402
from paperfeed.search import SearchService  # noqa: E402
from paperfeed.search.keyword import SCHEMA_VERSION  # noqa: E402
from paperfeed.settings import Settings  # noqa: E402
from paperfeed.store import open_store, upsert_papers  # noqa: E402
from paperfeed.store.bulk import deferred_indexes  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_WORK = REPO / "bench" / "out" / "reindex"


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def settings_of(work: Path, size: int) -> Settings:
    """Default settings over the store of `size` papers; no embedding model to load."""
    return Settings(
        data_dir=work / f"store-{size}",
        database_url=None,
        embed_model="none",
        search_refresh_seconds=1e9,
        _env_file=None,
    )


def cmd_store(args: argparse.Namespace) -> None:
    """The store, written by the product's `upsert_papers` in batches of 5,000."""
    real = sb.load_real(args.data_dir)
    engine = open_store(settings_of(args.work, args.size))
    batch: list[Paper] = []
    took = time.perf_counter()
    with deferred_indexes(engine):
        for n, r in enumerate(sb.corpus(real, args.size)):
            batch.append(Paper(r.id, r.title, r.abstract, r.authors, r.categories, version=1,
                               source="bench", listing_date=r.day))  # fmt: skip
            if len(batch) == 5000 or n == args.size - 1:
                with engine.begin() as conn:
                    upsert_papers(conn, batch)
                batch = []
                if (n + 1) % 50_000 == 0:
                    log(f"stored {n + 1:,} papers")
    log(f"store of {args.size:,} papers: {time.perf_counter() - took:.0f} s")


def mark_old(folder: Path) -> None:
    """Make the node's keyword index read as one of the previous schema."""
    folder.mkdir(parents=True, exist_ok=True)
    state = folder / "paperfeed-state.json"
    old = json.loads(state.read_text()) if state.exists() else {}
    state.write_text(json.dumps(old | {"schema": SCHEMA_VERSION - 1}))


def cmd_refresh(args: argparse.Namespace) -> None:
    """One refresh as a site's first start does it (run as a child by `rebuild`)."""
    settings = settings_of(args.work, args.size)
    service = SearchService(settings, open_store(settings))
    took, cpu = time.perf_counter(), time.process_time()
    written = service.refresh()
    wall, used = time.perf_counter() - took, time.process_time() - cpu
    print(json.dumps({"written": written, "wall_s": wall, "cpu_s": used,
                      "docs": service.keyword.num_docs}))  # fmt: skip


def _child(args: argparse.Namespace, kill_after: float | None) -> dict[str, float] | None:
    command = [sys.executable, __file__, "refresh", "--size", str(args.size),
               "--work", str(args.work)]  # fmt: skip
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    if kill_after is not None:
        time.sleep(kill_after)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        return None
    out, _err = child.communicate()
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def cmd_rebuild(args: argparse.Namespace) -> None:
    """Mark the index old, rebuild it (optionally killed once first), report the rate."""
    folder = settings_of(args.work, args.size).index_dir / "keyword"
    mark_old(folder)
    took = time.perf_counter()
    if args.kill_after:
        _child(args, args.kill_after)
        state = json.loads((folder / "paperfeed-state.json").read_text())
        log(f"killed after {args.kill_after} s; state then: {state.get('build')}")
    result = _child(args, None)
    assert result is not None
    total = time.perf_counter() - took
    rate = result["written"] / result["wall_s"] if result["wall_s"] else 0.0
    log(f"rebuild of {args.size:,} papers: last run {result['wall_s']:.0f} s wall, "
        f"{result['cpu_s']:.0f} s CPU, {result['written']:,} written ({rate:,.0f} papers/s), "
        f"{result['docs']:,} in the index; {total:.0f} s in all, load "
        f"{os.getloadavg()[0]:.2f}")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run one step."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=["store", "rebuild", "refresh"])
    p.add_argument("--data-dir", type=Path, default=sb.DEFAULT_DATA)
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    p.add_argument("--size", type=int, default=300_000)
    p.add_argument("--kill-after", type=float, default=0.0)
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    {"store": cmd_store, "rebuild": cmd_rebuild, "refresh": cmd_refresh}[args.step](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
