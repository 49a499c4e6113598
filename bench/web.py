"""Load test of `paperfeed serve` on loopback with the 75 k real papers: requests/s and latency.

The store holds every paper of `arxiv-daily-cs-listings` (74,728 unique real papers), ingested
once into `bench/out/web` with the production ingest code and embedded with --model (default: the
fast static model; MiniLM needs ~30 min for 75 k papers on 2 cores). The search indexes are built
before the server starts, as `paperfeed reindex` would. The server is the real `paperfeed serve`
in its own process(es); the load generator is a small asyncio HTTP/1.1 keep-alive client in this
process, on the same machine, so both share its cores.

Endpoints:
  home            GET /                          (anonymous; rendered once per data version)
  paper (cached)  GET /papers/{id}, 200 ids      (each rendered once, then from the page cache)
  paper (cold)    GET /papers/{id}, all distinct (every request renders: store, similar papers)
  search hybrid   GET /api/papers/search?q=...   (every query distinct: no cache hits)
  search keyword  the same with mode=keyword
  search hybrid (repeat)  50 popular queries over and over (cached per data version)

With `--signed-in N`, N readers (made once in the store: 2 followed categories, 12 saved and 3
👍 papers of the newest week, every other one a muted keyword) each get a session, and every
request carries the next reader's session cookie in turn; pages render per request then:
  home (signed in)     GET /              (For you, as the readers have signals)
  day (signed in)      GET /papers/date/{day}, the newest 20 listing days
  paper (signed in)    GET /papers/{id}, the same 200 ids as paper (cached)
  for you              GET /for-you?window=... (today, week, month in turn)
  search page (signed in)  GET /search?q=..., 50 queries over and over
  search page (signed in, new queries)  GET /search?q=..., every query distinct

    .venv/bin/python bench/web.py
    .venv/bin/python bench/web.py --seconds 5 --connections 16 --workers 1 2
    .venv/bin/python bench/web.py --only home --workers 2 --gzip   # as browsers ask
    .venv/bin/python bench/web.py --signed-in 200 --workers 2 --gzip   # signed-in pages only
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import itertools
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, select

from paperfeed.pipeline import ingest_files
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.tables import papers

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data"
DEFAULT_WORK = REPO / "bench" / "out" / "web"
LISTINGS = "arxiv-daily-cs-listings"


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


# --- the store ----------------------------------------------------------------------------------


def listing_files(data_dir: Path) -> list[Path]:
    """Every daily listing file of the real data set."""
    files = sorted((data_dir / LISTINGS / "daily").glob("*.jsonl.gz"))
    if not files:
        raise SystemExit(f"no listing files under {data_dir / LISTINGS}; see --data-dir")
    return files


def bench_settings(work: Path, model: str, refresh: float) -> Settings:
    """Settings of the benchmark store (also passed to the server through its environment)."""
    return Settings(  # type: ignore[call-arg]
        data_dir=work,
        embed_model=model,
        page_cache_entries=4096,
        search_refresh_seconds=refresh,
        _env_file=None,
    )


def build_store(settings: Settings, data_dir: Path) -> list[str]:
    """Ingest, embed and index the real papers once; returns the stored ids."""
    engine = open_store(settings)
    with engine.connect() as conn:
        ids = list(conn.scalars(select(papers.c.id)))
    if not ids:
        started = time.perf_counter()
        report, failed = ingest_files(engine, settings, "listing", listing_files(data_dir))
        if failed:
            raise SystemExit("; ".join(failed))
        log(f"ingested {report.inserted:,} papers in {time.perf_counter() - started:.0f} s")
        with engine.connect() as conn:
            ids = list(conn.scalars(select(papers.c.id)))
    _index(settings, engine)
    engine.dispose()
    return ids


def _index(settings: Settings, engine: object) -> None:
    from paperfeed.search import SearchService, embed_papers

    started = time.perf_counter()
    embedded = embed_papers(settings, engine)  # type: ignore[arg-type]
    service = SearchService(settings, engine)  # type: ignore[arg-type]
    service.refresh()  # keyword and vector indexes on disk, where each worker finds them
    service.close()
    log(f"embedded {embedded:,} new papers, indexes ready in {time.perf_counter() - started:.0f} s")


def search_queries(data_dir: Path, count: int, seed: int) -> list[str]:
    """Distinct real queries: the first words of random real titles."""
    rng = random.Random(seed)
    titles: list[str] = []
    for path in rng.sample(listing_files(data_dir), 40):
        with gzip.open(path, "rt") as handle:
            titles += [json.loads(line)["title"] for line in handle if line.strip()]
    rng.shuffle(titles)
    queries = dict.fromkeys(" ".join(t.split()[: rng.randint(2, 5)]) for t in titles)
    return list(queries)[:count]


# --- signed-in readers --------------------------------------------------------------------------

READER = "bench-reader-{}"
FOLLOWED = ("cs.LG", "cs.CL", "cs.CV", "cs.AI", "cs.RO", "cs.CR")
MUTED = ("benchmark", "survey", "quantum", "federated")


def signed_in_readers(settings: Settings, count: int, seed: int) -> list[str]:
    """A session token each for `count` readers with signals (made in the store on first use)."""
    from paperfeed.store.accounts import create_session, find_user
    from paperfeed.store.listings import newest_listed

    rng = random.Random(seed)
    engine = open_store(settings)
    tokens = []
    with engine.begin() as conn:
        recent = newest_listed(conn, 3000)
        for i in range(count):
            found = find_user(conn, READER.format(i))
            user_id = found[0].id if found else _new_reader(conn, i, rng.sample(recent, 15), rng)
            tokens.append(secrets.token_urlsafe(32))
            create_session(conn, user_id, tokens[-1], settings.session_days)
    engine.dispose()
    return tokens


def _new_reader(conn: Connection, i: int, picked: list[str], rng: random.Random) -> int:
    from paperfeed.store.accounts import create_user
    from paperfeed.store.library import add_interest, save_papers, set_rating

    user = create_user(conn, READER.format(i), "!")  # no password: signed in by session only
    for category in rng.sample(FOLLOWED, 2):
        add_interest(conn, user.id, "follow", "category", category, category)
    if i % 2:
        word = rng.choice(MUTED)
        add_interest(conn, user.id, "mute", "keyword", word, word)
    save_papers(conn, user.id, picked[:12])
    for pid in picked[12:]:
        set_rating(conn, user.id, pid, 1)
    made: int = user.id
    return made


@contextmanager
def others_voting(settings: Settings, per_second: float, seed: int) -> Iterator[list[int]]:
    """Other accounts upvote papers of the newest days, `per_second` a second, as on a busy
    site, until the block ends (each vote bumps the site revision); yields [votes cast]."""
    cast = [0]
    if per_second <= 0:
        yield cast
        return
    stop = threading.Event()
    thread = threading.Thread(target=_vote, args=(settings, per_second, seed, stop, cast))
    thread.start()
    try:
        yield cast
    finally:
        stop.set()
        thread.join()


def _vote(
    settings: Settings, per_second: float, seed: int, stop: threading.Event, cast: list[int]
) -> None:
    from paperfeed.store.accounts import create_user, find_user, set_vote
    from paperfeed.store.listings import newest_listed

    rng = random.Random(seed)
    engine = open_store(settings)
    with engine.begin() as conn:
        recent = newest_listed(conn, 3000)
        names = [f"bench-voter-{i}" for i in range(50)]
        voters = [(find_user(conn, n) or (create_user(conn, n, "!"), ""))[0].id for n in names]
    while not stop.wait(1 / per_second):
        with engine.begin() as conn:
            voter, paper = rng.choice(voters), rng.choice(recent)
            # an earlier run's vote (the same seed picks the same) is taken back instead
            cast[0] += set_vote(conn, voter, paper, True) or set_vote(conn, voter, paper, False)
    engine.dispose()


def warm_readers(port: int, connections: int, limit: float = 600) -> None:
    """Ask For you for every reader, a round at a time, until a round is quick: each worker
    has then fitted the store's keyword features and trained each reader's model (what a
    returning reader finds; a reader's first view trains theirs, see --signed-in in RESULTS)."""
    until, quick = time.monotonic() + limit, 0
    while time.monotonic() < until and quick < 2:  # two quick rounds in a row
        stats, wall = load(port, ["/for-you"] * len(COOKIES) * 2, limit, connections, True)
        p50 = percentile(stats.latencies, 0.5)
        log(f"warming readers: {len(stats.latencies)} in {wall:.0f} s, p50 {p50 * 1000:.0f} ms")
        quick = quick + 1 if p50 < 0.5 and not stats.errors else 0


def newest_days(settings: Settings, count: int) -> list[str]:
    """The newest `count` listing days, ISO."""
    engine = open_store(settings)
    with engine.connect() as conn:
        day = papers.c.listing_date
        query = select(day).where(day.is_not(None)).distinct().order_by(day.desc()).limit(count)
        days = [d.isoformat() for d in conn.scalars(query)]
    engine.dispose()
    return days


def signed_in_scenarios(
    plain: dict[str, tuple[list[str], list[str]]], days: list[str], queries: list[str]
) -> dict[str, tuple[list[str], list[str]]]:
    """Per signed-in page: warm-up paths and measured paths (the same: nothing is cached)."""
    searches = [f"/search?q={quote(q)}" for q in queries[:50]]
    windows = [f"/for-you?window={w}" for w in ("today", "week", "month")]
    pages = {
        "home (signed in)": ["/"],
        "day (signed in)": [f"/papers/date/{d}" for d in days],
        "paper (signed in)": plain["paper (cached)"][1],
        "for you": windows,
        "search page (signed in)": searches,
    }
    plan = {name: (paths, paths) for name, paths in pages.items()}
    # Every query asked once (no kept answer helps): warmed with others, past the repeated 50.
    fresh = [f"/search?q={quote(q)}" for q in queries[2000:]]
    plan["search page (signed in, new queries)"] = (fresh[:100], fresh[100:])
    return plan


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(settings: Settings, workers: int) -> Iterator[int]:
    """Run `paperfeed serve` on a free port until the block ends."""
    port = free_port()
    env = os.environ | {
        "PAPERFEED_DATA_DIR": str(settings.data_dir),
        "PAPERFEED_EMBED_MODEL": settings.embed_model,
        "PAPERFEED_PAGE_CACHE_ENTRIES": str(settings.page_cache_entries),
        "PAPERFEED_SEARCH_REFRESH_SECONDS": str(settings.search_refresh_seconds),
    }
    exe = Path(sys.executable).with_name("paperfeed")
    args = [str(exe), "serve", "--port", str(port), "--workers", str(workers)]
    # The access log goes to stderr (on by default): into a file, as a pipe nobody reads fills up
    # and blocks every worker in the log handler (bench/RESULTS.md, scale of the web).
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.data_dir / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            asyncio.run(_wait_ready(port, proc, workers, log_path))
            yield port
        finally:
            proc.terminate()
            proc.wait(timeout=30)


async def _wait_ready(
    port: int, proc: subprocess.Popen[bytes], workers: int, log: Path | None = None
) -> None:
    # Up, and every worker's search indexes loaded: rounds of concurrent searches until a round
    # is quick (each worker loads its indexes on its first search, or in its warm-up thread).
    deadline = time.monotonic() + 900
    while True:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-4000:] if log else ""
            raise SystemExit(f"server exited: {tail}")
        if time.monotonic() > deadline:
            raise SystemExit("server did not start")
        try:
            started = time.monotonic()
            paths = [f"/api/papers/search?q=warm+up+{i}&limit=1" for i in range(4 * workers)]
            statuses = await asyncio.gather(*(fetch_once(port, p) for p in paths))
            if all(s == 200 for s, _ in statuses) and time.monotonic() - started < 2:
                return
        except OSError:
            await asyncio.sleep(0.5)


