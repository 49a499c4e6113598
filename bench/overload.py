"""Overload benchmark of `paperfeed serve`: 200 clients on a cold cache, then normal traffic.

Reproduces issue 9's denial of service: many anonymous clients on endpoints that read the store
for every request (distinct parameters, so the page cache cannot help), then ordinary visitors.
The server is the real `paperfeed serve` (one worker, default settings) over the bundled demo
store (2,397 real papers); the load generator is an asyncio HTTP/1.1 keep-alive client in this
process on the same machine, so both share its cores.

Phases:
  overload   --clients keep-alive clients for --seconds on the cold-cache mix; meanwhile one
             probe asks for the cached /about every 0.5 s (what a visitor sees during the storm)
  recovery   right after the clients stop: seconds until a cold, store-reading request succeeds
  normal     --normal-clients clients for --normal-seconds on /, /about, /api/trending?limit=10
  sigterm    a second storm; SIGTERM after 3 s; seconds until the server process has exited

    .venv/bin/python bench/overload.py                 # 2 minutes of overload
    .venv/bin/python bench/overload.py --seconds 20    # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from paperfeed.ingest.jobs import demo_files, load_demo
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.listings import has_papers

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / "out" / "overload"
TIMEOUT = 30.0  # a client gives up on one request after this long


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def prepare(work: Path) -> tuple[Settings, list[str], list[str]]:
    """The demo store (built once), its paper ids and listing days."""
    settings = Settings(data_dir=work, embed_model="static", _env_file=None)  # type: ignore[call-arg]
    engine = open_store(settings)
    with engine.connect() as conn:
        empty = not has_papers(conn)
    if empty:
        log("loading the demo store…")
        load_demo(engine, settings)
    engine.dispose()
    ids, days = [], []
    for path in demo_files()[0]:
        days.append(path.name[:10])
        with gzip.open(path, "rt") as handle:
            ids += [json.loads(line)["id"] for line in handle if line.strip()]
    return settings, sorted(set(ids)), days


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    """`paperfeed serve` over the benchmark store (PAPERFEED_WEB_*, _DB_* from the environment)."""
    keep = {k: v for k, v in os.environ.items() if k != "PAPERFEED_DATABASE_URL"}
    env = keep | {
        "PAPERFEED_DATA_DIR": str(settings.data_dir),
        "PAPERFEED_EMBED_MODEL": "static",
        "PAPERFEED_ACCESS_LOG": "off",
    }
    exe = Path(sys.executable).with_name("paperfeed")
    args = [str(exe), "serve", "--port", str(port), "--no-digests"]
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Until the server answers."""
    while True:
        if proc.poll() is not None:
            raise SystemExit("the server exited")
        try:
            status, _ = await fetch_once(port, "/about")
            if status == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.3)


# --- HTTP/1.1 client ----------------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
        return status
    while True:  # chunked
        size = int((await reader.readline()).strip(), 16)
        await reader.readexactly(size + 2)
        if size == 0:
            return status


