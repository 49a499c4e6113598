"""Search speed at 75 k real papers and at 1 M: latency, queries/s, memory, index build time.

Corpus: every unique paper of `arxiv-daily-cs-listings` (74,728); for larger sizes the real papers
are replicated under fresh ids with a light perturbation (one abstract word dropped, authors
rotated), and each replica's vector is its original's vector plus small Gaussian noise,
re-normalised (cosine to the original about 0.97). Vectors of the real papers come from the real
embedder named by --model (default: the fast static model, since MiniLM needs ~30 min for 75 k
papers on 2 cores).

The indexes are built with the production code (`KeywordIndex.apply`, `FaissIndex.add`) straight
from those rows and saved where `SearchService` looks for them; the queries then run in a fresh
process that opens them as a server would (`SearchService.search` / `.similar`), which also gives
the serving RSS. Baselines, in this process: arxiv-sanity-lite's linear scan and exact
brute-force vectors (numpy), plus SQLite FTS5 (bm25) for the engine choice.

    .venv/bin/python bench/search.py --sizes 75000 1000000
    .venv/bin/python bench/search.py --sizes 75000 --queries 100
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from functools import partial
from pathlib import Path

import numpy as np

from paperfeed.search.backfill import contract_of
from paperfeed.search.embed import Embedder, get_embedder, paper_text
from paperfeed.search.keyword import KeywordIndex
from paperfeed.search.vectors import FaissIndex, exact_search, normalise
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.search_store import IndexRow
from paperfeed.util import utcnow

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data"
DEFAULT_WORK = REPO / "bench" / "out" / "search"
REAL = 74_728
NOISE = 0.012  # per-dimension noise on replica vectors: cosine to the original ~0.97


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


# --- corpus -------------------------------------------------------------------------------------


def load_real(data_dir: Path, comments: bool = False) -> list[IndexRow]:
    """Every unique listed paper (its latest record) as the keyword index sees it (with its
    arXiv comment when `comments`: the earlier figures here were taken without)."""
    latest: dict[str, tuple[date, dict]] = {}  # type: ignore[type-arg]
    for path in sorted((data_dir / "arxiv-daily-cs-listings" / "daily").glob("*.jsonl.gz")):
        day = date.fromisoformat(path.name[:10])
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                latest[record["id"]] = (day, record)
    now = utcnow()
    return [
        IndexRow(
            pid,
            " ".join(r["title"].split()),
            " ".join(r["summary"].split()),
            tuple(r["authors"]),
            tuple(r["categories"]),
            day,
            now,
            False,
            comments=str(r.get("comment") or "") if comments else "",
        )
        for pid, (day, r) in sorted(latest.items())
    ]


def replica(row: IndexRow, n: int, rng: random.Random) -> IndexRow:
    """A lightly perturbed copy of a real paper under a fresh id (`9NNN.NNNNN`, unused by arXiv)."""
    words = row.abstract.split()
    if len(words) > 5:
        del words[rng.randrange(len(words))]
    authors = row.authors[1:] + row.authors[:1]
    return IndexRow(
        f"{9000 + n // 99_999}.{n % 99_999 + 1:05d}",
        row.title,
        " ".join(words),
        authors,
        row.categories,
        row.day,
        row.changed_at,
        False,
    )


def corpus(real: list[IndexRow], size: int, seed: int = 7) -> Iterator[IndexRow]:
    """The real papers, then replicas until `size`."""
    rng = random.Random(seed)
    yield from real[:size]
    for n in range(max(0, size - len(real))):
        yield replica(real[n % len(real)], n, rng)


def real_vectors(real: list[IndexRow], embedder: Embedder, cache: Path) -> np.ndarray:
    """The real papers' vectors from the real embedder (cached on disk between runs)."""
    path = cache / f"vectors-{contract_of(embedder)[0]}-{len(real)}.npy"
    if path.exists():
        return np.load(path)
    started, texts = time.perf_counter(), [paper_text(r.title, r.abstract) for r in real]
    out = np.concatenate([embedder.embed(texts[i : i + 512]) for i in range(0, len(texts), 512)])
    seconds = time.perf_counter() - started
    log(f"embedded {len(real):,} papers with {embedder.name} in {seconds:.0f} s")
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, out.astype(np.float16))
    return out.astype(np.float16)


