"""Soak: steady mixed traffic against `paperfeed demo` for N minutes; RSS curve, errors, latency.

Usage: python bench/soak.py --minutes 30 --rate 20 [--write-results]

The server is the README's demo command (default settings, one worker) on a fresh data
directory and a free port. Traffic: home, trending, paper pages, daily API, keyword and hybrid
search, comment threads, and signed-in upvotes and comments, in a fixed mix at a steady rate.
Every interval prints the server's RSS, request count, errors and latency percentiles.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

WORDS = ["diffusion", "graph neural network", "retrieval augmented generation", "protein",
         "reinforcement learning", "video generation", "quantum", "federated learning"]  # fmt: skip


@dataclass
class Window:
    """What one interval saw."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _start(data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PAPERFEED_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "paperfeed", "demo", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/about", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the demo did not start")


def _account(base: str) -> dict[str, str]:
    http = httpx.Client(base_url=base, timeout=10)
    page = http.get("/signup").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"username": "soaker", "password": "a soak test password", "csrf_token": token}
    http.post("/signup", data=form)
    login = http.post("/api/login", json={"username": "soaker", "password": form["password"]})
    return {"Authorization": f"Bearer {login.json()['token']}"}


def _request(http: httpx.Client, ids: list[str], auth: dict[str, str], rng: random.Random) -> int:
    pid, roll = rng.choice(ids), rng.random()
    if roll < 0.15:
        return http.get("/").status_code
    if roll < 0.25:
        return http.get("/trending").status_code
    if roll < 0.45:
        return http.get(f"/papers/{pid}").status_code
    if roll < 0.55:
        return http.get("/api/daily_papers?limit=30").status_code
    if roll < 0.70:
        q = rng.choice(WORDS)
        return http.get("/api/papers/search", params={"q": q, "mode": "keyword"}).status_code
    if roll < 0.80:
        q = rng.choice(WORDS) + f" {rng.randint(1, 999)}"
        return http.get("/api/papers/search", params={"q": q}).status_code
    if roll < 0.88:
        return http.get(f"/api/papers/{pid}/comments").status_code
    if roll < 0.95:
        return http.post(f"/api/papers/{pid}/upvote", headers=auth).status_code
    body = {"body": f"soak comment {rng.randint(0, 10**9)}"}
    return http.post(f"/api/papers/{pid}/comments", json=body, headers=auth).status_code


def _drive(base: str, rate: float, seconds: float, windows: list[Window], interval: float) -> None:
    ids = [i["paper"]["id"] for i in httpx.get(f"{base}/api/daily_papers?limit=100").json()]
    auth = _account(base)
    start, lock = time.monotonic(), threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=base, timeout=30) as http:
            n = 0
            while True:
                due = start + (n * 8 + seed) / rate
                if due - start > seconds:
                    return
                time.sleep(max(0.0, due - time.monotonic()))
                t0 = time.monotonic()
                try:
                    code = _request(http, ids, auth, rng)
                    kind = None if code < 400 or code == 429 else str(code)
                except httpx.HTTPError as exc:
                    kind = type(exc).__name__
                spent = time.monotonic() - t0
                with lock:
                    w = windows[min(int((t0 - start) / interval), len(windows) - 1)]
                    w.latencies.append(spent)
                    if kind:
                        w.errors[kind] = w.errors.get(kind, 0) + 1
                n += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else float("nan")


def main() -> None:
    """Run the soak and print (and optionally record) the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds per table row")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    seconds = args.minutes * 60
    rows = max(1, int(seconds // args.interval))
    windows = [Window() for _ in range(rows)]
    data, port = Path(tempfile.mkdtemp(prefix="paperfeed-soak-")), _free_port()
    print(f"settings: demo defaults, 1 worker, {args.rate:g} req/s for {args.minutes:g} min")
    proc = _start(data, port)
    rss: list[float] = []
    sampler_stop = threading.Event()

    def sample() -> None:
        while not sampler_stop.wait(args.interval):
            rss.append(_rss_mb(proc.pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        rss_start = _rss_mb(proc.pid)
        _drive(f"http://127.0.0.1:{port}", args.rate, seconds, windows, args.interval)
    finally:
        sampler_stop.set()
        sampler.join()
        proc.terminate()
        proc.wait(30)
    lines = ["| minute | requests | errors | p50 ms | p95 ms | p99 ms | server RSS MB |",
             "| ---: | ---: | --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for i, w in enumerate(windows):
        errors = ", ".join(f"{k}: {v}" for k, v in w.errors.items()) or "0"
        mem = rss[i] if i < len(rss) else float("nan")
        lines.append(
            f"| {(i + 1) * args.interval / 60:.1f} | {len(w.latencies)} | {errors} | "
            f"{_pct(w.latencies, 50):.1f} | {_pct(w.latencies, 95):.1f} | "
            f"{_pct(w.latencies, 99):.1f} | {mem:.0f} |"
        )
    table = "\n".join(lines)
    print(f"server RSS at start: {rss_start:.0f} MB")
    print(table)
    if args.write_results:
        when = datetime.now(UTC).strftime("%Y-%m-%d")
        head = (
            f"\n### Soak ({when}, {platform.machine()} {os.cpu_count()}-core shared VM)\n\n"
            f"`python bench/soak.py --minutes {args.minutes:g} --rate {args.rate:g}`: the demo "
            f"with default settings, one worker; mixed pages, API, keyword and hybrid search, "
            f"comment threads, upvotes and comments. Server RSS at start {rss_start:.0f} MB. "
            f"429s from the per-account comment limit are expected and not counted as errors.\n\n"
        )
        with Path(__file__).with_name("RESULTS.md").open("a") as out:
            out.write(head + table + "\n")


if __name__ == "__main__":
    main()
