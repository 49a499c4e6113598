"""`paperfeed serve` with default settings and the recommended 2 workers: home, For you, search.

The store holds the 74,728 real papers of `arxiv-daily-cs-listings` (ingested with the product's
ingest). Their vectors are under the default model's (MiniLM) contract: MiniLM cannot embed
75 k papers on this machine in the time, so each is the paper's exact static vector carried into
MiniLM's space by the ridge map of `bench/scale.py vectors` (run that first); queries are embedded
by the real MiniLM in the server. Signed-in readers: --users accounts, each with 40 saved papers
and 20 ratings from two categories, and a session cookie; each one's For you model is trained by a
warm-up request, as a returning reader's would be.

Endpoints (the load generator of `bench/web.py`, keep-alive, --connections clients):
  home            GET /  anonymous (daily papers, cached per data version)
  for you         GET /  signed in (For you, the reader's default window), readers in turn
  search hybrid   GET /api/papers/search?q=...&limit=20, every query distinct (asked once)
  search keyword  the same with mode=keyword

    python bench/scale_web.py --seconds 10 --connections 16 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402
import search as sb  # noqa: E402
import web  # noqa: E402

from paperfeed.pipeline import ingest_files  # noqa: E402
from paperfeed.search.backfill import contract_of, text_hash  # noqa: E402
from paperfeed.search.embed import get_embedder  # noqa: E402
from paperfeed.settings import Settings  # noqa: E402
from paperfeed.store import (  # noqa: E402
    accounts,
    library,
    open_store,  # noqa: E402
)
from paperfeed.store.bulk import paper_count  # noqa: E402
from paperfeed.store.search_store import (  # noqa: E402
    IndexRow,  # noqa: E402
    count_vectors,
    ensure_contract,
    save_vectors,
)

COOKIE: dict[str, str] = {}  # path -> session token, for the signed-in scenario


def _request(port: int, path: str) -> bytes:
    """bench/web.py's request, with the reader's session cookie on For you paths."""
    token = COOKIE.get(path)
    cookie = f"Cookie: pf_session={token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{cookie}Accept: */*\r\n\r\n".encode()


web._request = _request  # the load generator builds each request through this


def store_papers(settings: Settings, data_dir: Path) -> None:
    """Ingest the real papers' listings with the product's ingest, once (a fresh work folder)."""
    engine = open_store(settings)
    with engine.connect() as conn:
        empty = paper_count(conn) == 0
    if empty:
        took = time.perf_counter()
        report, failed = ingest_files(engine, settings, "listing", web.listing_files(data_dir))
        if failed:
            raise SystemExit("; ".join(failed))
        scale.log(f"ingested {report.inserted:,} papers in {time.perf_counter() - took:.0f} s")
    engine.dispose()


def keep_vocabulary(settings: Settings) -> None:
    """Fit (once) and keep For you's keyword features where `serve` reads them, as a site that
    has run for a day has them: otherwise each served run's start fits them (minutes while the
    load runs) inside the measured window."""
    from paperfeed.recommend.service import Recommender

    engine = open_store(settings)
    Recommender(engine, vocabulary_dir=settings.index_dir / "vocabulary").warm_vocabulary()
    engine.dispose()


def store_vectors(settings: Settings, work: Path, real: list[IndexRow]) -> None:
    """The mapped vectors of the real papers under MiniLM's contract, hashed like `embed` does."""
    engine = open_store(settings)
    cid, spec = contract_of(get_embedder("minilm"))
    with engine.begin() as conn:
        if count_vectors(conn, cid):
            return
        ensure_contract(conn, cid, spec)
    mapped = np.load(work / "mapped.npy", mmap_mode="r")
    for start in range(0, len(real), 5000):
        rows = [
            (r.id, text_hash(r.title, r.abstract), np.asarray(mapped[start + i], np.float32))
            for i, r in enumerate(real[start : start + 5000])
        ]
        with engine.begin() as conn:
            save_vectors(conn, cid, rows)
    engine.dispose()