# --- the load generator -------------------------------------------------------------------------


@dataclass
class Stats:
    """What one run saw."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    repeated: int = 0  # requests for a path already asked in this run (its list ran out)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
    }
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    body = b""
    while True:  # chunked
        size = int((await reader.readline()).strip(), 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, body
        body += chunk[:-2]


# Header lines every request carries besides Host and Accept (`--gzip`: as browsers send).
EXTRA_HEADERS: list[str] = []
# `--signed-in`: a Cookie header per reader; each request carries the next one in turn.
COOKIES: list[str] = []
_turn = itertools.count()


def _request(port: int, path: str) -> bytes:
    extra = "".join(f"{line}\r\n" for line in EXTRA_HEADERS)
    if COOKIES:
        extra += f"Cookie: {COOKIES[next(_turn) % len(COOKIES)]}\r\n"
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: */*\r\n{extra}\r\n".encode()


async def fetch_once(port: int, path: str) -> tuple[int, bytes]:
    """One request on a fresh connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(_request(port, path))
        return await _read_response(reader)
    finally:
        writer.close()


async def _connection(port: int, paths: Iterator[str], until: float, stats: Stats) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            path = next(paths, None)
            if path is None:
                break  # every distinct path asked once: the run ends early
            started = time.perf_counter()
            writer.write(_request(port, path))
            status, _ = await _read_response(reader)
            stats.latencies.append(time.perf_counter() - started)
            stats.statuses[status] = stats.statuses.get(status, 0) + 1
            stats.errors += status >= 400
    finally:
        writer.close()


