"""Digest benchmark: compose and render personal digests for 10 k and 100 k subscribers with
varied preferences over the 75 k real papers of `arxiv-daily-cs-listings`, record them in the
outbox and deliver them to an SMTP sink on loopback (a separate process).

Compose, render and outbox run end to end through the product's own `compose_due` (what
`paperfeed digest run` does before sending), timed as one figure; saved searches go through
the site's search service, as in the product (its indexes are loaded before timing).

Preferences are drawn (seeded) from the real data: categories from the store's top categories,
keyword searches from frequent title words, semantic searches from older real titles (embedded
once, as at subscription time), followed authors from recent papers, seed papers from the weeks
before. 70 % daily, 30 % weekly, 5–20 papers, 60 % with trending. Every subscriber is getting a
first digest, so daily ones rank the newest listing day and weekly ones the newest seven days.

Paper vectors are stored for the candidate window and the seed papers only (the digest never
needs others), with the embedder named by --embedder; the store is built once and kept in
--work-dir. Subscribers are inserted directly as confirmed (the double opt-in is tested, not
benchmarked).

    .venv/bin/python bench/digest.py                      # 10 k and 100 k
    .venv/bin/python bench/digest.py --sizes 10000 --deliver 2000
"""

from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing
import os
import random
import re
import resource
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Engine, delete, func, select

from paperfeed.digest.deliver import SmtpMailer, deliver_due
from paperfeed.digest.schedule import RunReport, compose_due
from paperfeed.pipeline import ingest_files
from paperfeed.search import SearchService
from paperfeed.search.backfill import contract_of, text_hash
from paperfeed.search.embed import EmbedderUnavailable, get_embedder, paper_text
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import open_store
from paperfeed.store import search_store as vectors_db
from paperfeed.store.tables import paper_authors, paper_categories, papers

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
_STOP = {"with", "from", "that", "this", "their", "using", "based", "towards", "through"}
T = TypeVar("T")


@dataclass(frozen=True)
class Pools:
    """Real values that preferences are drawn from."""

    categories: list[str]
    words: list[str]
    topics: list[tuple[str, bytes]]
    authors: list[str]
    seeds: list[str]


def timed(label: str, fn: Callable[[], T]) -> tuple[T, float]:
    """Run fn, print and return its wall time."""
    value, elapsed, _cpu = timed_cpu(label, fn)
    return value, elapsed


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed_cpu(label: str, fn: Callable[[], T]) -> tuple[T, float, float]:
    """Run fn, print and return its wall time and the CPU time of this process and of the
    child processes it waited for (digest assembly workers); the machine is shared: wall time
    also counts the waits for a core, CPU time does not."""
    start, cpu = time.perf_counter(), _cpu()
    value = fn()
    elapsed, used = time.perf_counter() - start, _cpu() - cpu
    print(f"  {label}: {elapsed:.2f} s wall, {used:.2f} s CPU", file=sys.stderr, flush=True)
    return value, elapsed, used


def build_store(settings: Settings, data_dir: Path) -> Engine:
    """The store with every listing file ingested (once; kept in the work directory)."""
    engine = open_store(settings)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(papers)).scalar_one()
    if count == 0:
        files = sorted((data_dir / "arxiv-daily-cs-listings" / "daily").glob("*.jsonl.gz"))
        if not files:
            raise SystemExit(f"no listing files under {data_dir}/arxiv-daily-cs-listings/daily")
        timed(
            f"ingest {len(files)} listing files",
            lambda: ingest_files(engine, settings, "listing", files),
        )
    return engine


def _latest_days(engine: Engine, n: int) -> list[Any]:
    with engine.connect() as conn:
        days = conn.execute(
            select(papers.c.listing_date).distinct().order_by(papers.c.listing_date.desc()).limit(n)
        )
        return [d for (d,) in days]


def _ids_between(engine: Engine, start: Any, end: Any) -> list[str]:
    with engine.connect() as conn:
        query = select(papers.c.id).where(
            papers.c.listing_date >= start, papers.c.listing_date <= end
        )
        return [pid for (pid,) in conn.execute(query.order_by(papers.c.id))]


def make_pools(
    engine: Engine, rng: random.Random, embed: Callable[[list[str]], np.ndarray]
) -> Pools:
    """Draw the preference pools from the store."""
    latest = _latest_days(engine, 1)[0]
    before = latest - timedelta(days=35)
    with engine.connect() as conn:
        cats = conn.execute(
            select(paper_categories.c.category, func.count().label("n"))
            .group_by(paper_categories.c.category)
            .order_by(func.count().desc())
            .limit(25)
        ).all()
        older = (papers.c.listing_date >= before) & (
            papers.c.listing_date < latest - timedelta(days=7)
        )
        titles = [t for (t,) in conn.execute(select(papers.c.title).where(older))]
        authors = conn.execute(
            select(paper_authors.c.name)
            .join(papers, papers.c.id == paper_authors.c.paper_id)
            .where(papers.c.listing_date >= latest - timedelta(days=60))
            .limit(20000)
        ).all()
    words = Counter(
        w for t in titles for w in re.findall(r"[a-z]{5,}", t.lower()) if w not in _STOP
    )
    topic_texts = rng.sample(titles, 200)
    topic_vectors = embed(topic_texts)
    seed_ids = rng.sample(_ids_between(engine, before, latest - timedelta(days=8)), 300)
    return Pools(
        categories=[c for c, _ in cats],
        words=[w for w, _ in words.most_common(400)],
        topics=[
            (t, v.astype(np.float32).tobytes())
            for t, v in zip(topic_texts, topic_vectors, strict=True)
        ],
        authors=sorted({a for (a,) in authors}),
        seeds=seed_ids,
    )


