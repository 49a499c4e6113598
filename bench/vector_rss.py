"""Resident memory of a process serving a saved HNSW vector index: private (anonymous) and
file-backed, after loading and after searches, with search latency; the product's FaissIndex
and defaults (fp16 HNSW, M 32, efConstruction 64, the MiniLM widths 800 / 100).

    python bench/vector_rss.py build --size 200000 --work DIR     # vectors + saved index
    python bench/vector_rss.py serve --work DIR [--src OTHER/src]  # a fresh process per run
    python bench/vector_rss.py workers --work DIR [--src OTHER/src]  # two at once: PSS

Vectors: a mixture of 2,000 topics in 384 dimensions (each vector its topic's centre plus noise,
mean cosine to the centre ~0.6), unit length; not near-duplicates. Search queries: two random
papers' vectors summed, noise added, normalised (many near-ties); similar: a paper's own vector.
`--src` runs another tree's `src` (an earlier commit) on the same saved index, for a before /
after pair on the same machine state.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DIM, TOPICS = 384, 2000


def _rss() -> dict[str, float]:
    out: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def _vectors(size: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(TOPICS, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((size, DIM), dtype=np.float32)
    for start in range(0, size, 50_000):
        n = min(50_000, size - start)
        noise = rng.normal(scale=1.3 / np.sqrt(DIM), size=(n, DIM)).astype(np.float32)
        block = centres[rng.integers(0, TOPICS, n)] + noise
        out[start : start + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def cmd_build(args: argparse.Namespace) -> None:
    """The vectors and the product's saved HNSW index over them."""
    from paperfeed.search.vectors import FaissIndex

    vectors = _vectors(args.size)
    np.save(args.work / "vectors.npy", vectors.astype(np.float16))
    took = time.perf_counter()
    index = FaissIndex(DIM, "hnsw")
    for start in range(0, args.size, 50_000):
        part = vectors[start : start + 50_000]
        index.add([_pid(i) for i in range(start, start + len(part))], part)
    index.save(args.work, "v")
    size = (args.work / "v.faiss").stat().st_size / 2**20
    print(f"built {args.size:,} in {time.perf_counter() - took:.0f} s; index file {size:.0f} MB")


def _pid(i: int) -> str:
    return f"{2401 + i // 99_999:04d}.{i % 99_999 + 1:05d}"


def cmd_one(args: argparse.Namespace) -> None:
    """One serving process: load, search, report (JSON on stdout)."""
    import paperfeed
    from paperfeed.search.vectors import FaissIndex

    vectors = np.load(args.work / "vectors.npy").astype(np.float32)
    rng = np.random.default_rng(11)
    pairs = rng.integers(0, len(vectors), (args.queries, 2))
    queries = vectors[pairs[:, 0]] + vectors[pairs[:, 1]]
    queries += rng.normal(scale=0.3 / np.sqrt(DIM), size=queries.shape).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    papers = rng.integers(0, len(vectors), args.queries)
    del vectors
    base = _rss()
    took = time.perf_counter()
    index = FaissIndex.load(args.work, "v", ef_search=800)
    assert index is not None
    out: dict[str, object] = {"code": str(Path(paperfeed.__file__).parents[1])}
    out["load_s"] = round(time.perf_counter() - took, 2)
    out["before_load"], out["after_load"] = base, _rss()
    walls: dict[str, list[float]] = {"search": [], "similar": []}
    for q, p in zip(queries, papers, strict=True):
        t = time.perf_counter()
        index.search(q, 100)
        walls["search"].append(time.perf_counter() - t)
        t = time.perf_counter()
        index.search(index.get([_pid(int(p))])[_pid(int(p))], 11, width=100)
        walls["similar"].append(time.perf_counter() - t)
    out["after_queries"] = _rss()
    for name, w in walls.items():
        ms = np.array(w) * 1000
        out[name] = {
            "p50_ms": round(float(np.median(ms)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2),
        }
    out["mapped"] = getattr(index, "mapped", False)
    if args.barrier:  # two workers side by side: what each holds while the other runs too
        _meet(args.barrier, "searched")
        out["pss_mb"] = _pss()
        _meet(args.barrier, "measured")
    print(json.dumps(out))


def _meet(folder: Path, stage: str, workers: int = 2) -> None:
    (folder / f"{stage}.{os.getpid()}").touch()
    while len(list(folder.glob(f"{stage}.*"))) < workers:
        time.sleep(0.05)


def _pss() -> float:
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def cmd_workers(args: argparse.Namespace) -> None:
    """Two serving processes of each tree at once: proportional memory (PSS), each worker's
    share of shared pages, summed over the two."""
    print("| code | worker RSS MB (anon + file) | worker PSS MB | both workers' PSS MB |")
    print("|---|---|---|---|")
    for name, src in [("current", None)] + [(f"--src {s}", s) for s in args.src]:
        env = dict(os.environ, **({"PYTHONPATH": src} if src else {}))
        barrier = args.work / f"barrier-{time.time_ns()}"
        barrier.mkdir()
        cmd = [sys.executable, __file__, "one", "--work", str(args.work),
               "--queries", str(args.queries), "--barrier", str(barrier)]  # fmt: skip
        procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True) for _ in "ab"]
        got = [json.loads(p.communicate()[0]) for p in procs]
        rss = ", ".join(
            f"{g['after_queries']['VmRSS']:,.0f} ({g['after_queries']['RssAnon']:,.0f} + "
            f"{g['after_queries']['RssFile']:,.0f})"
            for g in got
        )
        pss = [g["pss_mb"] for g in got]
        print(f"| {name} | {rss} | {pss[0]:,.0f}, {pss[1]:,.0f} | {sum(pss):,.0f} |", flush=True)


def cmd_serve(args: argparse.Namespace) -> None:
    """Fresh processes, alternating the trees given, each printed as a row."""
    trees = [("current", None)] + [(f"--src {s}", s) for s in args.src]
    print("| code | run | load s | RSS after load MB (anon + file) | RSS after queries "
          "(anon + file) | search p50 / p99 ms | similar p50 / p99 ms | load |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for run in range(1, args.runs + 1):
        for name, src in trees:
            env = dict(os.environ)
            if src:
                env["PYTHONPATH"] = src
            cmd = [sys.executable, __file__, "one", "--work", str(args.work),
                   "--queries", str(args.queries)]  # fmt: skip
            got = json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True,
                                            text=True).stdout)  # fmt: skip
            a, q, s, m = got["after_load"], got["after_queries"], got["search"], got["similar"]
            print(f"| {name} (mapped: {got['mapped']}) | {run} | {got['load_s']} "
                  f"| {a['VmRSS']:,.0f} ({a['RssAnon']:,.0f} + {a['RssFile']:,.0f}) "
                  f"| {q['VmRSS']:,.0f} ({q['RssAnon']:,.0f} + {q['RssFile']:,.0f}) "
                  f"| {s['p50_ms']} / {s['p99_ms']} | {m['p50_ms']} / {m['p99_ms']} "
                  f"| {os.getloadavg()[0]:.1f} |", flush=True)  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=["build", "serve", "workers", "one"])
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--size", type=int, default=200_000)
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--src", nargs="*", default=[], help="other trees' src folders to compare")
    p.add_argument("--barrier", type=Path, default=None, help="(one) wait for another worker")
    args = p.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    steps = {"build": cmd_build, "serve": cmd_serve, "workers": cmd_workers, "one": cmd_one}
    steps[args.step](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