def _paths(paths: Sequence[str], stats: Stats, distinct: bool) -> Iterator[str]:
    """The paths in turn; again from the start (counted in `stats.repeated`) unless distinct."""
    yield from paths
    while paths and not distinct:
        for path in paths:
            stats.repeated += 1
            yield path


async def _load(
    port: int, paths: Sequence[str], seconds: float, connections: int, distinct: bool
) -> Stats:
    stats = Stats()
    shared = _paths(paths, stats, distinct)
    until = time.perf_counter() + seconds
    await asyncio.gather(*(_connection(port, shared, until, stats) for _ in range(connections)))
    return stats


def load(
    port: int, paths: Sequence[str], seconds: float, connections: int, distinct: bool = False
) -> tuple[Stats, float]:
    """Keep `connections` keep-alive clients busy for `seconds`; returns stats and wall time.
    With `distinct`, each path is asked at most once and the run ends early when they run out
    (a repeated search would be answered from the caches, which is not what is measured)."""
    started = time.perf_counter()
    stats = asyncio.run(_load(port, paths, seconds, connections, distinct))
    return stats, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of the values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] if ordered else float("nan")


# --- the run ------------------------------------------------------------------------------------


# Scenarios whose measured paths are each asked once (a repeat would be a cache hit).
DISTINCT = frozenset(
    {"paper (cold)", "search hybrid", "search keyword", "search page (signed in, new queries)"}
)


