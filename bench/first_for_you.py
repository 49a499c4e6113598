"""The first For you page after new papers arrive: trained in the request, or warmed before.

Usage: python bench/first_for_you.py --store bench/out/web [--readers 50] [--rounds 4]

Works on a copy of a store that `bench/web.py --signed-in N` built (its papers, vectors and
readers). Each round "ingests" (marks the newest papers changed: the candidate space and every
model are then built again, as after the daily ingest) and times each reader's first feed, with
the models trained in the request ("cold") or by `Recommender.warm` beforehand ("warmed"); the
two kinds alternate. The feed is what the For you page asks of the recommender (week, a page).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select, update

from paperfeed.recommend.service import Recommender
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.library import signal_versions
from paperfeed.store.listings import latest_day, newest_listed
from paperfeed.store.tables import papers
from paperfeed.util import utcnow

WORK = Path(__file__).resolve().parent / "out" / "first_for_you"


def copy_store(source: Path, work: Path) -> Settings:
    """A copy of the built store's database (the original is left as it is)."""
    work.mkdir(parents=True, exist_ok=True)
    into = sqlite3.connect(work / "paperfeed.db")
    with sqlite3.connect(f"file:{source / 'paperfeed.db'}?mode=ro", uri=True) as src:
        src.backup(into)
    into.close()
    return Settings(data_dir=work, _env_file=None)  # type: ignore[call-arg]


def new_papers(engine: Engine) -> None:
    """As after an ingest: the newest papers changed now (a new candidate space)."""
    with engine.begin() as conn:
        ids = newest_listed(conn, 200)
        conn.execute(update(papers).where(papers.c.id.in_(ids)).values(changed_at=utcnow()))


def first_pages(rec: Recommender, engine: Engine, readers: list[int]) -> list[float]:
    """Seconds of each reader's first feed (week, one page) in turn."""
    took = []
    for user_id in readers:
        started = time.perf_counter()
        with engine.connect() as conn:
            newest = latest_day(conn)
            assert newest is not None
            rec.feed(conn, user_id, newest - timedelta(days=6), newest, 31)
        took.append(time.perf_counter() - started)
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=WORK.parent / "web")
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    settings = copy_store(args.store, WORK)
    engine = open_store(settings)
    with engine.connect() as conn:
        readers = list(conn.scalars(select(signal_versions.c.user_id)))[: args.readers]
        count = len(newest_listed(conn, 10**7))
    print(f"store: {count:,} papers, {len(readers)} readers with signals; python {sys.version[:6]}")
    rec = Recommender(engine, vocabulary_dir=settings.index_dir / "vocabulary")
    rec.warm_vocabulary()
    first_pages(rec, engine, readers)  # each reader seen once, as on the day before
    rows = []
    for i in range(args.rounds):
        for kind in ("cold", "warmed") if i % 2 == 0 else ("warmed", "cold"):
            new_papers(engine)
            warm_s = 0.0
            if kind == "warmed":
                started = time.perf_counter()
                rec.warm(settings.for_you_warm_days, settings.for_you_warm_seconds)
                warm_s = time.perf_counter() - started
            took = first_pages(rec, engine, readers)
            rows.append((i, kind, took, warm_s))
    print(f"{'round':>5} {'kind':>7} {'first':>7} {'median':>7} {'p90':>7} {'max':>7} {'warm':>7}")
    for i, kind, took, warm_s in rows:
        p90 = statistics.quantiles(took, n=10)[-1]
        print(
            f"{i:>5} {kind:>7} {took[0]:7.3f} {statistics.median(took):7.3f} {p90:7.3f}"
            f" {max(took):7.3f} {warm_s:7.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