def vector_batches(base: np.ndarray, size: int, batch: int = 50_000) -> Iterator[np.ndarray]:
    """Vectors for `corpus(size)`: the real ones, then noisy copies for the replicas."""
    rng = np.random.default_rng(11)
    for start in range(0, size, batch):
        idx = np.arange(start, min(size, start + batch))
        vecs = base[idx % len(base)].astype(np.float32)
        noisy = idx >= len(base)
        vecs[noisy] += rng.normal(0, NOISE, (int(noisy.sum()), base.shape[1])).astype(np.float32)
        yield normalise(vecs)


# --- building -----------------------------------------------------------------------------------


def build(
    rows: Callable[[], Iterator[IndexRow]],
    vectors: Callable[[], Iterator[np.ndarray]],
    ids: list[str],
    settings: Settings,
    cid: str,
    kind: str,
) -> dict[str, float]:
    """Build and save both indexes where SearchService finds them; returns build seconds."""
    open_store(settings).dispose()
    started = time.perf_counter()
    keyword = KeywordIndex(settings.index_dir / "keyword")
    keyword.clear()
    keyword.apply(_batched(rows(), 20_000), heap=400_000_000)
    keyword_s = time.perf_counter() - started
    started = time.perf_counter()
    index, done = FaissIndex(next(vectors()).shape[1], kind), 0
    for batch in vectors():
        index.add(ids[done : done + len(batch)], batch)
        done += len(batch)
    index.progress.cursor = (datetime.now(), "\uffff")  # built from every stored vector
    index.save(settings.index_dir / "vectors", cid)
    return {"keyword_build_s": keyword_s, "vector_build_s": time.perf_counter() - started}