def scenarios(
    ids: list[str], queries: list[str], seed: int
) -> dict[str, tuple[list[str], list[str]]]:
    """Per endpoint: warm-up paths and measured paths."""
    rng = random.Random(seed)
    sample = rng.sample(ids, min(len(ids), 20_000))
    cached = sample[:200]
    half = len(queries) // 2

    def search(mode: str, qs: list[str]) -> list[str]:
        return [f"/api/papers/search?q={quote(q)}&mode={mode}&limit=20" for q in qs]

    return {
        "home": (["/"], ["/"]),
        "paper (cached)": ([f"/papers/{i}" for i in cached], [f"/papers/{i}" for i in cached]),
        "paper (cold)": (
            [f"/papers/{i}" for i in sample[200:400]],
            [f"/papers/{i}" for i in sample[400:]],
        ),
        "search hybrid": (search("hybrid", queries[:50]), search("hybrid", queries[100:half])),
        "search keyword": (search("keyword", queries[50:100]), search("keyword", queries[half:])),
        # 50 popular queries asked again and again: answered from the cache after the warm-up.
        "search hybrid (repeat)": (search("hybrid", queries[:50]), search("hybrid", queries[:50])),
    }


def breakdown(settings: Settings, queries: Sequence[str]) -> list[list[str]]:
    """In this process: time in SearchService.search vs the web layer's share of a search."""
    from paperfeed.search import SearchService
    from paperfeed.web.api import item_json
    from paperfeed.web.render import safe_snippet
    from paperfeed.web.views import cards

    engine = open_store(settings)
    service = SearchService(settings, engine)
    service.refresh()
    rows = []
    for mode in ("hybrid", "keyword"):
        service_s = web_s = 0.0
        for query in queries:
            started = time.perf_counter()
            result = service.search(query, mode=mode, limit=20)
            middle = time.perf_counter()
            with engine.connect() as conn:
                found = cards(conn, [h.id for h in result.hits], None)
            _ = (
                [safe_snippet(h.snippet) for h in result.hits],
                json.dumps([item_json(c) for c in found]),
            )
            service_s, web_s = service_s + middle - started, web_s + time.perf_counter() - middle
        n = len(queries)
        rows.append([mode, str(n), f"{service_s / n * 1000:.1f}", f"{web_s / n * 1000:.1f}"])
    service.close()
    engine.dispose()
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Build the store if needed, then load each endpoint and print a table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="shared/data folder")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where the store lives")
    parser.add_argument("--model", default="static", help="embedding model for semantic search")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per endpoint")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="server processes")
    parser.add_argument("--only", nargs="*", help="endpoints to run (default: all)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--gzip", action="store_true", help="send Accept-Encoding: gzip, as browsers do"
    )
    parser.add_argument(
        "--signed-in",
        type=int,
        default=0,
        metavar="N",
        help="measure the signed-in pages instead, cycling N readers' session cookies",
    )
    parser.add_argument(
        "--votes-per-second",
        type=float,
        default=0.0,
        help="meanwhile, other accounts upvote this many papers a second (a busy site)",
    )
    parser.add_argument(
        "--breakdown", action="store_true", help="also time search service vs web layer"
    )
    parser.add_argument(
        "--search-refresh",
        type=float,
        default=3600.0,
        help="PAPERFEED_SEARCH_REFRESH_SECONDS for the server (the store does not change here)",
    )
    args = parser.parse_args(argv)
    if args.gzip:
        EXTRA_HEADERS.append("Accept-Encoding: gzip")

    settings = bench_settings(args.work.resolve(), args.model, args.search_refresh)
    ids = build_store(settings, args.data_dir)
    queries = search_queries(args.data_dir, 20_000, args.seed)
    plan = scenarios(ids, queries, args.seed)
    if args.signed_in:
        plan = signed_in_scenarios(plan, newest_days(settings, 20), queries)
        csrf = secrets.token_urlsafe(24)  # a browser's CSRF cookie, as a page view sets it
        tokens = signed_in_readers(settings, args.signed_in, args.seed)
        COOKIES.extend(f"pf_session={t}; pf_csrf={csrf}" for t in tokens)
    rows = []
    for workers in args.workers:
        with serve(settings, workers) as port:
            if args.signed_in:
                warm_readers(port, args.connections)
            for name, (warm, measured) in plan.items():
                if args.only and name not in args.only:
                    continue
                load(port, warm, args.warmup, args.connections)
                distinct = name in DISTINCT
                with others_voting(settings, args.votes_per_second, args.seed) as votes:
                    stats, wall = load(port, measured, args.seconds, args.connections, distinct)
                rows.append(_row(name, workers, args.connections, stats, wall))
                log("  ".join(rows[-1]) + (f"  ({votes[0]} votes by others)" if votes[0] else ""))
    _print_table(len(ids), args, rows)
    if args.breakdown:
        split = breakdown(settings, queries[:200])
        print("\nOne search, in this process (ms per query, 20 hits):\n")
        print("| mode | queries | SearchService.search | web layer (cards, snippets, JSON) |")
        print("|---|---|---|---|")
        for row in split:
            print("| " + " | ".join(row) + " |")


def _row(name: str, workers: int, connections: int, stats: Stats, wall: float) -> list[str]:
    lat = stats.latencies
    return [
        name,
        str(workers),
        str(connections),
        f"{len(lat):,}",
        str(stats.errors),
        f"{len(lat) / wall:,.0f}",
        f"{percentile(lat, 0.5) * 1000:.1f}",
        f"{percentile(lat, 0.99) * 1000:.1f}",
        f"{stats.repeated:,}",
    ]


def _print_table(papers_count: int, args: argparse.Namespace, rows: list[list[str]]) -> None:
    print(
        f"\n{papers_count:,} papers, model {args.model}, {args.seconds:g} s per endpoint, "
        f"{os.cpu_count()} CPUs shared by server and load generator, "
        f"{'Accept-Encoding: gzip' if args.gzip else 'no Accept-Encoding'}"
        f"{f', {args.signed_in} signed-in readers in turn' if args.signed_in else ''}"
        f"{f', others upvote {args.votes_per_second:g}/s' if args.votes_per_second else ''}\n"
    )
    header = ["endpoint", "workers", "conns", "requests", "errors", "req/s", "p50 ms", "p99 ms"]
    header.append("repeated paths")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