def make_readers(settings: Settings, real: list[IndexRow], count: int) -> list[str]:
    """Accounts with saved and rated papers; returns their session tokens."""
    engine = open_store(settings)
    by_cat: dict[str, list[str]] = {}
    for r in real:
        by_cat.setdefault(r.categories[0] if r.categories else "none", []).append(r.id)
    common = sorted(by_cat, key=lambda c: -len(by_cat[c]))[:20]
    rng, tokens = random.Random(9), []
    with engine.begin() as conn:
        for n in range(count):
            user = accounts.create_user(conn, f"reader{n}_{secrets.token_hex(3)}", "x")
            pool = by_cat[common[n % 20]] + by_cat[common[(n + 7) % 20]]
            picks = rng.sample(pool, 60)
            for pid in picks[:40]:
                library.save_paper(conn, user.id, pid)
            for i, pid in enumerate(picks[40:]):
                library.set_rating(conn, user.id, pid, 1 if i % 4 else -1)
            token = secrets.token_urlsafe(24)
            accounts.create_session(conn, user.id, token, 30)
            tokens.append(token)
    engine.dispose()
    return tokens


@contextmanager
def serve(settings: Settings, workers: int) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`paperfeed serve --workers N` with default settings but the data folder."""
    port = web.free_port()
    env = os.environ | {"PAPERFEED_DATA_DIR": str(settings.data_dir)}
    exe = Path(sys.executable).with_name("paperfeed")
    args = [str(exe), "serve", "--port", str(port), "--workers", str(workers)]
    # The access log goes to stderr (on by default): into a file, as a pipe nobody reads fills
    # up and blocks every worker.
    with (settings.data_dir / "serve.log").open("wb") as log:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            asyncio.run(web._wait_ready(port, proc, workers, settings.data_dir / "serve.log"))
            settle(proc)
            yield port, proc
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def settle(proc: subprocess.Popen[bytes], quiet_cpu: float = 0.1, limit_s: float = 600) -> None:
    """Wait until the server's start-up work is done (each worker's warm-up thread reads For
    you's keyword features and imports scikit-learn after the search indexes answer): until
    its processes use under `quiet_cpu` CPU seconds in one second. Measured before that, a run
    counts the start-up against its requests."""
    took = time.perf_counter()
    before = sum(process_cpu(proc).values())
    while time.perf_counter() - took < limit_s:
        time.sleep(1)
        now = sum(process_cpu(proc).values())
        if now - before < quiet_cpu:
            scale.log(f"server settled {time.perf_counter() - took:.0f} s after it answered")
            return
        before = now
    raise SystemExit(f"the server was still busy {limit_s:.0f} s after it answered")


async def warm_every_worker(port: int, paths: Sequence[str], seconds: float) -> tuple[str, float]:
    """Every reader's page, 4 at a time on fresh connections, for `seconds`.

    A keep-alive warm-up can land on one worker only (both connections accepted by the same
    process), leaving the other to build its space and models inside the measured window; fresh
    connections spread over the workers.
    """
    started, statuses = time.perf_counter(), dict[int, int]()
    while time.perf_counter() - started < seconds:
        for at in range(0, len(paths), 4):
            answers = await asyncio.gather(*(web.fetch_once(port, p) for p in paths[at : at + 4]))
            for status, _body in answers:
                statuses[status] = statuses.get(status, 0) + 1
    return f"statuses {statuses}", time.perf_counter() - started


def process_cpu(proc: subprocess.Popen[bytes]) -> dict[int, float]:
    """{pid: CPU seconds used so far} of the server and each process under it."""
    found = {}
    for pid in [proc.pid] + [int(p) for p in _children(proc.pid)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def worker_split(before: dict[int, float], after: dict[int, float]) -> str:
    """Each worker's share of the workers' CPU over the measured seconds: where requests went."""
    used = {pid: t - before.get(pid, 0.0) for pid, t in after.items() if _is_worker(pid)}
    total = sum(used.values()) or 1.0
    return " / ".join(f"{100 * t / total:.0f} %" for t in sorted(used.values(), reverse=True))


def _is_worker(pid: int) -> bool:
    try:
        return "--multiprocessing-fork" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return False


def _children(pid: int) -> list[str]:
    out: list[str] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            kids = (task / "children").read_text().split()
        except OSError:  # a thread that just ended
            continue
        out += kids
        for k in kids:
            out += _children(int(k))
    return out


def _profile(
    proc: subprocess.Popen[bytes], name: str, args: argparse.Namespace
) -> list[subprocess.Popen[bytes]]:
    """py-spy on every worker for the measured seconds (collapsed stacks under --work)."""
    out = []
    for pid in _children(proc.pid):
        if "--multiprocessing-fork" not in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
            continue
        path = args.work / f"profile-{name.replace(' ', '_')}-{pid}.txt"
        cmd = [str(args.profile), "record", "--pid", pid, "--duration", str(int(args.seconds))]
        cmd += ["--format", "raw", "--nonblocking", "--rate", "200", "-o", str(path)]
        out.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Build (once) and load-test."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=sb.DEFAULT_DATA)
    p.add_argument("--work", type=Path, default=scale.DEFAULT_WORK)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--workers", type=int, nargs="+", default=[2])
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--only", nargs="*", default=None)
    p.add_argument("--foryou-warmup", type=float, default=60, help="seconds, 2 connections")
    p.add_argument("--profile", type=Path, help="py-spy binary: record each worker's stacks")
    p.add_argument("--prepare-only", action="store_true", help="store vectors and indexes, stop")
    args = p.parse_args(argv)
    settings = Settings(data_dir=args.work / "web", _env_file=None)  # type: ignore[call-arg]
    real = sb.load_real(args.data_dir)
    store_papers(settings, args.data_dir)
    store_vectors(settings, args.work, real)
    from paperfeed.search import SearchService

    took = time.perf_counter()
    service = SearchService(settings, open_store(settings))
    service.refresh()
    service.close()
    scale.log(f"indexes ready in {time.perf_counter() - took:.0f} s, load {scale.loadavg()}")
    took = time.perf_counter()
    keep_vocabulary(settings)
    scale.log(f"For you keyword features kept in {time.perf_counter() - took:.0f} s")
    if args.prepare_only:
        return 0
    tokens = make_readers(settings, real, args.users)
    for i, token in enumerate(tokens):
        COOKIE[f"/?reader={i}"] = token
    queries = web.search_queries(args.data_dir, 20_000, 4)  # ~10,000: none asked twice
    half = len(queries) // 2

    def search(mode: str, qs: list[str]) -> list[str]:
        return [f"/api/papers/search?q={web.quote(q)}&mode={mode}&limit=20" for q in qs]

    foryou = list(COOKIE)
    plans = {
        "home": (["/"], ["/"]),
        "for you": (foryou, foryou),
        "search hybrid": (search("hybrid", queries[:50]), search("hybrid", queries[100:half])),
        "search keyword": (search("keyword", queries[50:100]), search("keyword", queries[half:])),
    }
    rows = []
    for workers in args.workers:
        with serve(settings, workers) as (port, proc):
            for name, (warm, paths) in plans.items():
                if args.only and name not in args.only:
                    continue
                if (
                    name == "for you"
                ):  # each worker builds the window's space and each reader's model
                    views, took = asyncio.run(warm_every_worker(port, warm, args.foryou_warmup))
                    scale.log(f"for you warm-up (cold spaces and models): {views} in {took:.0f} s")
                else:
                    web.load(port, warm, 2, args.connections)
                per0 = process_cpu(proc)
                cpu0, load0 = sum(per0.values()), scale.loadavg()
                spies = _profile(proc, name, args) if args.profile else []
                distinct = name in web.DISTINCT
                stats, wall = web.load(port, paths, args.seconds, args.connections, distinct)
                for spy in spies:
                    spy.wait()
                per1 = process_cpu(proc)
                cpu = sum(per1.values()) - cpu0
                n = len(stats.latencies)
                lat = stats.latencies
                rows.append(
                    f"| {name} | {workers} | {args.connections} | {n:,} | {stats.errors} | "
                    f"{n / wall:,.0f} | {web.percentile(lat, 0.5) * 1000:.1f} | "
                    f"{web.percentile(lat, 0.99) * 1000:.1f} | {1000 * cpu / max(n, 1):.1f} | "
                    f"{worker_split(per0, per1)} | {load0} → {scale.loadavg()} | "
                    f"{stats.repeated:,} |"
                )
                scale.log(rows[-1] + f" statuses {stats.statuses}")
    print("| endpoint | workers | conns | requests | errors | req/s | p50 ms | p99 ms | "
          "server CPU ms/req | worker CPU split | load 1-min before → after | "
          "repeated paths |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