def _batched(rows: Iterator[IndexRow], size: int) -> Iterator[list[IndexRow]]:
    batch: list[IndexRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- queries ------------------------------------------------------------------------------------


def make_queries(real: list[IndexRow], count: int, seed: int = 3) -> list[str]:
    """Realistic short queries: 2-5 consecutive title words of random real papers."""
    rng = random.Random(seed)
    out = ["learning", "large language models", "graph neural networks"]
    while len(out) < count:
        words = [w for w in rng.choice(real).title.lower().replace(":", " ").split() if w.isalnum()]
        if len(words) >= 2:
            n = rng.randint(2, min(5, len(words)))
            start = rng.randrange(len(words) - n + 1)
            out.append(" ".join(words[start : start + n]))
    return out[:count]


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 in milliseconds and sequential queries per second."""
    ms = np.array(seconds) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "qps": round(1000 / float(ms.mean()), 1),
    }


def timed(calls: Sequence[Callable[[], object]]) -> list[float]:
    """Wall time of each call, one after another."""
    out = []
    for call in calls:
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


# --- serving (runs in a fresh process) ----------------------------------------------------------


def serve(
    data_dir: Path, model: str, query_file: Path, similar_ids: list[str]
) -> dict[str, object]:
    """Open the saved indexes like a server and time every mode; reports RSS too."""
    from paperfeed.search import SearchService

    started = time.perf_counter()
    settings = _settings(data_dir, model)
    service = SearchService(settings, open_store(settings))
    service.refresh()
    load_s = time.perf_counter() - started
    queries = json.loads(query_file.read_text())
    out: dict[str, object] = {"load_s": round(load_s, 2)}
    for mode in ("keyword", "semantic", "hybrid"):
        service.search(queries[0], mode=mode, limit=10)  # warm-up
        service._query_vectors.clear()  # every timed query pays for its embedding
        out[mode] = percentiles(timed([_search(service, q, mode) for q in queries]))
    fallbacks = [service.search(q, mode="hybrid", limit=10).fallback for q in queries[:5]]
    out["fallbacks"] = [f for f in fallbacks if f]
    out["similar"] = percentiles(timed([partial(service.similar, p, 10) for p in similar_ids]))
    sample = queries[:100]
    out["ann_ids"] = {q: [h.id for h in service.search(q, "semantic", 10).hits] for q in sample}
    out["query_vectors"] = {q: _listed(service.embed_query(q)) for q in sample}
    out["rss_mb"] = _rss("VmRSS")
    out["peak_rss_mb"] = _rss("VmHWM")
    service.close()
    return out


def _listed(vector: np.ndarray | None) -> list[float]:
    return [] if vector is None else [float(x) for x in vector]


def _search(service, query: str, mode: str) -> Callable[[], object]:  # type: ignore[no-untyped-def]
    return lambda: service.search(query, mode=mode, limit=10)


def _settings(data_dir: Path, model: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=None,
        embed_model=model,  # type: ignore[call-arg]
        search_refresh_seconds=1e9,
        search_embed_timeout=60.0,
        _env_file=None,
    )


def _rss(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


# --- baselines ----------------------------------------------------------------------------------


def sanity_scan(rows: Sequence[tuple[str, str, str, str]], query: str) -> list[str]:
    """arxiv-sanity-lite's search_rank: a linear scan scoring every paper in Python."""
    qs = query.lower().strip().split()
    pairs = []
    for pid, title, authors, summary in rows:
        score = 10.0 * sum(int(authors.count(q) > 0) for q in qs)
        score += 20.0 * sum(int(title.count(q) > 0) for q in qs)
        score += sum(min(3, summary.count(q)) for q in qs)
        if score > 0:
            pairs.append((score, pid))
    pairs.sort(reverse=True)
    return [pid for _s, pid in pairs[:10]]


def fts5(rows: Iterator[IndexRow], path: Path) -> tuple[sqlite3.Connection, float]:
    """An SQLite FTS5 table (porter stemming) over the same papers; returns it and build seconds."""
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    started = time.perf_counter()
    conn.execute(
        "CREATE VIRTUAL TABLE p USING fts5(id UNINDEXED, title, abstract, authors, "
        "tokenize='porter unicode61')"
    )
    for batch in _batched(rows, 20_000):
        conn.executemany(
            "INSERT INTO p VALUES (?, ?, ?, ?)",
            [(r.id, r.title, r.abstract, " ".join(r.authors)) for r in batch],
        )
    conn.commit()
    return conn, time.perf_counter() - started


def fts5_search(conn: sqlite3.Connection, query: str) -> list[str]:
    """OR of the quoted words, ranked by bm25 with the title weighted 2x."""
    match = " OR ".join('"' + w.replace('"', "") + '"' for w in query.split())
    sql = "SELECT id FROM p WHERE p MATCH ? ORDER BY bm25(p, 0, 2.0, 1.0, 1.0) LIMIT 10"
    return [r[0] for r in conn.execute(sql, (match,))]


# --- one size -----------------------------------------------------------------------------------


def run_size(
    size: int, real: list[IndexRow], base: np.ndarray, args: argparse.Namespace, embedder: Embedder
) -> dict[str, object]:
    """Build, serve, compare with baselines; one row of results."""
    data_dir = args.work / f"n{size}"
    settings = _settings(data_dir, args.model)
    ids = [r.id for r in corpus(real, size)]
    kind = "hnsw" if size >= settings.hnsw_threshold else "flat"
    cid = contract_of(embedder)[0]
    result: dict[str, object] = {"size": size, "vector_index": kind, "model": embedder.name}
    if not args.reuse or not (data_dir / "index" / "vectors" / f"{cid}.faiss").exists():
        result.update(
            build(
                lambda: corpus(real, size),
                lambda: vector_batches(base, size),
                ids,
                settings,
                cid,
                kind,
            )
        )
        log(f"n={size:,}: built {result}")
    queries = make_queries(real, args.queries)
    qfile = data_dir / "queries.json"
    qfile.write_text(json.dumps(queries))
    similar_ids = random.Random(5).sample(ids, min(args.queries, len(ids)))
    served = _serve_subprocess(data_dir, args.model, qfile, similar_ids)
    result.update({k: v for k, v in served.items() if k not in ("ann_ids", "query_vectors")})
    result.update(_baselines(size, real, base, queries, served, ids, args))
    return result


def _serve_subprocess(data_dir: Path, model: str, qfile: Path, similar_ids: list[str]) -> dict:  # type: ignore[type-arg]
    out = data_dir / "served.json"
    (data_dir / "similar.json").write_text(json.dumps(similar_ids))
    cmd = [sys.executable, __file__, "--serve", str(data_dir), "--model", model, "--out", str(out)]
    subprocess.run(
        cmd,
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")},
    )
    return json.loads(out.read_text())


def _baselines(
    size: int,
    real: list[IndexRow],
    base: np.ndarray,
    queries: list[str],
    served: dict,
    ids: list[str],
    args: argparse.Namespace,
) -> dict[str, object]:  # type: ignore[type-arg]
    scan = _time_scan(real, size, queries[: args.baseline_queries])
    matrix = np.concatenate(list(vector_batches(base, size)))
    qvecs = {q: np.array(v, dtype=np.float32) for q, v in served["query_vectors"].items()}
    exact = percentiles(timed([partial(exact_search, matrix, v, 10) for v in qvecs.values()]))
    recall = _recall(matrix, qvecs, served["ann_ids"], ids)
    del matrix
    path = args.work / f"fts5-{size}.db"
    conn, fts_build = fts5(corpus(real, size), path)
    fts = percentiles(timed([partial(fts5_search, conn, q) for q in queries]))
    common = percentiles(timed([partial(fts5_search, conn, "learning")] * 5))
    conn.close()
    path.unlink(missing_ok=True)
    return {
        "sanity_scan": scan,
        "exact_vectors": exact,
        "ann_recall@10": recall,
        "fts5": fts,
        "fts5_common_term": common,
        "fts5_build_s": round(fts_build, 1),
    }


def _time_scan(real: list[IndexRow], size: int, queries: list[str]) -> dict[str, float]:
    rows = [
        (r.id, r.title.lower(), " ".join(r.authors).lower(), r.abstract.lower())
        for r in corpus(real, size)
    ]
    return percentiles(timed([partial(sanity_scan, rows, q) for q in queries]))


def _recall(
    matrix: np.ndarray, qvecs: dict[str, np.ndarray], ann: dict[str, list[str]], ids: list[str]
) -> float:
    hits = total = 0
    for q, vec in qvecs.items():
        truth = {ids[i] for i, _s in exact_search(matrix, vec, 10)}
        hits += len(truth & set(ann[q]))
        total += len(truth)
    return round(hits / max(total, 1), 4)


def table(results: list[dict]) -> str:  # type: ignore[type-arg]
    """The results as a Markdown table."""
    lines = [
        "| papers | what | p50 ms | p95 ms | p99 ms | queries/s |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        for key in (
            "keyword",
            "semantic",
            "hybrid",
            "similar",
            "sanity_scan",
            "exact_vectors",
            "fts5",
            "fts5_common_term",
        ):
            s = r[key]
            lines.append(
                f"| {r['size']:,} | {key} | {s['p50_ms']} | {s['p95_ms']} | "
                f"{s['p99_ms']} | {s['qps']} |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with --serve, the serving half in this process)."""
    args = _parser().parse_args(argv)
    if args.serve:
        similar_ids = json.loads((args.serve / "similar.json").read_text())
        served = serve(args.serve, args.model, args.serve / "queries.json", similar_ids)
        args.out.write_text(json.dumps(served))
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    real = load_real(args.data_dir)
    embedder = get_embedder(args.model)
    base = real_vectors(real, embedder, args.work)
    results = [run_size(size, real, base, args, embedder) for size in args.sizes]
    print(table(results))
    for r in results:
        print(json.dumps(r))
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    p.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where indexes are built")
    p.add_argument("--sizes", type=int, nargs="+", default=[REAL, 1_000_000])
    p.add_argument("--model", default="static", help="embedder for paper and query vectors")
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--baseline-queries", type=int, default=20)
    p.add_argument("--reuse", action="store_true", help="reuse indexes built by an earlier run")
    p.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    return p


if __name__ == "__main__":
    sys.exit(main())