def _request(port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: */*\r\n\r\n".encode()


async def fetch_once(port: int, path: str) -> tuple[int, float]:
    """One request on a fresh connection: status and seconds."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(_request(port, path))
        status = await asyncio.wait_for(_read_response(reader), TIMEOUT)
        return status, time.perf_counter() - started
    finally:
        writer.close()


@dataclass
class Stats:
    """Latencies per outcome ('200', '503', '500', 'timeout', 'conn error', …)."""

    by_kind: dict[str, list[float]] = field(default_factory=dict)

    def add(self, kind: str, seconds: float) -> None:
        self.by_kind.setdefault(kind, []).append(seconds)

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.by_kind.values())


async def _client(port: int, pick: Callable[[], str], until: float, stats: Stats) -> None:
    reader = writer = None
    while time.perf_counter() < until:
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert reader is not None
            writer.write(_request(port, pick()))
            status = await asyncio.wait_for(_read_response(reader), TIMEOUT)
            stats.add(str(status), time.perf_counter() - started)
        except TimeoutError:
            stats.add("timeout", time.perf_counter() - started)
            writer = _close(writer)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            stats.add("conn error", time.perf_counter() - started)
            writer = _close(writer)
            await asyncio.sleep(0.05)
    _close(writer)


def _close(writer: asyncio.StreamWriter | None) -> None:
    if writer is not None:
        writer.close()


async def storm(port: int, pick: Callable[[], str], clients: int, seconds: float) -> Stats:
    """`clients` keep-alive clients for `seconds`."""
    stats = Stats()
    until = time.perf_counter() + seconds
    await asyncio.gather(*(_client(port, pick, until, stats) for _ in range(clients)))
    return stats


async def probe(port: int, path: str, until: float, every: float) -> Stats:
    """One request on a fresh connection every `every` seconds."""
    stats = Stats()
    while time.perf_counter() < until:
        try:
            status, seconds = await fetch_once(port, path)
            stats.add(str(status), seconds)
        except TimeoutError:
            stats.add("timeout", TIMEOUT)
        except OSError:
            stats.add("conn error", 0.0)
        await asyncio.sleep(every)
    return stats


async def time_to_recover(port: int, fresh: Callable[[], str]) -> float:
    """Seconds until a cold request that reads the store answers 200 within a second."""
    started = time.perf_counter()
    while time.perf_counter() - started < 600:
        try:
            status, seconds = await fetch_once(port, fresh())
            if status == 200 and seconds < 1.0:
                return time.perf_counter() - started
        except (OSError, TimeoutError):
            pass
        await asyncio.sleep(0.1)
    return float("inf")


# --- the run ------------------------------------------------------------------------------------


def cold_mix(ids: list[str], days: list[str], rng: random.Random) -> Callable[[], str]:
    """Issue 9's endpoints with parameters that miss the page cache."""

    def pick() -> str:
        n, kind = rng.randrange(1, 101), rng.randrange(5)
        if kind == 0:
            return f"/api/trending?limit={n}&p={rng.randrange(3)}"
        if kind == 1:
            return f"/api/daily_papers?limit={n}&date={rng.choice(days)}"
        if kind == 2:
            return f"/feeds/daily.atom?date={rng.choice(days)}"
        if kind == 3:
            return f"/papers/{rng.choice(ids)}/bibtex"
        return f"/papers/{rng.choice(ids)}"

    return pick


def normal_mix(rng: random.Random) -> Callable[[], str]:
    """What ordinary visitors ask for."""
    paths = ["/", "/about", "/api/trending?limit=10", "/trending"]
    return lambda: rng.choice(paths)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else 0.0


def rows(phase: str, stats: Stats, seconds: float) -> list[str]:
    """Table rows: one per outcome of a phase."""
    out = []
    for kind, values in sorted(stats.by_kind.items(), key=lambda kv: -len(kv[1])):
        share = 100 * len(values) / max(stats.total, 1)
        out.append(
            f"| {phase} | {kind} | {len(values):,} | {len(values) / seconds:,.1f} | {share:.1f} % "
            f"| {percentile(values, 50) * 1000:,.0f} | {percentile(values, 99) * 1000:,.0f} "
            f"| {max(values) * 1000:,.0f} |"
        )
    return out


async def run(args: argparse.Namespace) -> None:
    settings, ids, days = prepare(args.work)
    rng = random.Random(7)
    port = free_port()
    proc = start_server(settings, port)
    try:
        await wait_ready(port, proc)
        await _measure(args, port, proc, ids, days, rng)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def _measure(
    args: argparse.Namespace,
    port: int,
    proc: subprocess.Popen[bytes],
    ids: list[str],
    days: list[str],
    rng: random.Random,
) -> None:
    pick = cold_mix(ids, days, rng)
    log(f"overload: {args.clients} clients for {args.seconds:.0f} s…")
    until = time.perf_counter() + args.seconds
    load, seen = await asyncio.gather(
        storm(port, pick, args.clients, args.seconds), probe(port, "/about", until, 0.5)
    )
    counter = iter(range(10**9))
    recovery = await time_to_recover(port, lambda: f"/api/trending?limit=7&p={next(counter) % 50}")
    log(f"recovered after {recovery:.2f} s; normal traffic…")
    normal = await storm(port, normal_mix(rng), args.normal_clients, args.normal_seconds)
    log("a second storm, then SIGTERM…")
    stop_after = asyncio.create_task(storm(port, pick, args.clients, 6.0))
    await asyncio.sleep(3.0)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    while proc.poll() is None and time.perf_counter() - sent < 120:
        await asyncio.sleep(0.05)
    exit_after = time.perf_counter() - sent if proc.poll() is not None else float("inf")
    await stop_after
    _report(args, len(ids), load, seen, recovery, normal, exit_after)


def _report(
    args: argparse.Namespace,
    papers: int,
    load: Stats,
    seen: Stats,
    recovery: float,
    normal: Stats,
    exit_after: float,
) -> None:
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    print(
        f"store: demo, {papers:,} papers (SQLite); server: `paperfeed serve`, 1 worker; "
        f"web_threads={s.web_threads}, web_queue={s.web_queue}, "
        f"web_queue_timeout={s.web_queue_timeout}s, db pool={s.db_pool_size or s.web_threads + 4}"
        f"+4, db_pool_timeout={s.db_pool_timeout}s; clients: {args.clients} for "
        f"{args.seconds:.0f} s, then {args.normal_clients} for {args.normal_seconds:.0f} s; "
        f"client timeout {TIMEOUT:.0f} s\n"
    )
    print("| phase | outcome | requests | req/s | share | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|")
    for line in rows("overload", load, args.seconds):
        print(line)
    for line in rows("cached /about during overload", seen, args.seconds):
        print(line)
    for line in rows("normal traffic after", normal, args.normal_seconds):
        print(line)
    print(
        f"\nrecovery (first cold store-reading request answered 200 within 1 s): {recovery:.2f} s"
    )
    print(f"SIGTERM during a second storm: the server exited after {exit_after:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="overload duration")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--normal-seconds", type=float, default=20.0)
    parser.add_argument("--normal-clients", type=int, default=4)
    parser.add_argument("--work", type=Path, default=WORK, help="store directory")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