def store_vectors(engine: Engine, settings: Settings, ids: list[str]) -> int:
    """Embed and store the vectors of these papers (those not stored yet)."""
    embedder = get_embedder(settings.embed_model)
    cid, spec = contract_of(embedder)
    with engine.begin() as conn:
        vectors_db.ensure_contract(conn, cid, spec)
        have = vectors_db.get_vectors(conn, cid, ids, embedder.dim)
        rows = conn.execute(
            select(papers.c.id, papers.c.title, papers.c.abstract).where(
                papers.c.id.in_([i for i in ids if i not in have])
            )
        ).all()
    for start in range(0, len(rows), 256):
        batch = rows[start : start + 256]
        vecs = embedder.embed([paper_text(r.title, r.abstract) for r in batch])
        with engine.begin() as conn:
            vectors_db.save_vectors(
                conn,
                cid,
                [
                    (r.id, text_hash(r.title, r.abstract), v)
                    for r, v in zip(batch, vecs, strict=True)
                ],
            )
    return len(rows)


def _some(rng: random.Random, pool: list[T], most: int) -> list[T]:
    return rng.sample(pool, rng.randint(0, most))


def insert_subscribers(engine: Engine, n: int, pools: Pools, rng: random.Random) -> None:
    """Replace all digest data with n confirmed subscribers with varied preferences."""
    with engine.begin() as conn:
        for table in (db.sent_papers, db.outbox, db.interests, db.subscribers):
            conn.execute(delete(table))
    now = datetime.now(UTC).replace(tzinfo=None)
    subs, kids = [], []
    for i in range(1, n + 1):
        subs.append(
            {
                "id": i,
                "email": f"reader{i}@bench.example",
                "email_key": f"reader{i}@bench.example",
                "status": "confirmed",
                "nonce": f"{i:016x}",
                "frequency": "weekly" if rng.random() < 0.3 else "daily",
                "send_time": "08:00",
                "timezone": rng.choice(
                    ["UTC", "Europe/Berlin", "America/New_York", "Asia/Shanghai"]
                ),
                "weekday": 0,
                "skip_weekends": True,
                "max_papers": rng.choice([5, 10, 10, 15, 20]),
                "include_trending": rng.random() < 0.6,
                "created_at": now,
            }
        )
        rows: list[tuple[str, str, bytes | None]] = [
            ("category", c, None) for c in _some(rng, pools.categories, 2)
        ]
        rows += [("keyword", w, None) for w in _some(rng, pools.words, 2)]
        rows += [("semantic", t, v) for t, v in _some(rng, pools.topics, 2)]
        rows += [("author", a, None) for a in _some(rng, pools.authors, 2)]
        rows += [("seed", s, None) for s in _some(rng, pools.seeds, 2)]
        kids += [
            {"subscriber_id": i, "position": p, "kind": k, "value": v, "vector": b}
            for p, (k, v, b) in enumerate(rows)
        ]
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(db.subscribers.insert(), subs[start : start + 5000])
        for start in range(0, len(kids), 5000):
            conn.execute(db.interests.insert(), kids[start : start + 5000])


class CountingSink:
    """An aiosmtpd handler that counts and discards."""

    def __init__(self, counter: Any) -> None:
        self.counter = counter

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.counter.get_lock():
            self.counter.value += 1
        return "250 OK"


def _sink(port: int, counter: Any, ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(CountingSink(counter), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


@dataclass
class RunningSink:
    """A counting SMTP sink in a separate process, listening on `port`."""

    port: int
    counter: Any  # messages received so far (a shared integer)
    pid: int


@contextmanager
def smtp_sink() -> Iterator[RunningSink]:
    """Run a counting sink on loopback in a forked process for the duration of the block."""
    port = _free_port()
    ctx = multiprocessing.get_context("fork")
    counter, ready, stop = ctx.Value("i", 0), ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_sink, args=(port, counter, ready, stop))
    proc.start()
    ready.wait()
    try:
        yield RunningSink(port, counter, proc.pid or 0)
    finally:
        stop.set()
        proc.join()


def run_size(
    engine: Engine, settings: Settings, n: int, pools: Pools, args: argparse.Namespace, search: Any
) -> dict[str, object]:
    """Compose, render and record everyone's digest with the product's own `compose_due`
    (what `paperfeed digest run` does before sending), then deliver a share of them."""
    print(f"{n:,} subscribers", file=sys.stderr)
    insert_subscribers(engine, n, pools, random.Random(args.seed + n))
    report = RunReport()
    profiler = cProfile.Profile() if args.profile else None

    def run() -> None:
        if profiler:
            profiler.enable()
        compose_due(engine, settings, NOW, True, search, report)
        if profiler:
            profiler.disable()
            profiler.dump_stats(f"{args.profile}.{n}")

    load_before = os.getloadavg()[0]
    _, t_all, cpu_all = timed_cpu("compose_due: load, rank, explain, render, write the outbox", run)
    load_after = os.getloadavg()[0]
    with engine.connect() as conn:
        pending = db.outbox.c.status == "pending"
        kept = conn.execute(
            select(func.count(), func.avg(func.length(db.outbox.c.packed))).where(pending)
        ).one()
        sample = [r.message for r in db.due_messages(conn, 2000)]  # as sent (unpacked)
        items = conn.execute(select(func.count()).select_from(db.sent_papers)).scalar_one()
    row: dict[str, object] = {
        "subscribers": n,
        "non_empty": report.composed,
        "papers_per_digest": round(items / n, 2),
        "compose_render_outbox_s": round(t_all, 2),
        "cpu_s": round(cpu_all, 2),
        "load_1m": f"{load_before:.1f}→{load_after:.1f}",
        "per_s": round(n / t_all),
        "mean_message_kb": round(sum(map(len, sample)) / max(len(sample), 1) / 1024, 1),
        "mean_kept_kb": round(float(kept[1] or 0) / 1024, 1),
    }
    row.update(deliver(engine, settings, min(args.deliver, int(kept[0]))))
    return row


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def deliver(engine: Engine, settings: Settings, limit: int) -> dict[str, object]:
    """Send `limit` outbox messages to a loopback SMTP sink in another process."""
    if not limit:
        return {}
    with engine.begin() as conn:  # deliver exactly `limit`: hold the others back
        ids = [
            i
            for (i,) in conn.execute(
                select(db.outbox.c.id)
                .where(db.outbox.c.status == "pending")
                .order_by(db.outbox.c.id)
            )
        ]
        conn.execute(
            db.outbox.update().where(db.outbox.c.id.in_(ids[limit:])).values(status="held")
        )
    with smtp_sink() as sink:
        local = settings.model_copy(update={"smtp_port": sink.port, "digest_send_rate": 0})
        default_rate = Settings.model_fields["digest_send_rate"].default
        print(
            f"delivery: digest_send_rate=0 (not the default {default_rate:g}/s: no limit while "
            f"measuring), smtp_connections={local.smtp_connections}"
        )
        mailer = SmtpMailer(local)
        report, t, cpu = timed_cpu(
            f"deliver {limit:,} over SMTP", lambda: deliver_due(engine, local, mailer)
        )
        mailer.close()
        received = sink.counter.value
    return {
        "delivered": report.sent,
        "received": received,
        "deliver_s": round(t, 2),
        "deliver_cpu_s": round(cpu, 2),
        "deliver_per_s": round(report.sent / t),
    }


def table(rows: list[dict[str, object]]) -> str:
    """A Markdown table of the measurements."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "paperfeed-bench-digest"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--deliver", type=int, default=10_000, help="Messages delivered per size.")
    parser.add_argument("--embedder", default="static", help="static (fast) or minilm.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--profile", help="Write cProfile stats of each compose_due run to PROFILE.<size>."
    )
    args = parser.parse_args()
    model = args.embedder
    try:
        get_embedder(model).embed(["probe"])  # loading is lazy: embed once to know
    except EmbedderUnavailable as exc:
        print(f"{model} embedder unavailable ({exc}); using minilm", file=sys.stderr)
        model = "minilm"
    settings = Settings(
        data_dir=args.work_dir,
        embed_model=model,
        secret_key="bench" * 8,
        base_url="https://paperfeed.example",
        _env_file=None,
    )  # type: ignore[call-arg]
    engine = build_store(settings, args.data_dir)
    rng = random.Random(args.seed)
    embedder = get_embedder(model)
    pools = make_pools(engine, rng, embedder.embed)
    days = _latest_days(engine, 7)
    wanted = _ids_between(engine, days[-1], days[0]) + pools.seeds
    stored, _ = timed(
        f"embed window + seed papers ({len(wanted):,}) with {model}",
        lambda: store_vectors(engine, settings, wanted),
    )
    search = SearchService(settings, engine)
    timed("load the search indexes", search.refresh)  # as a running server has them
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(papers)).scalar_one()
    rows = [run_size(engine, settings, n, pools, args, search) for n in args.sizes]
    print(
        json.dumps(
            {
                "papers": total,
                "embedder": model,
                "vectors_stored_now": stored,
                "window_days": [str(days[-1]), str(days[0])],
                "non_default_settings": sorted(
                    k for k in settings.model_dump(exclude_defaults=True) if k != "secret_key"
                )
                + ["secret_key"],
            }
        )
    )
    print(table(rows))


if __name__ == "__main__":
    main()
